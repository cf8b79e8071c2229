// bench/miniflare.mjs serves one Worker for `make bench` through
// Miniflare's API, without wrangler dev's inspector proxy. wrangler dev
// subscribes to the Worker's DevTools network events even with no debugger
// attached, so every D1 query and every fetch() (service bindings
// included) costs CPU on the bench machine that production never spends;
// Miniflare's API runs the same workerd without that proxy.
//
//   node bench/miniflare.mjs CONFIG.json
//
// CONFIG.json (bench/miniflare.go writes it):
//
//   {
//     "name": "edgeauth",                        the Worker's name
//     "modulesRoot": "/abs/dir",                 module names are paths relative to it
//     "modules": [{"type": "ESModule", "path": "/abs/dir/worker.mjs"},
//                 {"type": "CompiledWasm", "path": "/abs/dir/app.wasm"}],
//                                                the first is the entry module
//     "compatibilityDate": "2026-04-01",
//     "vars": {"NAME": "value"},                 text bindings (vars and secrets)
//     "baseURLVar": "BASE_URL",                  a var set to the Worker's own URL
//     "d1": {"DB": "/abs/migrations"},           D1 bindings; each folder's *.sql
//                                                files are applied in name order
//     "kv": ["KV"],                              KV bindings
//     "ratelimits": {"LIMIT_X": {"limit": 60, "period": 60}},
//     "services": {"EDGEAUTH": "127.0.0.1:8787"},  service bindings to an HTTP address
//     "persist": "/abs/state"                    D1 and KV state on disk (as wrangler
//                                                dev keeps it); in memory if empty
//   }
//
// When the Worker answers, it prints one line of JSON to stdout,
// {"url": "http://127.0.0.1:PORT", "pid": PID}, and it stops when its
// standard input closes (the bench closes it, or exits). The Worker's own
// output and Miniflare's go to stderr.
//
// Bindings as wrangler dev sets them up, except: no inspector, no `cf`
// object (cf: false: Miniflare would fetch it from the network), and the
// cron trigger is reachable at /cdn-cgi/handler/scheduled
// (unsafeTriggerHandlers), as under wrangler dev. Miniflare reads no
// wrangler.toml and no .dev.vars: everything comes from CONFIG.json.

import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { Log, LogLevel, Miniflare } from "miniflare";

const configPath = process.argv[2];
if (!configPath) {
  console.error("usage: node bench/miniflare.mjs CONFIG.json");
  process.exit(2);
}
const config = JSON.parse(readFileSync(configPath, "utf8"));

// splitSQL splits a migration file into its statements: D1's exec() splits
// on lines, so each file is applied as one batch() of prepared statements
// instead. It knows '...' strings, "..." identifiers and -- comments, which
// is all the project's migrations use (no triggers: no BEGIN ... END).
export function splitSQL(sql) {
  const out = [];
  let cur = "";
  for (let i = 0; i < sql.length; i++) {
    const c = sql[i];
    if (c === "-" && sql[i + 1] === "-") {
      const nl = sql.indexOf("\n", i);
      i = nl < 0 ? sql.length : nl;
      cur += "\n";
      continue;
    }
    if (c === "'" || c === '"') {
      const end = sql.indexOf(c, i + 1);
      if (end < 0) throw new Error(`unterminated ${c} in SQL`);
      cur += sql.slice(i, end + 1);
      i = end;
      continue;
    }
    if (c === ";") {
      if (cur.trim()) out.push(cur.trim());
      cur = "";
      continue;
    }
    cur += c;
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}

function options(port, url) {
  const vars = { ...(config.vars ?? {}) };
  if (config.baseURLVar && url) vars[config.baseURLVar] = url;
  const d1 = Object.fromEntries(Object.keys(config.d1 ?? {}).map((b) => [b, `bench-${config.name}-${b}`]));
  const kv = Object.fromEntries((config.kv ?? []).map((b) => [b, `bench-${config.name}-${b}`]));
  const ratelimits = Object.fromEntries(
    Object.entries(config.ratelimits ?? {}).map(([b, r]) => [b, { simple: { limit: r.limit, period: r.period } }]),
  );
  const serviceBindings = Object.fromEntries(
    Object.entries(config.services ?? {}).map(([b, address]) => [b, { external: { address, http: {} } }]),
  );
  return {
    name: config.name,
    host: "127.0.0.1",
    port,
    cf: false,
    unsafeTriggerHandlers: true,
    log: new Log(LogLevel.WARN),
    handleRuntimeStdio(stdout, stderr) {
      stdout.pipe(process.stderr);
      stderr.pipe(process.stderr);
    },
    modulesRoot: config.modulesRoot,
    modules: config.modules,
    compatibilityDate: config.compatibilityDate,
    compatibilityFlags: config.compatibilityFlags ?? [],
    bindings: vars,
    d1Databases: d1,
    kvNamespaces: kv,
    ratelimits,
    serviceBindings,
    ...(config.persist ? { defaultPersistRoot: config.persist } : {}),
  };
}

let mf;
async function main() {
  mf = new Miniflare(options(0, ""));
  const port = Number((await mf.ready).port);
  const url = `http://127.0.0.1:${port}`;
  if (config.baseURLVar) await mf.setOptions(options(port, url));
  for (const [binding, dir] of Object.entries(config.d1 ?? {})) {
    if (!dir) continue;
    const db = await mf.getD1Database(binding);
    for (const file of readdirSync(dir).filter((f) => f.endsWith(".sql")).sort()) {
      const stmts = splitSQL(readFileSync(join(dir, file), "utf8"));
      try {
        await db.batch(stmts.map((s) => db.prepare(s)));
      } catch (err) {
        throw new Error(`migration ${file}: ${err.message}`);
      }
    }
  }
  process.stdout.write(JSON.stringify({ url, pid: process.pid }) + "\n");
}

async function stop(code) {
  try {
    await mf?.dispose();
  } finally {
    process.exit(code);
  }
}

process.stdin.on("end", () => stop(0));
process.stdin.on("error", () => stop(0));
process.stdin.resume();
process.on("SIGTERM", () => stop(0));
main().catch((err) => {
  console.error("miniflare.mjs:", err?.stack ?? err);
  stop(1);
});
