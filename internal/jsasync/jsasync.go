//go:build js && wasm

// Package jsasync is what Go code on js/wasm needs to use the JavaScript
// runtime's asynchronous APIs (bindings, WebCrypto, fetch): waiting for a
// promise, and copying bytes across. It imports only syscall/js, so any
// package may use it, verify included.
package jsasync

import (
	"errors"
	"syscall/js"
)

// Await blocks the calling goroutine until promise settles and returns its
// value, or an error carrying the rejection's message. Both callbacks are
// released whichever runs: syumai/workers' own helper (v0.32.0) releases
// only the one that ran, so every promise it awaits leaves a js.Func behind,
// which a long-lived instance of the pool would accumulate. Every binding
// call edgeauth makes itself (D1 batches, KV, WebCrypto, rate limits) waits
// through Await. Call it from a goroutine (a handler's is one), never
// synchronously inside a js.FuncOf callback.
func Await(promise js.Value) (js.Value, error) {
	type settled struct {
		v   js.Value
		err error
	}
	ch := make(chan settled, 1)
	onFulfilled := js.FuncOf(func(_ js.Value, args []js.Value) any {
		ch <- settled{v: arg0(args)}
		return nil
	})
	onRejected := js.FuncOf(func(_ js.Value, args []js.Value) any {
		msg := "promise rejected"
		if r := arg0(args); !r.IsUndefined() && !r.IsNull() {
			msg = r.Call("toString").String()
		}
		ch <- settled{err: errors.New(msg)}
		return nil
	})
	promise.Call("then", onFulfilled, onRejected)
	r := <-ch
	onFulfilled.Release()
	onRejected.Release()
	return r.v, r.err
}

// uint8Array is the constructor, looked up once: every js.Value Go holds
// costs a finalizer.
var uint8Array = js.Global().Get("Uint8Array")

// Bytes copies b into a new Uint8Array.
func Bytes(b []byte) js.Value {
	a := uint8Array.New(len(b))
	js.CopyBytesToJS(a, b)
	return a
}

// GoBytes copies the bytes of v, a Uint8Array or an ArrayBuffer.
func GoBytes(v js.Value) []byte {
	if !v.InstanceOf(uint8Array) {
		v = uint8Array.New(v) // a view of the buffer, not a copy
	}
	b := make([]byte, v.Get("byteLength").Int())
	js.CopyBytesToGo(b, v)
	return b
}

func arg0(args []js.Value) js.Value {
	if len(args) == 0 {
		return js.Undefined()
	}
	return args[0]
}
