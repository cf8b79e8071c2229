// worker.mjs is edgeauth's Worker entry: a pool of live Go wasm instances
// per isolate (DESIGN.md, Runtime). It replaces the worker.mjs that
// syumai/workers generates, which starts a new Go program for every request
// (about 10 ms each) and so can keep nothing in memory. The Go half is
// cfworker.Serve (bridge.go), and doc.go describes the two together;
// `make build-worker` copies this file next to app.wasm and Go's own
// wasm_exec.js in build/worker/.
//
// The rules, each learnt from a failure under load:
//  1. An instance serves ONE call (request or cron event) at a time, so
//     every JS call its goroutines make belongs to that call. New instances
//     start on demand up to POOL_MAX_INSTANCES (each holds 6-22 MiB of wasm
//     memory that never shrinks); further calls queue.
//  2. A queued call owns a pending timer: workerd cancels as hung a
//     request that only awaits a promise another request will resolve. The
//     timer fires at least every WAITER_TICK_MS until the call's queue
//     timeout (503), and stays pending after another request has handed
//     the call an instance, until the call resumes; each time it fires, it
//     marks the call alive and reclaims what
//     cancelled requests left behind (Pool.reap), since a cancelled request
//     loses its timers: its queued call, no longer marked, leaves the
//     queue, and an instance handed to it returns to the pool, without
//     waiting for a new request to arrive.
//  3. context.env and context.ctx are set before every call; syumai's Go
//     packages read them lazily from the context object.
//  4. An instance stays busy until the ctx.waitUntil promises registered
//     during its call have settled, so no goroutine of one call runs while
//     the instance serves the next.
//  5. An instance is dropped after a recovered panic, a Go exit, a thrown
//     call or a call timeout. Go's exit promise is never resolved: it belongs
//     to the request that started the instance, long finished. (A panic
//     counts once it reaches cfworker.Serve: authz, which recovers its
//     handlers' panics, passes them on there, server.Config.PropagatePanics.)
//  6. An instance is recycled after POOL_MAX_REQUESTS calls: a bound on
//     what anything that grows per call could hold. syumai v0.32.0's D1,
//     KV and fetch packages leak one js.Func per awaited promise;
//     edgeauth's own binding calls (its D1 driver, KV, WebCrypto, rate
//     limits) wait through jsasync.Await, which leaks nothing, and its
//     instances hold about 9.5 MiB after 25,000 calls without recycling
//     (`go run ./bench`, bench/README.md).
//  7. A 200 answer to a GET that Go marks reusable (doc.go, reuseUntil:
//     the discovery documents and the JWKS, for as long as Go's record
//     cache would keep answering them) answers the same URL again without
//     an instance, until its time or until the cache generation moves past
//     the one its call began in: within the bounds Go's own answer keeps.
//
// Settings (Worker vars, all optional): POOL_MAX_INSTANCES (1-8, default 4:
// an instance waiting on D1 serves nothing else, and 4 rotated refresh
// tokens 26-29% faster than 3 in alternating `go run ./bench` runs, while 4
// instances of at most 22 MiB stay under 90 MiB of an isolate's 128 MB),
// POOL_MAX_REQUESTS (calls before an instance is recycled, 0 = never;
// default 50000), POOL_MAX_QUEUE (default 256), POOL_QUEUE_TIMEOUT_MS
// (default 10000), POOL_CALL_TIMEOUT_MS (default 30000),
// POOL_WAITUNTIL_TIMEOUT_MS (default 30000), POOL_REUSE_ENTRIES (rule 7's
// answers kept at most, default 256, 0 = none).
//
// GET /admin/v1/pool answers the pool's counters (no request data) to
// `Authorization: Bearer $ADMIN_TOKEN`; without an ADMIN_TOKEN of 32 or more
// characters it does not exist.
import "./wasm_exec.js";
import appModule from "./app.wasm";

