// queue.mjs WORKER SCENARIO: queued requests whose client went away (workerd
// cancels them, timers and all) hold back no one (run by run.sh).
// A cancelled request's waiter is simulated: a waiter whose continuation
// never runs and whose timers are gone.
const [mod = "./worker.mjs", scenario = "handed"] = process.argv.slice(2);
const { default: w, pool } = await import(mod);
import { mkEnv, mkCtx } from "./harness.mjs";
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let fails = 0;
const check = (ok, what) => { console.log(ok ? "ok  " : "FAIL", what); if (!ok) fails++; };
let t0;
const env0 = { POOL_MAX_INSTANCES: "1" };
async function go(env, path) {
  const r = await w.fetch(new Request("http://x" + path), env, mkCtx());
  return { ms: Date.now() - t0, status: r.status, text: (await r.text()).slice(0, 50) };
}
const dead = () => ({ resolve() {}, handed: null, seq: 0, seen: Date.now() });
const counts = () => ({ reclaimed: pool.counts.reclaimed, abandoned: pool.counts.abandoned, queued: pool.queue.length });

async function setup(vars) {
  const env = mkEnv({ ...env0, ...vars });
  await w.fetch(new Request("http://x/healthz"), env, mkCtx()); // start the one instance
  t0 = Date.now();
  return env;
}

switch (scenario) {
  case "handed": {
    // The dead waiter is handed the instance when /sleep ends.
    const env = await setup({ POOL_QUEUE_TIMEOUT_MS: "4000" });
    const a = go(env, "/sleep?ms=300");
    await sleep(20);
    pool.queue.push(dead());
    const b = await go(env, "/healthz");
    console.log("    a", await a, "b", b, counts());
    check(b.status === 200 && b.ms < 2800, `a live request behind a cancelled one that was handed the instance: ${b.status} after ${b.ms} ms (want 200 before its 4000 ms queue timeout)`);
    check(pool.counts.reclaimed === 1, `the handed instance was reclaimed (${pool.counts.reclaimed})`);
    break;
  }
  case "pruned": {
    // The dead waiter stops being marked alive long before an instance frees: it leaves the queue and is never handed one.
    const env = await setup({ POOL_QUEUE_TIMEOUT_MS: "8000" });
    const a = go(env, "/sleep?ms=4000");
    await sleep(20);
    const d = dead();
    let resolved = false;
    d.resolve = () => { resolved = true; };
    pool.queue.push(d);
    const b = await go(env, "/healthz");
    console.log("    a", await a, "b", b, counts());
    check(b.status === 200 && b.ms >= 3900 && b.ms < 4600, `live request served when /sleep ends: ${b.status} after ${b.ms} ms`);
    check(!resolved && pool.counts.abandoned === 1 && pool.counts.reclaimed === 0, "the cancelled waiter left the queue without being handed an instance");
    break;
  }
  case "longwait": {
    // A live waiter stays queued well past WAITER_STALE_MS: its own timer keeps it alive.
    const env = await setup({ POOL_QUEUE_TIMEOUT_MS: "10000" });
    const a = go(env, "/sleep?ms=5000");
    await sleep(20);
    const b = await go(env, "/healthz");
    console.log("    a", await a, "b", b, counts());
    check(b.status === 200 && b.ms >= 4900 && b.ms < 5600 && pool.counts.abandoned === 0, `a live request queued for 5 s: ${b.status} after ${b.ms} ms, abandoned ${pool.counts.abandoned}`);
    break;
  }
  case "full": {
    // Cancelled waiters no longer fill the queue for good.
    const env = await setup({ POOL_QUEUE_TIMEOUT_MS: "10000", POOL_MAX_QUEUE: "2" });
    const a = go(env, "/sleep?ms=4500");
    await sleep(20);
    pool.queue.push(dead(), dead());
    const early = await go(env, "/healthz");
    check(early.status === 503, `while both cancelled waiters may still be alive the queue is full: ${early.status}`);
    await sleep(3500);
    const c = await go(env, "/healthz");
    console.log("    a", await a, "c", c, counts());
    check(c.status === 200 && pool.counts.abandoned === 2, `after WAITER_STALE_MS the cancelled waiters are gone: ${c.status} after ${c.ms} ms, abandoned ${pool.counts.abandoned}`);
    break;
  }
  case "requeue": {
    // A live waiter taken for cancelled (its timer ran late) puts itself back in its place.
    const env = await setup({ POOL_QUEUE_TIMEOUT_MS: "8000" });
    const a = go(env, "/sleep?ms=2500");
    await sleep(20);
    const b = go(env, "/healthz");
    await sleep(20);
    const c = go(env, "/healthz");
    await sleep(50);
    pool.queue[0].seen = 0; // b
    pool.reap();
    check(pool.queue.length === 1 && pool.counts.abandoned === 1, "b was taken for cancelled");
    await sleep(1100);
    check(pool.queue.length === 2 && pool.counts.abandoned === 0, `b's timer put it back (${pool.queue.length} queued, abandoned ${pool.counts.abandoned})`);
    const [rb, rc] = [await b, await c];
    console.log("    a", await a, "b", rb, "c", rc, counts());
    check(rb.status === 200 && rc.status === 200 && rb.ms <= rc.ms, "b and c served, b first");
    break;
  }
  case "timeout": {
    // The queue timeout still holds.
    const env = await setup({ POOL_QUEUE_TIMEOUT_MS: "400", POOL_MAX_QUEUE: "2" });
    const rs = await Promise.all([go(env, "/sleep?ms=700"), go(env, "/healthz"), go(env, "/healthz"), go(env, "/healthz")]);
    console.log("   ", rs.map((r) => [r.ms, r.status]));
    const s = rs.map((r) => r.status);
    check(s[0] === 200 && s[1] === 503 && s[2] === 503 && s[3] === 503 && rs[1].ms >= 390 && rs[1].ms < 600 && rs[3].ms < 50,
      "queued calls give up at 400 ms; the one over POOL_MAX_QUEUE at once");
    break;
  }
  default:
    throw new Error("unknown scenario " + scenario);
}
console.log(fails === 0 ? `PASS ${scenario}` : `FAIL ${scenario}: ${fails} failed`);
process.exit(fails === 0 ? 0 : 1);
