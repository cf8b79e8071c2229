//go:build js && wasm

package cfworker

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"syscall/js"
	"time"

	"github.com/edgeauth/edgeauth/internal/jsasync"
)

// rc is this instance's runtime context object. worker.mjs sets it as
// globalThis.context only while go.run executes synchronously, which covers
// package initialisation; reading it later would see another instance's.
var rc = js.Global().Get("context")

// callDeadline bounds one handler's context. worker.mjs gives a call
// POOL_CALL_TIMEOUT_MS (30 s by default) before it drops the instance; the
// handler's context ends a little earlier so that well-behaved I/O gives up
// first.
const callDeadline = 25 * time.Second

// ScheduledEvent is one cron trigger.
type ScheduledEvent struct {
	// Cron is the cron expression that fired, as in wrangler.toml.
	Cron string
	// ScheduledTime is when the event was scheduled to run, in UTC.
	ScheduledTime time.Time
}

// Handlers are what an instance serves.
type Handlers struct {
	// HTTP serves fetch events. Required.
	HTTP http.Handler
	// Scheduled runs cron events; nil fails every cron event with an error.
	Scheduled func(ctx context.Context, e ScheduledEvent) error
}

// Serve registers h with the pool's JavaScript half, signals that the
// instance is ready and blocks forever. Call it once, at the end of main.
func Serve(h Handlers) {
	if rc.IsUndefined() || rc.IsNull() {
		panic("cfworker: no runtime context; run this program under cfworker/worker.mjs")
	}
	if h.HTTP == nil {
		panic("cfworker: Handlers.HTTP is nil")
	}
	// Calls run one after another on one long-lived goroutine (the pool
	// sends an instance one call at a time), whose stack has grown to what
	// a handler needs: a new goroutine per call grew and copied its stack
	// on every request. The channel's one slot means the JavaScript
	// callbacks below never block, even if the next call arrives while
	// the goroutine is still collecting after the last one.
	calls := make(chan func(), 1)
	go func() {
		for call := range calls {
			call()
			collect()
		}
	}()
	// These two functions live as long as the instance; they are never
	// released.
	rc.Set("serve", js.FuncOf(func(_ js.Value, args []js.Value) any {
		head, body, done := args[0], args[1], args[2]
		calls <- func() {
			r := serveHTTP(h.HTTP, head, body)
			done.Invoke(r.panicked, r.status, r.head, r.body, r.reuseUntil)
		}
		return nil
	}))
	rc.Set("scheduled", js.FuncOf(func(_ js.Value, args []js.Value) any {
		cron, when, done := args[0].String(), args[1].Float(), args[2]
		calls <- func() {
			panicked, errMsg := runScheduled(h.Scheduled, cron, when)
			done.Invoke(panicked, errMsg)
		}
		return nil
	}))
	rc.Call("ready")
	select {}
}

// gcEvery is how many calls pass between forced collections. A js.Value
// keeps its JavaScript object alive until Go's collector finalises it, and
// a small Go heap is seldom collected: a D1+KV request leaves about 60 such
// references behind, so without this a long-lived instance would pin tens
// of thousands of JavaScript objects. A collection of this heap (well under
// 1 MiB) takes well under a millisecond.
const gcEvery = 32

var served int // touched only by the goroutine that runs the calls

func collect() {
	served++
	if served%gcEvery == 0 {
		runtime.GC()
	}
}

// result is what done receives for one request (doc.go).
type result struct {
	panicked   bool
	status     int
	head       string
	body       js.Value // a Uint8Array, or null
	reuseUntil float64  // ms since the epoch; 0: not reusable
}

// serveHTTP runs one request through h.
func serveHTTP(h http.Handler, head, body js.Value) result {
	w := &responseWriter{header: http.Header{}}
	req, err := toRequest(head.String(), body)
	if err != nil {
		w.fail(http.StatusBadRequest, "invalid_request", "the request could not be read")
		return w.result(false)
	}
	ctx, cancel := context.WithTimeout(context.Background(), callDeadline)
	defer cancel()
	panicked := serveRecover(h, w, req.WithContext(ctx))
	return w.result(panicked)
}

// serveRecover calls h and recovers a panic, answering 500 in place of
// whatever the handler had written: headers, status, part of a body, a
// ReuseUntil (nothing has been sent yet: the response is buffered).
// http.ErrAbortHandler is a panic too: the instance is dropped either way.
func serveRecover(h http.Handler, w *responseWriter, r *http.Request) (panicked bool) {
	defer func() {
		if p := recover(); p != nil {
			panicked = true
			fmt.Fprintf(os.Stderr, "cfworker: panic serving %s %s: %v\n%s", r.Method, r.URL.Path, p, debug.Stack())
			w.fail(http.StatusInternalServerError, "server_error", "the server could not complete the request")
		}
	}()
	h.ServeHTTP(w, r)
	return false
}