const STATUS_PATH = "/admin/v1/pool";
const MAX_BODY_BYTES = 1 << 20;
const MAX_DRAIN_BYTES = 64 << 20; // read and dropped past the limit before a 413 (readBody)
const START_TIMEOUT_MS = 10000;
const HANDOFF_TIMEOUT_MS = 2000; // a waiter handed an instance resumes within this, or was cancelled
const WAITER_TICK_MS = 1000; // a queued call's timer fires at least this often (rule 2)
const WAITER_STALE_MS = WAITER_TICK_MS + HANDOFF_TIMEOUT_MS; // a waiter not marked alive for this long was cancelled

// PoolError is a failure of the pool itself, answered without Go.
class PoolError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

function intVar(env, name, def, min, max) {
  const v = env?.[name];
  if (v === undefined || v === null || v === "") return def;
  const n = Number.parseInt(String(v), 10);
  if (!Number.isFinite(n)) return def;
  return Math.min(max, Math.max(min, n));
}

function settings(env) {
  return {
    maxInstances: intVar(env, "POOL_MAX_INSTANCES", 4, 1, 8),
    maxRequests: intVar(env, "POOL_MAX_REQUESTS", 50000, 0, 1e9),
    maxQueue: intVar(env, "POOL_MAX_QUEUE", 256, 0, 100000),
    queueTimeoutMs: intVar(env, "POOL_QUEUE_TIMEOUT_MS", 10000, 1, 600000),
    callTimeoutMs: intVar(env, "POOL_CALL_TIMEOUT_MS", 30000, 1, 600000),
    waitUntilTimeoutMs: intVar(env, "POOL_WAITUNTIL_TIMEOUT_MS", 30000, 1, 600000),
    reuseEntries: intVar(env, "POOL_REUSE_ENTRIES", 256, 0, 10000),
  };
}

// Reuse holds the answers of rule 7, by URL.
class Reuse {
  constructor() {
    this.entries = new Map(); // url -> { generation, until, headers, body }, oldest first
  }

  // get returns the entry of url if it may still answer, or undefined.
  get(url, generation, now) {
    const e = this.entries.get(url);
    if (e !== undefined && (e.generation !== generation || now >= e.until)) {
      this.entries.delete(url);
      return undefined;
    }
    return e;
  }

  // put keeps e under url, making room among at most max entries: ended
  // ones go first, then the oldest.
  put(url, e, max, now) {
    this.entries.delete(url);
    if (this.entries.size >= max) {
      for (const [k, old] of this.entries) if (old.generation !== e.generation || now >= old.until) this.entries.delete(k);
      for (const k of this.entries.keys()) {
        if (this.entries.size < max) break;
        this.entries.delete(k);
      }
    }
    this.entries.set(url, e);
  }
}

// spare is the module instantiated while the isolate starts, for the first
// Instance: instantiating needs neither randomness nor timers, which workerd
// forbids at global scope (running Go needs both, so Go itself starts with
// the first call). null once taken, or if instantiating failed here (the
// Instance then instantiates itself and reports any error).
let spare = instantiate();

function instantiate() {
  try {
    const go = new Go();
    return { go, wasm: new WebAssembly.Instance(appModule, go.importObject) };
  } catch {
    return null;
  }
}

// Instance is one live Go program. state: starting, idle, busy or dead.
class Instance {
  constructor(pool, id) {
    this.pool = pool;
    this.id = id;
    this.state = "starting";
    this.served = 0;
    this.inflight = null; // reject function of the call being served
    const pre = spare;
    spare = null;
    this.go = pre?.go ?? new Go();
    this.wasm = pre?.wasm ?? null;
    // Rule 5: never resolve the exit promise (it belongs to the request
    // that started this instance); learn of an exit through go.exit.
    this.go._resolveExitPromise = () => {};
    this.go.exit = (code) => this.fail("exit", `go exited with code ${code}`);
    this.rc = {
      env: undefined,
      ctx: undefined,
      binding: {}, // syumai's packages register their callbacks here; unused
      ready: undefined,
      stats: () => ({ id: this.id, served: this.served, jsRefs: this.jsRefs() }),
      // The isolate's cache generation (cfworker.Generation): an
      // instance that changed tenants, clients or keys bumps it, and every
      // instance drops its record cache before its next lookup.
      generation: () => this.pool.generation,
      bumpGeneration: () => {
        this.pool.generation++;
      },
    };
  }

