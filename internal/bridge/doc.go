// Package bridge is the Go half of edgeauth's Worker runtime: it lets one
// live Go wasm instance serve many requests and cron events, one at a time,
// for the pool of instances that cmd/worker/worker.mjs keeps per isolate
// (DESIGN.md, Runtime). It replaces syumai/workers' Serve, whose Go program
// exits after one response.
//
// The JavaScript half creates an instance, sets a runtime context object as
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
// The pool sets context.env and context.ctx before every call, so syumai's
// D1 and KV packages and cloudflare.Getenv, which read them lazily, always
// see the bindings and the ExecutionContext of the request being served.
//
// Invariants:
//   - An instance serves one call at a time; the pool guarantees it, and
//     all JavaScript I/O its goroutines start belongs to that call. Calls
//     run on one long-lived goroutine, in the order they arrive.
//   - A response is buffered whole and handed over when the handler
//     returns; OAuth responses are small, and the instance is then free.
//   - A recovered panic answers 500 and reports panicked, after which the
//     pool drops the instance: state it held may be half-updated. The 500
//     replaces whatever the handler had written (nothing has been sent).
//     A handler that recovers its own panics hides them from here: authz
//     passes them on only with Config.PropagatePanics, which cmd/worker
//     sets.
//   - Nothing here keeps per-request data between calls.
//   - Awaiting a promise goes through internal/jsutil, which releases
//     both of its callbacks (syumai v0.32.0's AwaitPromise leaks the one
//     that did not run).
//
// The package builds only for js/wasm.
package bridge
