// Runs the Go test binary of storage/sqlstore (built by wrangler.toml's
// build.command) inside workerd, with this request's env (the DB and KV
// bindings) as the Go side's runtime context.
//
// GET /        -> "ok" (readiness probe)
// GET /run     -> the test output as text/plain; the exit code in X-Exit-Code.
//                 Extra test flags may be passed as ?arg=-test.run=TestD1.
import "./build/wasm_exec.js";
import mod from "./build/storagetest.wasm";

// The Go program writes stdout and stderr through globalThis.fs.writeSync;
// wasm_exec's default prints lines to console.log. Collect them instead.
let sink = null;
const decoder = new TextDecoder();
globalThis.fs.writeSync = (fd, buf) => {
  const text = decoder.decode(buf, { stream: true });
  if (sink !== null) {
    sink.push(text);
  } else {
    console.log(text);
  }
  return buf.length;
};
// wasm_exec's process stub throws on cwd(); testing asks for it.
globalThis.process.cwd = () => "/";

let running = false;

async function run(env, ctx, args) {
  const go = new Go();
  go.argv = ["storagetest", "-test.v", "-test.count=1", ...args];
  go.env = { HOME: "/", TMPDIR: "/tmp" };
  let code = null;
  go.exit = (c) => {
    code = c;
  };
  const instance = new WebAssembly.Instance(mod, {
    ...go.importObject,
    workers: { ready: () => {} },
  });
  await go.run(instance, { env, ctx, binding: {} });
  return code;
}

export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    if (url.pathname === "/") {
      return new Response("ok\n");
    }
    if (url.pathname !== "/run") {
      return new Response("not found\n", { status: 404 });
    }
    if (running) {
      return new Response("a run is in progress\n", { status: 409 });
    }
    running = true;
    sink = [];
    let code = null;
    try {
      code = await run(env, ctx, url.searchParams.getAll("arg"));
    } catch (e) {
      sink.push(`\nrunner: ${e && e.stack ? e.stack : e}\n`);
    } finally {
      running = false;
    }
    const body = sink.join("");
    sink = null;
    return new Response(body, {
      headers: {
        "Content-Type": "text/plain; charset=utf-8",
        "X-Exit-Code": code === null ? "none" : String(code),
      },
    });
  },
};