  // start runs the Go program until it calls context.ready().
  async start(env, ctx) {
    this.rc.env = env;
    this.rc.ctx = ctx;
    let timer;
    const ready = new Promise((resolve, reject) => {
      this.rc.ready = resolve;
      this.inflight = reject;
      timer = setTimeout(() => reject(new PoolError(500, "instance start timed out")), START_TIMEOUT_MS);
    });
    try {
      const wasm = this.wasm ?? new WebAssembly.Instance(appModule, this.go.importObject);
      this.wasm = null;
      // The Go packages read globalThis.context once, during package
      // initialisation, which go.run executes synchronously.
      globalThis.context = this.rc;
      try {
        this.go.run(wasm).catch((e) => this.fail("exit", `go.run: ${e}`));
      } finally {
        delete globalThis.context;
      }
      await ready;
    } finally {
      clearTimeout(timer);
      this.inflight = null;
    }
  }

  jsRefs() {
    const g = this.go;
    return g.exited || !g._values ? 0 : g._values.length - g._idPool.length;
  }

  memoryBytes() {
    try {
      return this.go.exited ? 0 : this.go.mem.buffer.byteLength;
    } catch {
      return 0;
    }
  }

  // call invokes context[fn](...args, done) and resolves with the array of
  // what Go passes to done (doc.go); its first element is
  // whether Go recovered a panic. It rejects when Go throws, exits or misses
  // the timeout.
  call(fn, args, timeoutMs) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.inflight = null;
        reject(new PoolError(500, `${fn} call timed out`));
      }, timeoutMs);
      this.inflight = (e) => {
        clearTimeout(timer);
        this.inflight = null;
        reject(e);
      };
      try {
        this.rc[fn](...args, (...res) => {
          clearTimeout(timer);
          this.inflight = null;
          resolve(res);
        });
      } catch (e) {
        this.inflight?.(e);
      }
    });
  }

  // fail marks the instance dead and fails the call it serves, if any.
  // kind is one of exit, panic, start, call, waituntil.
  fail(kind, detail) {
    if (this.state === "dead") return;
    this.pool.drop(this, kind, detail);
    this.inflight?.(new PoolError(500, `instance ${this.id}: ${kind}: ${detail}`));
  }
}

// Pool holds this isolate's instances and queued calls.
//
// An instance is starting (created for the call that will start it), idle,
// handed (given to a queued call that has not resumed yet), busy or dead.
// Nothing here relies on a timer of a request other than the one waiting:
// a request that workerd cancels loses its timers, so instances it held or
// was handed are reclaimed by reap(), which every call runs when it
// arrives and every queued call's timer while it waits (rule 2); there,
// too, a queued call that its timer no longer marks alive leaves the
// queue, so no instance is handed to it.
class Pool {
  constructor() {
    this.cfg = null;
    this.nextId = 1;
    this.live = new Set(); // every instance not dead
    this.idle = []; // a stack: the most recently used instance is reused first
    this.queue = []; // waiters, oldest first (by seq)
    this.nextSeq = 1;
    this.counts = { in_fetch: 0, served: 0, reused: 0, started: 0, recycled: 0, dropped: 0, rejected: 0, reclaimed: 0, abandoned: 0, queued_total: 0 };
    this.dropReasons = {}; // reason kind -> count
    this.generation = 0; // see Instance.rc.generation
    this.reuse = new Reuse(); // rule 7
    this.endedMaxMemory = 0; // the most wasm memory an instance held when it was recycled or dropped
  }

  configure(env) {
    if (this.cfg === null) this.cfg = settings(env);
    return this.cfg;
  }

  // newInstance reserves a slot for a call that will start the instance.
  newInstance() {
    const inst = new Instance(this, this.nextId++);
    inst.since = Date.now();
    this.live.add(inst);
    this.counts.started++;
    return inst;
  }

