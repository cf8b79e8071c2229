//go:build js && wasm

package cfworker

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"syscall/js"
	"time"

	"github.com/edgeauth/edgeauth/internal/jsasync"
)

// Bounds of FetchTransport when its fields are zero.
const (
	DefaultFetchTimeout = 10 * time.Second
	DefaultMaxFetchBody = 1 << 20
)

// FetchTransport is an http.RoundTripper over the runtime's fetch, for Go
// code that talks to other servers from the Worker (the upstream
// identity providers of package connections, through golang.org/x/oauth2).
//
// Unlike syumai/workers' fetch transport (v0.32.0) it keeps its promise
// to stop: a round trip ends when the request's context is done or after
// Timeout, whichever is first, by aborting the fetch with an
// AbortController, so the promise it awaits settles and no callback is
// left to run into a later call of the instance (worker.mjs, rule 1); it
// awaits through Await, which releases both callbacks. Redirects are not
// followed: a 3xx is the answer (fetch's redirect "manual"). The response
// body is read whole, at most MaxBody bytes, before RoundTrip returns, so
// no stream of a call outlives it.
type FetchTransport struct {
	// Timeout bounds a round trip, the body's read included; the request
	// context's deadline wins when it is earlier. Zero means
	// DefaultFetchTimeout.
	Timeout time.Duration
	// MaxBody bounds the response body; a longer one is an error. Zero
	// means DefaultMaxFetchBody.
	MaxBody int64
}

// JavaScript constructors, looked up once.
var (
	jsHeaders         = js.Global().Get("Headers")
	jsAbortController = js.Global().Get("AbortController")
	jsObject          = js.Global().Get("Object")
	jsArray           = js.Global().Get("Array")
)

// ErrFetchBodyTooLarge is returned when a response body is longer than
// FetchTransport.MaxBody.
var ErrFetchBodyTooLarge = errors.New("cfworker: fetch: response body too large")

// RoundTrip implements http.RoundTripper.
func (t FetchTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	timeout := t.Timeout
	if timeout <= 0 {
		timeout = DefaultFetchTimeout
	}
	maxBody := t.MaxBody
	if maxBody <= 0 {
		maxBody = DefaultMaxFetchBody
	}
	ctx, cancel := context.WithTimeout(req.Context(), timeout)
	defer cancel()
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("cfworker: fetch: %w", err)
	}
	init, err := fetchInit(req)
	if err != nil {
		return nil, err
	}
	ctrl := jsAbortController.New()
	init.Set("signal", ctrl.Get("signal"))
	// Registered after cancel: it runs first and stops the abort, which
	// would otherwise fire at cancel once the round trip is over.
	stop := context.AfterFunc(ctx, func() { ctrl.Call("abort") })
	defer stop()

	fetch := js.Global().Get("fetch")
	if fetch.Type() != js.TypeFunction {
		return nil, errors.New("cfworker: fetch is not available")
	}
	resp, err := jsasync.Await(fetch.Invoke(req.URL.String(), init))
	if err != nil {
		return nil, fetchError(ctx, err)
	}
	body, err := readBody(resp, maxBody)
	if err != nil {
		return nil, fetchError(ctx, err)
	}
	status := resp.Get("status").Int()
	return &http.Response{
		Status: strconv.Itoa(status) + " " + resp.Get("statusText").String(), StatusCode: status,
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: responseHeader(resp.Get("headers")), Body: io.NopCloser(bytes.NewReader(body)),
		ContentLength: int64(len(body)), Request: req,
	}, nil
}

// fetchInit is the RequestInit of req: method, headers, body (read whole,
// at most DefaultMaxFetchBody) and redirect "manual".
func fetchInit(req *http.Request) (js.Value, error) {
	init := jsObject.New()
	init.Set("method", req.Method)
	init.Set("redirect", "manual")
	h := jsHeaders.New()
	for name, values := range req.Header {
		for _, v := range values {
			h.Call("append", name, v)
		}
	}
	init.Set("headers", h)
	if req.Body != nil && req.Body != http.NoBody {
		defer req.Body.Close()
		b, err := io.ReadAll(io.LimitReader(req.Body, DefaultMaxFetchBody+1))
		if err != nil {
			return js.Value{}, fmt.Errorf("cfworker: fetch: reading the request body: %w", err)
		}
		if len(b) > DefaultMaxFetchBody {
			return js.Value{}, errors.New("cfworker: fetch: request body too large")
		}
		init.Set("body", jsasync.Bytes(b))
	}
	return init, nil
}

// readBody reads resp's body whole, chunk by chunk, failing once it passes
// limit (the rest is cancelled, never read).
func readBody(resp js.Value, limit int64) ([]byte, error) {
	stream := resp.Get("body")
	if stream.IsNull() || stream.IsUndefined() {
		return nil, nil
	}
	reader := stream.Call("getReader")
	var out []byte
	for {
		r, err := jsasync.Await(reader.Call("read"))
		if err != nil {
			return nil, err
		}
		if r.Get("done").Truthy() {
			return out, nil
		}
		out = append(out, jsasync.GoBytes(r.Get("value"))...)
		if int64(len(out)) > limit {
			reader.Call("cancel")
			return nil, fmt.Errorf("%w: more than %d bytes", ErrFetchBodyTooLarge, limit)
		}
	}
}

// responseHeader copies a Headers object.
func responseHeader(h js.Value) http.Header {
	out := http.Header{}
	entries := jsArray.Call("from", h)
	for i, n := 0, entries.Length(); i < n; i++ {
		kv := entries.Index(i)
		out.Add(kv.Index(0).String(), kv.Index(1).String())
	}
	return out
}

// fetchError is the error of a failed fetch: the context's when it ended
// the fetch (its abort rejects the promise), else the fetch's own.
func fetchError(ctx context.Context, err error) error {
	if errors.Is(err, ErrFetchBodyTooLarge) {
		return err
	}
	if ctx.Err() != nil {
		return fmt.Errorf("cfworker: fetch: %w", ctx.Err())
	}
	return fmt.Errorf("cfworker: fetch: %w", err)
}
