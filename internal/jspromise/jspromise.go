//go:build js && wasm

// Package jspromise waits for JavaScript promises from Go without leaking:
// syumai/workers' helper releases only the callback that ran, so every
// awaited promise left one js.Func behind, which a long-lived instance of
// the pool would accumulate. Every binding call edgeauth makes itself (D1
// batches, KV, WebCrypto, rate limits) waits through Await.
package jspromise

import (
	"errors"
	"syscall/js"
)

// Await blocks the calling goroutine until promise settles and returns its
// value, or an error carrying the rejection's message. Both callbacks are
// released whichever runs. Call it from a goroutine (a handler's is one),
// never synchronously inside a js.FuncOf callback.
func Await(promise js.Value) (js.Value, error) {
	type result struct {
		v   js.Value
		err error
	}
	ch := make(chan result, 1)
	onFulfilled := js.FuncOf(func(_ js.Value, args []js.Value) any {
		ch <- result{v: arg0(args)}
		return nil
	})
	onRejected := js.FuncOf(func(_ js.Value, args []js.Value) any {
		msg := "promise rejected"
		if r := arg0(args); !r.IsUndefined() && !r.IsNull() {
			msg = r.Call("toString").String()
		}
		ch <- result{err: errors.New(msg)}
		return nil
	})
	promise.Call("then", onFulfilled, onRejected)
	r := <-ch
	onFulfilled.Release()
	onRejected.Release()
	return r.v, r.err
}

func arg0(args []js.Value) js.Value {
	if len(args) == 0 {
		return js.Undefined()
	}
	return args[0]
}