  // acquire returns an instance for one call: an idle one, a new one (its
  // state is starting: the caller starts it) or, after a wait in the
  // queue, one handed over. A queued call holds its own timer (rule 2),
  // which marks it alive and runs reap() every WAITER_TICK_MS (sooner when
  // a handed instance falls due for reclaiming), and gives up with 503
  // after queueTimeoutMs.
  async acquire() {
    this.reap();
    const deadline = Date.now() + this.cfg.queueTimeoutMs;
    for (;;) {
      if (this.queue.length === 0) {
        if (this.idle.length > 0) {
          const inst = this.idle.pop();
          inst.state = "busy";
          inst.since = Date.now();
          return inst;
        }
        if (this.live.size < this.cfg.maxInstances) return this.newInstance();
      }
      if (this.queue.length >= this.cfg.maxQueue) {
        this.counts.rejected++;
        throw new PoolError(503, "the server is busy");
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        this.counts.rejected++;
        throw new PoolError(503, "the server is busy");
      }
      // seen: when this request last ran (reap() drops a waiter not seen
      // for WAITER_STALE_MS); handed: the instance dispatch() gave it.
      const waiter = { resolve: null, handed: null, seq: this.nextSeq++, seen: Date.now() };
      this.queue.push(waiter);
      this.counts.queued_total++;
      let timer;
      const handed = new Promise((resolve) => {
        waiter.resolve = resolve;
        // Handed an instance by another request but not resumed yet: the
        // resume may come after this request's timer, so keep one pending
        // until it does and clears it (rule 2).
        const keepPending = () => {
          if (Date.now() < deadline + HANDOFF_TIMEOUT_MS) timer = setTimeout(keepPending, WAITER_TICK_MS);
        };
        const wait = () => {
          const remaining = deadline - Date.now();
          if (remaining <= 0) {
            this.removeWaiter(waiter);
            resolve(null);
            return;
          }
          timer = setTimeout(() => {
            if (waiter.handed !== null) {
              keepPending();
              return;
            }
            waiter.seen = Date.now();
            this.requeue(waiter);
            this.reap(); // may hand this waiter an instance
            if (waiter.handed === null) wait();
          }, Math.min(remaining, WAITER_TICK_MS, this.reclaimDueIn(Date.now())));
        };
        wait();
      });
      this.dispatch();
      const inst = await handed;
      // Only this request clears its own timer, once it has resumed: a
      // request whose only pending event another request cleared counts
      // as hung in workerd.
      clearTimeout(timer);
      this.removeWaiter(waiter);
      if (inst === null) {
        this.counts.rejected++;
        throw new PoolError(503, "the server is busy");
      }
      // reap() may have taken the instance back while this request was
      // slow to resume; then queue again.
      if (inst.handedTo === waiter && (inst.state === "handed" || inst.state === "starting")) {
        inst.handedTo = null;
        inst.since = Date.now();
        if (inst.state === "handed") inst.state = "busy";
        return inst;
      }
    }
  }

  removeWaiter(waiter) {
    const i = this.queue.indexOf(waiter);
    if (i >= 0) this.queue.splice(i, 1);
  }

  // requeue puts back, in its place, a live waiter that reap() took for
  // cancelled (its timer ran more than WAITER_STALE_MS late).
  requeue(waiter) {
    if (this.queue.includes(waiter)) return;
    this.counts.abandoned--;
    let i = this.queue.length;
    while (i > 0 && this.queue[i - 1].seq > waiter.seq) i--;
    this.queue.splice(i, 0, waiter);
  }

  // reclaimDueIn is how long until reap() may take back an instance handed
  // to a waiter that has not resumed yet (Infinity if none is handed).
  reclaimDueIn(now) {
    let due = Infinity;
    for (const inst of this.live) if (inst.handedTo) due = Math.min(due, inst.since + HANDOFF_TIMEOUT_MS + 1 - now);
    return Math.max(1, due);
  }

  // stale reports whether waiter's request was cancelled: its timer
  // (rule 2) has not marked it alive for WAITER_STALE_MS.
  stale(waiter, now) {
    return now - waiter.seen > WAITER_STALE_MS;
  }

