//go:build js && wasm

package kv

import (
	"context"
	"fmt"
	"syscall/js"
	"time"

	"github.com/edgeauth/edgeauth/internal/jsasync"

	"github.com/edgeauth/edgeauth/storage"
	"github.com/syumai/workers/cloudflare"
	cfkv "github.com/syumai/workers/cloudflare/kv"
)

// Workers is a storage.KV over a Workers KV namespace binding. It looks the
// binding up in the current runtime context on every call, so one value
// stays valid when the environment is set anew for each request.
type Workers struct {
	binding string
}

var _ storage.KV = (*Workers)(nil)

// NewWorkers returns a KV over the namespace bound as binding (e.g. "KV")
// in wrangler.toml. It fails if the binding is missing. It must be called
// while a runtime context is set (inside a request or a test run by the
// Worker).
func NewWorkers(binding string) (storage.KV, error) {
	if _, err := namespace(binding); err != nil {
		return nil, err
	}
	return &Workers{binding: binding}, nil
}

// namespace resolves the binding; syumai's lookup panics without a runtime
// context, which becomes an error here.
func namespace(binding string) (ns *cfkv.Namespace, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("kv: binding %q: %v", binding, r)
		}
	}()
	ns, err = cfkv.NewNamespace(binding)
	if err != nil {
		return nil, fmt.Errorf("kv: binding %q: %w", binding, err)
	}
	return ns, nil
}

// Get implements storage.KV. It calls the binding's get with type
// "arrayBuffer" directly: syumai's GetString decodes the value as UTF-8 and
// reports a missing key as the string "<null>", and GetReader fails on a
// missing key, while arrayBuffer keeps bytes intact and reports a missing
// key as null.
func (w *Workers) Get(_ context.Context, key string) (value []byte, err error) {
	if err := checkKey("get", key); err != nil {
		return nil, err
	}
	opts := js.Global().Get("Object").New()
	opts.Set("type", "arrayBuffer")
	v, err := w.call("get", key, opts)
	if err != nil {
		return nil, err
	}
	if v.IsNull() || v.IsUndefined() {
		return nil, fmt.Errorf("kv: get: %w", storage.ErrNotFound)
	}
	return jsasync.GoBytes(v), nil
}

// Put implements storage.KV. Workers KV counts expiry in whole seconds; a
// fractional ttl is rounded up.
func (w *Workers) Put(_ context.Context, key string, value []byte, ttl time.Duration) (err error) {
	if err := checkKey("put", key); err != nil {
		return err
	}
	if err := checkTTL(ttl); err != nil {
		return err
	}
	secs := int((ttl + time.Second - 1) / time.Second)
	opts := js.Global().Get("Object").New()
	opts.Set("expirationTtl", secs)
	_, err = w.call("put", key, jsasync.Bytes(value), opts)
	return err
}

// Delete implements storage.KV.
func (w *Workers) Delete(_ context.Context, key string) (err error) {
	if err := checkKey("delete", key); err != nil {
		return err
	}
	_, err = w.call("delete", key)
	return err
}

// call calls method (get, put or delete) on the binding and waits for its
// promise through jsasync.Await, which releases its callbacks (syumai's own
// await leaves one js.Func behind per call); a panic of syscall/js is an
// error.
func (w *Workers) call(method string, args ...any) (v js.Value, err error) {
	if _, err := namespace(w.binding); err != nil {
		return js.Undefined(), err
	}
	defer func() {
		if r := recover(); r != nil {
			v, err = js.Undefined(), fmt.Errorf("kv: %s: %v", method, r)
		}
	}()
	if v, err = jsasync.Await(cloudflare.GetBinding(w.binding).Call(method, args...)); err != nil {
		return v, fmt.Errorf("kv: %s: %w", method, err)
	}
	return v, nil
}
