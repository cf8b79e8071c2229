// Package cfworker is edgeauth's Cloudflare Workers runtime: what lets a Go
// program built with GOOS=js GOARCH=wasm serve a Worker's requests and cron
// events, and reach the services of the Workers platform. It has two halves
// and a few helpers:
//
//   - worker.mjs, the Worker's JavaScript entry, keeps a pool of live Go
//     wasm instances per isolate (DESIGN.md, Runtime). It replaces the
//     worker.mjs that syumai/workers generates, which starts a new Go
//     program for every request (about 10 ms each) and so can keep nothing
//     in memory.
//   - Serve, the Go half, lets one instance serve many calls, one after
//     another; syumai/workers' Serve exits after one response.
//   - Go code that calls JavaScript itself (storage/sqlstore's D1
//     batches, storage/kv's Workers KV, verify's WebCrypto, the helpers
//     here) waits and copies bytes through internal/jsasync.
//   - PBKDF2SHA512 and SignBackend hash passwords and sign tokens through
//     WebCrypto (crypto.subtle), which workerd runs natively, where Go's
//     SHA-2, ECDSA and RSA compiled to wasm are ten times slower or worse.
//     Natively authz uses Go's crypto; the two agree (tested: the same
//     PBKDF2 bytes, signatures Go verifies).
//   - FetchTransport is an http.RoundTripper over the runtime's fetch that
//     stops when its request's context ends (an AbortController), reads
//     bodies whole within a bound, and follows no redirect: the upstream
//     sign-in's HTTP (package connections, golang.org/x/oauth2) goes
//     through it.
//   - RateLimiter is ratelimit.Limiter over the Workers Rate Limiting
//     bindings, and Generation the record caches' generation, shared by
//     the instances of an isolate.
//
// Besides the standard library the package imports only edgeauth's
// ratelimit (internal/layering allows syumai/workers too, and nothing
// else), so any Go Worker can run on it: examples/resource-worker does. It
// reads bindings from the runtime context object itself, not through
// syumai's cloudflare package, whose initialisation fails without a
// runtime context: this package's own tests run under plain Node.
//
// # Use
//
// A Worker's main builds its handler from the bindings (cloudflare.Getenv,
// syumai's D1 and KV packages, which read the current call's env) and ends
// with
//
//	cfworker.Serve(cfworker.Handlers{HTTP: h, Scheduled: cron})
//
// Its bundle is three files side by side: this folder's worker.mjs as it
// is, Go's own wasm_exec.js from $(go env GOROOT)/lib/wasm (it must match
// the toolchain that built the wasm) and app.wasm; wrangler.toml's main
// names worker.mjs. `make build-worker` builds edgeauth's (cmd/worker) so,
// `make build-resource-worker` the example's. The pool's settings are
// Worker vars (POOL_MAX_INSTANCES and others, all optional), described at
// the top of worker.mjs, which also serves the pool's counters at
// GET /admin/v1/pool to `Authorization: Bearer $ADMIN_TOKEN`.
//
// # How the halves talk
//
// worker.mjs creates an instance, sets a runtime context object as
// globalThis.context while go.run executes synchronously, and removes it
// again. This package, like syumai/workers' packages, reads that object
// once at package initialisation, so every instance keeps its own. Serve
// then registers two functions on it and signals readiness:
//
//	context.serve(head, body, done)              body: Uint8Array|null
//	    done(panicked, status, head, body, reuseUntil) once the handler has returned
//	context.scheduled(cron, scheduledTime, done) scheduledTime: ms since the epoch
//	    done(panicked, error) once the job has returned; error "" on success
//
// A request's head is one string, "method\nurl" followed by "\nname\nvalue"
// per header; a response's head is "name\nvalue" pairs joined by "\n" (HTTP
// forbids CR and LF in names and values). Positional arguments and one
// string per direction, not objects: every JavaScript value Go holds
// carries a finalizer, every property access is a call across the wasm
// boundary, and these were the largest costs of a small request (measured
// with node --cpu-prof: runtime.addspecial 18% of the CPU of GET /healthz
// with an object per header, syscall/js.valueSet next).
//
// reuseUntil is 0, or the time (ms since the epoch) until which the pool may
// answer the same GET request (same URL) with this 200 response without
// calling Go, as long as the isolate's cache generation stays what it was
// when the call began: a handler asks for it through the ResponseWriter's
// ReuseUntil(time.Time) method (authz does for the discovery documents and
// the JWKS, for as long as its record cache keeps them).
//
// # Invariants
//
// Each was learnt from a failure under load. worker.mjs numbers the same
// rules, and comments elsewhere cite them by number ("worker.mjs, rule 5").
//
//  1. An instance serves ONE call (request or cron event) at a time, so all
//     JavaScript I/O its goroutines start belongs to that call. Serve runs
//     the calls on one long-lived goroutine, in the order they arrive. New
//     instances start on demand up to POOL_MAX_INSTANCES (each holds 6-22
//     MiB of wasm memory that never shrinks); further calls queue.
//  2. A queued call owns a pending timer: workerd cancels as hung a request
//     that only awaits a promise another request will resolve. It stays
//     pending after another request hands the call an instance, until the
//     call resumes. The timer also lets the pool notice cancelled
//     requests: their queued calls leave the queue, and an instance handed
//     to one returns to the pool.
//  3. context.env and context.ctx are set before every call, so syumai's
//     packages and cloudflare.Getenv, which read them lazily, always see
//     the bindings and the ExecutionContext of the call being served.
//  4. An instance stays busy until the ctx.waitUntil promises registered
//     during its call have settled, so no goroutine of one call runs while
//     the instance serves the next.
//  5. An instance is dropped after a recovered panic, a Go exit, a thrown
//     call or a call timeout: state it held may be half-updated. A
//     recovered panic answers one clean JSON 500, which replaces whatever
//     the handler had written (a response is buffered whole until the
//     handler returns, so nothing has been sent). A handler that recovers
//     its own panics hides them from Serve: authz passes them on only with
//     Config.PropagatePanics, which cmd/worker sets.
//  6. An instance is recycled after POOL_MAX_REQUESTS calls (default
//     50,000): a bound on what anything that grows per call could hold.
//     syumai v0.32.0's D1, KV and fetch packages leak one js.Func per
//     awaited promise; jsasync.Await, through which edgeauth's own binding
//     calls wait (its D1 driver in storage/sqlstore included), releases
//     both of its callbacks.
//  7. A 200 answer to a GET that Go marks reusable answers the same URL
//     again without an instance, until its time or until the cache
//     generation moves past the one its call began in: within the bounds
//     Go's own answer keeps.
//
// Nothing here keeps per-request data between calls; memory that survives
// a call holds only caches with bounded lifetimes.
//
// # Tests
//
// bridge_test.go, fetch_test.go and webcrypto_test.go run under Node (GOOS=js GOARCH=wasm
// with Go's go_js_wasm_exec on PATH; make unit). pool_test.go runs the pool
// under wrangler dev against the test Worker in testdata/pool, and
// edgeauth_test.go against edgeauth's own Worker built with
// -tags pooltestpanic; both need EDGEAUTH_WORKERD=1 (make test-pool).
// testdata/node/run.sh runs worker.mjs under Node for what wrangler dev's
// proxy hides (make test-pool runs it too).
//
// The Go code builds only for js/wasm; on other platforms the package is
// this documentation and its wrangler dev tests.
package cfworker