  // dispatch hands idle instances and free slots to the oldest waiters,
  // after dropping those whose request was cancelled (stale).
  dispatch() {
    const now = Date.now();
    for (let i = this.queue.length - 1; i >= 0; i--) {
      if (this.stale(this.queue[i], now)) {
        this.queue.splice(i, 1);
        this.counts.abandoned++;
      }
    }
    while (this.queue.length > 0) {
      let inst;
      if (this.idle.length > 0) {
        inst = this.idle.pop();
        inst.state = "handed";
        inst.since = Date.now();
      } else if (this.live.size < this.cfg.maxInstances) {
        inst = this.newInstance();
      } else {
        return;
      }
      const waiter = this.queue.shift();
      inst.handedTo = waiter;
      waiter.handed = inst;
      waiter.resolve(inst);
    }
  }

  // reap reclaims what cancelled requests left behind: an instance handed
  // to (or reserved for) a waiter that never resumed goes back to the pool;
  // an instance busy far longer than a call and its waitUntil work may
  // take is dropped (its request was cancelled mid-call, so its own timers
  // will never fire); then dispatch, which drops the waiters their timer
  // no longer marks alive, hands out what is free.
  reap() {
    const now = Date.now();
    const stuck = this.cfg.callTimeoutMs + this.cfg.waitUntilTimeoutMs + 5000;
    for (const inst of [...this.live]) {
      if (inst.handedTo && now - inst.since > HANDOFF_TIMEOUT_MS) {
        inst.handedTo = null;
        this.counts.reclaimed++;
        if (inst.state === "handed") {
          inst.state = "idle";
          this.idle.push(inst);
        } else {
          this.forget(inst); // a reserved slot, never started
        }
      } else if (inst.state === "busy" && now - inst.since > stuck) {
        this.drop(inst, "stuck", `busy for ${now - inst.since} ms`);
      } else if (inst.state === "starting" && !inst.handedTo && now - inst.since > START_TIMEOUT_MS + 5000) {
        this.drop(inst, "stuck", `starting for ${now - inst.since} ms`);
      }
    }
    this.dispatch();
  }

  release(inst) {
    if (inst.state === "dead") return;
    inst.rc.env = undefined;
    inst.rc.ctx = undefined;
    if (this.cfg.maxRequests > 0 && inst.served >= this.cfg.maxRequests) {
      this.counts.recycled++;
      this.forget(inst);
      return;
    }
    inst.state = "idle";
    this.idle.push(inst);
    this.dispatch();
  }

  drop(inst, kind, detail) {
    if (inst.state === "dead") return;
    this.counts.dropped++;
    this.dropReasons[kind] = (this.dropReasons[kind] || 0) + 1;
    console.error(`edgeauth pool: dropping instance ${inst.id} after ${inst.served} calls: ${kind}: ${detail}`);
    this.forget(inst);
  }

  // forget removes inst from the pool; its memory goes once nothing
  // references it.
  forget(inst) {
    this.endedMaxMemory = Math.max(this.endedMaxMemory, inst.memoryBytes());
    inst.state = "dead";
    inst.rc.env = undefined;
    inst.rc.ctx = undefined;
    this.live.delete(inst);
    const i = this.idle.indexOf(inst);
    if (i >= 0) this.idle.splice(i, 1);
    this.dispatch();
  }

  status() {
    this.reap();
    const states = { starting: 0, idle: 0, handed: 0, busy: 0 };
    const instances = [];
    for (const inst of this.live) {
      states[inst.state]++;
      instances.push({ id: inst.id, state: inst.state, served: inst.served, js_refs: inst.jsRefs(), memory_bytes: inst.memoryBytes() });
    }
    return {
      live: this.live.size,
      ...states,
      cache_generation: this.generation,
      reuse_entries: this.reuse.entries.size,
      queued: this.queue.length,
      ...this.counts,
      drop_reasons: this.dropReasons,
      limits: {
        max_instances: this.cfg.maxInstances,
        max_requests: this.cfg.maxRequests,
        max_queue: this.cfg.maxQueue,
        queue_timeout_ms: this.cfg.queueTimeoutMs,
        call_timeout_ms: this.cfg.callTimeoutMs,
        waituntil_timeout_ms: this.cfg.waitUntilTimeoutMs,
        reuse_entries: this.cfg.reuseEntries,
      },
      instances,
      ended_max_memory_bytes: this.endedMaxMemory,
    };
  }

