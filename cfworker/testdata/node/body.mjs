// body.mjs WORKER: the pool's 1 MiB request body limit, on bodies
// without a Content-Length too: past it, chunks are dropped while they
// stream, never kept whole, and a body past the drain limit is cancelled
// (run by run.sh).
const mod = process.argv[2] ?? "./worker.mjs";
const { default: w, pool } = await import(mod);
import { mkEnv, mkCtx } from "./harness.mjs";
const env = mkEnv();
const MiB = 1 << 20;
let fails = 0;
const check = (ok, what) => { console.log(ok ? "ok  " : "FAIL", what); if (!ok) fails++; };

// Go is not needed: capture the body fetch hands to the pool.
let captured;
pool.run = async (fn, args) => { captured = args[1]; return [false, 204, "", null, 0]; };

function stream(chunks, counter) {
  let i = 0;
  return new ReadableStream({
    pull(c) {
      if (i >= chunks.length) { c.close(); return; }
      counter.pulled++;
      c.enqueue(chunks[i++]);
    },
    cancel() { counter.cancelled = true; },
  });
}
async function post(chunks, headers = {}) {
  const counter = { pulled: 0, cancelled: false };
  captured = "not called";
  const r = await w.fetch(new Request("http://x/kv?key=a&value=b", { method: "POST", body: stream(chunks, counter), duplex: "half", headers }), env, mkCtx());
  return { status: r.status, text: await r.text(), ...counter };
}

// 200 MiB streamed without a Content-Length: read (and dropped) up to the
// drain limit, then cancelled.
{
  const chunk = new Uint8Array(MiB);
  const chunks = Array(200).fill(chunk);
  const r = await post(chunks);
  console.log("     200 MiB chunked:", r.status, r.text.trim(), "MiB pulled by the worker:", r.pulled);
  check(r.status === 413 && JSON.parse(r.text).error === "request_too_large", "200 MiB without Content-Length: 413 request_too_large");
  check(r.pulled <= 66, `stopped reading after ${r.pulled} MiB (want <= 66: the 64 MiB drain limit)`);
  check(r.cancelled, "the body stream was cancelled");
  check(captured === "not called", "Go was not called");
}
// 2 MiB: over the limit, read to its end (not cancelled), then 413.
{
  const r = await post([new Uint8Array(MiB), new Uint8Array(MiB)]);
  check(r.status === 413 && r.pulled === 2 && !r.cancelled && captured === "not called", `2 MiB chunked: ${r.status}, ${r.pulled} MiB read, cancelled ${r.cancelled}`);
}
// Exactly the limit, in odd chunks, some views with an offset: passes whole and in order.
{
  const whole = new Uint8Array(MiB);
  for (let i = 0; i < whole.length; i++) whole[i] = (i * 7 + 3) & 255;
  const backing = new Uint8Array(MiB + 10);
  backing.set(whole.subarray(0, 1000), 5);
  const chunks = [backing.subarray(5, 1005), whole.slice(1000, 500000), new Uint8Array(whole.buffer.slice(500000))];
  const r = await post(chunks);
  check(r.status === 204, `1 MiB exactly in 3 chunks: ${r.status}`);
  check(captured instanceof Uint8Array && captured.length === MiB && captured.every((b, i) => b === whole[i]), "Go got the 1 MiB body whole, bytes in order");
}
// One byte over: 413.
{
  const r = await post([new Uint8Array(MiB), new Uint8Array(1)]);
  check(r.status === 413 && captured === "not called", `1 MiB + 1 byte: ${r.status}`);
}
// A chunk that is not a Uint8Array fails the request, as fetch's own body readers do.
{
  let threw = null;
  try { await post([new DataView(new ArrayBuffer(3))]); } catch (e) { threw = e; }
  check(threw instanceof TypeError && captured === "not called", `DataView chunk: ${threw}`);
}
// A single chunk is passed on as it is.
{
  const one = new Uint8Array([1, 2, 3]);
  const r = await post([one]);
  check(r.status === 204 && captured.join() === "1,2,3", "one small chunk");
}
// An empty stream is no body.
{
  const r = await post([]);
  check(r.status === 204 && captured === null, `empty stream: body ${captured}`);
}
// A declared Content-Length over the limit is refused before reading.
{
  const counter = { pulled: 0 };
  captured = "not called";
  const r = await w.fetch(new Request("http://x/kv", { method: "POST", body: "x".repeat(MiB + 1) }), env, mkCtx());
  check(r.status === 413 && captured === "not called", `Content-Length ${MiB + 1}: ${r.status}`);
}
// An ordinary small body with a Content-Length.
{
  captured = "not called";
  const r = await w.fetch(new Request("http://x/kv", { method: "POST", body: "grant_type=x" }), env, mkCtx());
  check(r.status === 204 && new TextDecoder().decode(captured) === "grant_type=x", "small body with Content-Length");
}
// GET: no body at all.
{
  captured = "not called";
  const r = await w.fetch(new Request("http://x/kv"), env, mkCtx());
  check(r.status === 204 && captured === null, "GET: body null");
}
console.log(fails === 0 ? "PASS" : `${fails} FAILED`);
process.exit(fails === 0 ? 0 : 1);