// runScheduled runs f for one cron event; errMsg is empty on success.
func runScheduled(f func(context.Context, ScheduledEvent) error, cron string, whenMs float64) (panicked bool, errMsg string) {
	if f == nil {
		return false, "cfworker: no scheduled handler"
	}
	ev := ScheduledEvent{Cron: cron, ScheduledTime: time.UnixMilli(int64(whenMs)).UTC()}
	ctx, cancel := context.WithTimeout(context.Background(), callDeadline)
	defer cancel()
	defer func() {
		if p := recover(); p != nil {
			fmt.Fprintf(os.Stderr, "cfworker: panic in scheduled %q: %v\n%s", ev.Cron, p, debug.Stack())
			panicked, errMsg = true, "cfworker: scheduled handler panicked"
		}
	}()
	if err := f(ctx, ev); err != nil {
		return false, err.Error()
	}
	return false, ""
}

// toRequest builds a request from the head and body worker.mjs passes
// (doc.go has the head's format).
func toRequest(rawHead string, b js.Value) (*http.Request, error) {
	head := strings.Split(rawHead, "\n")
	if len(head) < 2 || len(head)%2 != 0 {
		return nil, errors.New("cfworker: malformed request head")
	}
	u, err := url.Parse(head[1])
	if err != nil {
		return nil, err
	}
	var body []byte
	if !b.IsNull() && !b.IsUndefined() {
		body = jsasync.GoBytes(b)
	}
	header := make(http.Header, len(head)/2-1)
	for i := 2; i < len(head); i += 2 {
		header.Add(head[i], head[i+1])
	}
	r := &http.Request{
		Method:        head[0],
		URL:           u,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        header,
		Host:          u.Host,
		RequestURI:    u.RequestURI(),
		ContentLength: int64(len(body)),
		Body:          http.NoBody,
		RemoteAddr:    header.Get("Cf-Connecting-Ip"),
	}
	if len(body) > 0 {
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	return r, nil
}

// responseWriter buffers a response. The first WriteHeader wins, as in
// net/http.
type responseWriter struct {
	header     http.Header
	status     int
	body       bytes.Buffer
	reuseUntil time.Time
}

// ReuseUntil lets the pool answer the same GET request (same URL) with
// this response, without calling the handler, until t or until the
// isolate's cache generation changes (doc.go). Only a 200 is reused.
func (w *responseWriter) ReuseUntil(t time.Time) { w.reuseUntil = t }

func (w *responseWriter) Header() http.Header { return w.header }

func (w *responseWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}

func (w *responseWriter) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return w.body.Write(p)
}

// fail replaces whatever was written with a JSON error.
func (w *responseWriter) fail(status int, code, desc string) {
	w.header = http.Header{}
	w.header.Set("Content-Type", "application/json")
	w.header.Set("Cache-Control", "no-store")
	w.status = status
	w.reuseUntil = time.Time{}
	w.body.Reset()
	fmt.Fprintf(&w.body, `{"error":%q,"error_description":%q}`+"\n", code, desc)
}

func (w *responseWriter) result(panicked bool) result {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	var head strings.Builder
	for name, vs := range w.header {
		for _, v := range vs {
			if strings.ContainsAny(name, "\r\n") || strings.ContainsAny(v, "\r\n") {
				// The Response constructor would throw; answer the
				// error here, with a cause in the log.
				fmt.Fprintf(os.Stderr, "cfworker: header %q has a line break; answering 500\n", name)
				w.fail(http.StatusInternalServerError, "server_error", "the server could not complete the request")
				return w.result(panicked)
			}
			if head.Len() > 0 {
				head.WriteByte('\n')
			}
			head.WriteString(name)
			head.WriteByte('\n')
			head.WriteString(v)
		}
	}
	r := result{panicked: panicked, status: w.status, head: head.String(), body: js.Null()}
	if w.status == http.StatusOK && !w.reuseUntil.IsZero() {
		r.reuseUntil = float64(w.reuseUntil.UnixMilli())
	}
	if w.body.Len() > 0 {
		r.body = jsasync.Bytes(w.body.Bytes())
	}
	return r
}

// InstanceStats describes the instance serving the current call.
type InstanceStats struct {
	// ID is the pool's number for the instance, unique per isolate.
	ID int
	// Served counts the calls the instance has started, this one included.
	Served int
	// JSRefs counts the JavaScript values the Go program holds references
	// to (wasm_exec.js's reference table, minus freed slots).
	JSRefs int
}

// Stats reports on the instance serving the current call. JSRefs falls as
// Go's garbage collector finalises js.Values, so call runtime.GC first for
// a stable number.
func Stats() InstanceStats {
	s := rc.Call("stats")
	return InstanceStats{ID: s.Get("id").Int(), Served: s.Get("served").Int(), JSRefs: s.Get("jsRefs").Int()}
}

// Generation is the cache generation shared by the instances of this
// isolate (worker.mjs keeps the counter): it satisfies
// storage/storecache.Generation, so a change one instance makes drops the
// record caches of all of them. Its methods are cheap synchronous calls
// into JavaScript.
type Generation struct{}

// Load returns the isolate's generation.
func (Generation) Load() uint64 { return uint64(rc.Call("generation").Float()) }

// Bump increments the isolate's generation.
func (Generation) Bump() { rc.Call("bumpGeneration") }