  // run serves one call on an instance: fn is "serve" or "scheduled", args
  // its arguments before done.
  async run(fn, args, env, ctx) {
    this.configure(env);
    const inst = await this.acquire();
    const tracked = trackWaitUntil(ctx);
    if (inst.state === "starting") {
      try {
        await inst.start(env, tracked.ctx);
      } catch (e) {
        inst.fail("start", e?.message ?? String(e));
        throw e instanceof PoolError ? e : new PoolError(500, "instance start failed");
      }
      inst.state = "busy";
      inst.since = Date.now();
    }
    inst.served++;
    this.counts.served++;
    // Rule 3: this call's bindings and ExecutionContext.
    inst.rc.env = env;
    inst.rc.ctx = tracked.ctx;
    let res;
    try {
      res = await inst.call(fn, args, this.cfg.callTimeoutMs);
    } catch (e) {
      inst.fail("call", e?.message ?? String(e));
      throw e instanceof PoolError ? e : new PoolError(500, "call failed");
    }
    if (res[0]) inst.fail("panic", "recovered a panic");
    // Rule 4: the instance stays busy until its waitUntil work settles.
    if (tracked.pending.length === 0) {
      this.release(inst);
    } else {
      ctx.waitUntil(
        tracked.settled(this.cfg.waitUntilTimeoutMs).then((ok) => {
          if (!ok) inst.fail("waituntil", "waitUntil work did not settle in time");
          this.release(inst);
        }),
      );
    }
    return res;
  }
}

// trackWaitUntil wraps ctx so that the promises Go registers with
// waitUntil are known; settled resolves true once they all have (also
// those registered meanwhile), or false after timeoutMs.
function trackWaitUntil(ctx) {
  const pending = [];
  const wrapped = {
    waitUntil(p) {
      const q = Promise.resolve(p).catch(() => {});
      pending.push(q);
      ctx.waitUntil(q);
    },
    passThroughOnException() {
      ctx.passThroughOnException();
    },
    get props() {
      return ctx.props;
    },
  };
  async function settled(timeoutMs) {
    let timer;
    const timeout = new Promise((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    try {
      for (let n = 0; n < pending.length; ) {
        const upto = pending.length;
        const ok = await Promise.race([Promise.all(pending.slice(n, upto)).then(() => true), timeout]);
        if (!ok) return false;
        n = upto;
      }
      return true;
    } finally {
      clearTimeout(timer);
    }
  }
  return { ctx: wrapped, settled, pending };
}

const pool = new Pool();

function jsonResponse(status, body, extra = {}) {
  return new Response(JSON.stringify(body) + "\n", {
    status,
    headers: { "Content-Type": "application/json", "Cache-Control": "no-store", ...extra },
  });
}

function errorResponse(status, code, description, extra) {
  return jsonResponse(status, { error: code, error_description: description }, extra);
}

async function sha256(s) {
  return crypto.subtle.digest("SHA-256", new TextEncoder().encode(s));
}

// poolStatus answers STATUS_PATH: counters only, behind the admin token
// (compared in constant time over SHA-256 digests).
async function poolStatus(req, env) {
  const token = typeof env.ADMIN_TOKEN === "string" ? env.ADMIN_TOKEN : "";
  if (token.length < 32) return errorResponse(404, "not_found", "no such endpoint");
  if (req.method !== "GET") return errorResponse(405, "method_not_allowed", "method " + req.method + " is not allowed here", { Allow: "GET" });
  const got = req.headers.get("Authorization") ?? "";
  const ok = got.startsWith("Bearer ") && crypto.subtle.timingSafeEqual(await sha256(got.slice(7)), await sha256(token));
  if (!ok) return errorResponse(401, "invalid_token", "a valid admin token is required", { "WWW-Authenticate": 'Bearer error="invalid_token"' });
  pool.configure(env);
  return jsonResponse(200, pool.status());
}

// readBody returns req's body as a Uint8Array, null if it is empty, or
// undefined if it is larger than MAX_BODY_BYTES. A chunked or HTTP/2 body
// need not declare its length, so the limit holds while reading: past it,
// chunks are dropped as they come instead of kept. (Read whole, a body
// near 100 MB would exceed the isolate's 128 MB, and workerd would reset
// the isolate with every request in flight.) The rest is read to its end
// before the 413, up to MAX_DRAIN_BYTES, and only a body longer than that
// is cancelled: under wrangler dev, the request that followed an answer
// given over a cancelled body never got an answer.
async function readBody(req) {
  const declared = Number(req.headers.get("Content-Length") ?? "0");
  if (declared > MAX_BODY_BYTES) return undefined;
  const reader = req.body.getReader();
  const chunks = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (!(value instanceof Uint8Array)) throw new TypeError("a request body chunk is not a Uint8Array");
    total += value.byteLength;
    if (total <= MAX_BODY_BYTES) {
      chunks.push(value);
      continue;
    }
    chunks.length = 0;
    if (total > MAX_DRAIN_BYTES) {
      reader.cancel().catch(() => {});
      return undefined;
    }
  }
  if (total > MAX_BODY_BYTES) return undefined;
  if (total === 0) return null;
  if (chunks.length === 1) return chunks[0];
  const body = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    body.set(c, at);
    at += c.byteLength;
  }
  return body;
}

async function fetch(req, env, ctx) {
  const url = new URL(req.url);
  if (url.pathname === STATUS_PATH) return poolStatus(req, env);
  const cfg = pool.configure(env);
  const reusable = req.method === "GET" && cfg.reuseEntries > 0;
  if (reusable) {
    const e = pool.reuse.get(req.url, pool.generation, Date.now());
    if (e !== undefined) {
      pool.counts.reused++;
      return new Response(e.body, { status: 200, headers: e.headers });
    }
  }
  let body = null;
  if (req.body !== null) {
    body = await readBody(req);
    if (body === undefined) return errorResponse(413, "request_too_large", "the request body is too large");
  }
  // doc.go: one string for the method, URL and headers.
  let head = req.method + "\n" + req.url;
  for (const [name, value] of req.headers) head += "\n" + name + "\n" + value;
  const generation = pool.generation;
  let res;
  pool.counts.in_fetch++;
  try {
    res = await pool.run("serve", [head, body], env, ctx);
  } catch (e) {
    if (e instanceof PoolError && e.status === 503) {
      return errorResponse(503, "temporarily_unavailable", "the server is busy; retry shortly", { "Retry-After": "1" });
    }
    console.error("edgeauth pool:", e?.message ?? e);
    return errorResponse(500, "server_error", "the server could not complete the request");
  } finally {
    pool.counts.in_fetch--;
  }
  const [, status, resHead, resBody, reuseUntil] = res;
  const headers = [];
  if (resHead !== "") {
    const h = resHead.split("\n");
    for (let i = 0; i + 1 < h.length; i += 2) headers.push([h[i], h[i + 1]]);
  }
  // Rule 7. An answer whose call saw the generation move is not kept (get
  // would never serve it: it compares generations).
  const now = Date.now();
  if (reusable && status === 200 && reuseUntil > now && pool.generation === generation) {
    pool.reuse.put(req.url, { generation, until: reuseUntil, headers, body: resBody }, cfg.reuseEntries, now);
  }
  const nullBody = req.method === "HEAD" || [101, 204, 205, 304].includes(status);
  return new Response(nullBody ? null : resBody, { status, headers });
}

async function scheduled(controller, env, ctx) {
  const [, error] = await pool.run("scheduled", [controller.cron, controller.scheduledTime], env, ctx);
  if (error) throw new Error(error);
}

export default { fetch, scheduled };
