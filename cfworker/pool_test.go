//go:build !js

// The pool (worker.mjs and Serve) under wrangler dev, against the test
// Worker in testdata/pool: routes that do D1 and KV I/O echoing a request
// id, panic on demand, use waitUntil and report the instance's memory.
// They need EDGEAUTH_WORKERD=1 (make test-pool).

package cfworker_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/edgeauth/edgeauth/internal/wranglertest"
)

const adminToken = "pooltest-admin-token-0123456789abcdef"

// worker is a running pool test Worker.
type worker struct {
	*wranglertest.Worker
	client *http.Client
}

// start runs the pool test Worker (testdata/pool) with vars.
func start(t *testing.T, vars map[string]string) *worker {
	t.Helper()
	return startConfig(t, "cfworker/testdata/pool/wrangler.toml", vars)
}

// needWorkerd skips the test unless EDGEAUTH_WORKERD=1.
func needWorkerd(t *testing.T) {
	t.Helper()
	if os.Getenv("EDGEAUTH_WORKERD") != "1" {
		t.Skip("set EDGEAUTH_WORKERD=1 to run the pool tests under wrangler dev (make test-pool)")
	}
}

// repoRoot is the repository's root folder.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// startConfig runs the Worker of a wrangler config (relative to the
// repository's root, or absolute) with vars and ADMIN_TOKEN.
func startConfig(t *testing.T, config string, vars map[string]string) *worker {
	t.Helper()
	needWorkerd(t)
	root := repoRoot(t)
	v := map[string]string{"ADMIN_TOKEN": adminToken}
	for k, x := range vars {
		v[k] = x
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	w, err := wranglertest.Start(ctx, wranglertest.Options{
		Dir: root, Config: config, PersistTo: t.TempDir(),
		ReadyPath: "/healthz", Vars: v,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		w.Close()
		for _, bad := range []string{"different request", "hung", "Unhandled", "cross-request"} {
			if strings.Contains(w.Output(), bad) {
				t.Errorf("wrangler output mentions %q:\n%s", bad, tail(w.Output(), 4000))
			}
		}
	})
	return &worker{Worker: w, client: newClient(64)}
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// get fetches path and decodes a JSON answer into v (if not nil); it
// returns the status.
func (w *worker) get(ctx context.Context, path string, header http.Header, v any) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, w.URL+path, nil)
	if err != nil {
		return 0, err
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	resp, err := w.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, err
	}
	if v != nil && resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(body, v); err != nil {
			return resp.StatusCode, fmt.Errorf("GET %s: %v in %q", path, err, body)
		}
	}
	if v == nil || resp.StatusCode == http.StatusOK {
		return resp.StatusCode, nil
	}
	return resp.StatusCode, fmt.Errorf("GET %s = %d: %s", path, resp.StatusCode, body)
}

// echo requests route?id=id and checks that both D1 and KV answered with
// this request's id.
func (w *worker) echo(ctx context.Context, route, id string) error {
	var got struct{ ID, D1, KV string }
	if _, err := w.get(ctx, route+"?id="+id, nil, &got); err != nil {
		return err
	}
	if got.ID != id || got.D1 != "d1:"+id || got.KV != "kv:"+id {
		return fmt.Errorf("GET %s?id=%s = %+v; want id %[2]s, d1:%[2]s, kv:%[2]s", route, id, got)
	}
	return nil
}

// poolStatus is what GET /admin/v1/pool answers.
type poolStatus struct {
	Live, Idle, Busy, Queued, Served, Reused, Started, Recycled, Dropped, Rejected int
	Reclaimed, Abandoned                                                           int
	ReuseEntries                                                                   int            `json:"reuse_entries"`
	EndedMaxMemoryBytes                                                            int            `json:"ended_max_memory_bytes"`
	DropReasons                                                                    map[string]int `json:"drop_reasons"`
	Instances                                                                      []struct {
		ID, Served  int
		JSRefs      int `json:"js_refs"`
		MemoryBytes int `json:"memory_bytes"`
	}
}

func (w *worker) status(t *testing.T) poolStatus {
	t.Helper()
	var s poolStatus
	if _, err := w.get(context.Background(), "/admin/v1/pool", http.Header{"Authorization": {"Bearer " + adminToken}}, &s); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestPool(t *testing.T) {
	w := start(t, map[string]string{"POOL_MAX_INSTANCES": "3", "POOL_MAX_REQUESTS": "300", "POOL_QUEUE_TIMEOUT_MS": "30000", "POOL_MAX_QUEUE": "1000",
		"POOL_REUSE_ENTRIES": "4"})
	ctx := context.Background()

	t.Run("concurrent requests each see their own I/O", func(t *testing.T) {
		// 200 in flight on 3 instances: most wait in the pool's queue. (More
		// connections at once stall wrangler's local proxy for a minute now
		// and then, whatever the Worker.)
		res := runLoad(ctx, 1000, 200, func(ctx context.Context, i int) error {
			route := "/echo"
			if i%2 == 1 {
				route = "/echo-raw"
			}
			return w.echo(ctx, route, fmt.Sprintf("c%d", i))
		})
		if res.Errors > 0 {
			t.Errorf("%d of %d concurrent requests failed; first: %v", res.Errors, res.Requests, res.FirstErr)
		}
		if s := w.status(t); s.Live > 3 {
			t.Errorf("live instances = %d; want at most 3", s.Live)
		}
	})

	t.Run("panics are isolated", func(t *testing.T) {
		before := w.status(t).DropReasons["panic"]
		var mu sync.Mutex
		panics := 0
		res := runLoad(ctx, 400, 40, func(ctx context.Context, i int) error {
			if i%10 != 0 {
				return w.echo(ctx, "/echo-raw", fmt.Sprintf("p%d", i))
			}
			var e struct{ Error string }
			code, err := w.get(ctx, "/panic", nil, nil)
			if err != nil {
				return err
			}
			if code != http.StatusInternalServerError {
				return fmt.Errorf("GET /panic = %d; want 500", code)
			}
			_ = e
			mu.Lock()
			panics++
			mu.Unlock()
			return nil
		})
		if res.Errors > 0 {
			t.Fatalf("%d of %d requests failed; first: %v", res.Errors, res.Requests, res.FirstErr)
		}
		if got := w.status(t).DropReasons["panic"] - before; got != panics {
			t.Errorf("instances dropped for a panic = %d; want %d (one per panic)", got, panics)
		}
	})

	t.Run("a Go exit drops the instance", func(t *testing.T) {
		before := w.status(t).DropReasons["exit"]
		if code, _ := w.get(ctx, "/exit", nil, nil); code != http.StatusInternalServerError {
			t.Errorf("GET /exit = %d; want 500", code)
		}
		if got := w.status(t).DropReasons["exit"] - before; got != 1 {
			t.Errorf("instances dropped for an exit = %d; want 1", got)
		}
		if err := w.echo(ctx, "/echo", "after-exit"); err != nil {
			t.Error(err)
		}
	})

	t.Run("waitUntil work completes", func(t *testing.T) {
		var got struct{ ID string }
		if _, err := w.get(ctx, "/wait?id=w1", nil, &got); err != nil {
			t.Fatal(err)
		}
		waitFor(t, w, "/kv?key=wait:w1", "done:w1")
	})

	t.Run("cron events go through the pool", func(t *testing.T) {
		if code, err := w.get(ctx, "/cdn-cgi/handler/scheduled?cron=*/5+*+*+*+*", nil, nil); err != nil || code != http.StatusOK {
			t.Fatalf("scheduled = %d, %v; want 200", code, err)
		}
		var v struct{ Value string }
		if _, err := w.get(ctx, "/kv?key=cron:last", nil, &v); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(v.Value, "*/5 * * * * ") {
			t.Errorf("cron:last = %q; want it to start with the cron expression", v.Value)
		}
	})

	t.Run("pool status is admin only", func(t *testing.T) {
		for _, h := range []http.Header{nil, {"Authorization": {"Bearer wrong-token-wrong-token-wrong-token"}}, {"Authorization": {adminToken}}} {
			if code, _ := w.get(ctx, "/admin/v1/pool", h, nil); code != http.StatusUnauthorized {
				t.Errorf("GET /admin/v1/pool with %v = %d; want 401", h, code)
			}
		}
		req, _ := http.NewRequest(http.MethodGet, w.URL+"/admin/v1/pool", nil)
		req.Header.Set("Authorization", "Bearer "+adminToken)
		resp, err := w.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		for _, want := range []string{`"live"`, `"idle"`, `"busy"`, `"queued"`, `"dropped"`, `"recycled"`} {
			if !strings.Contains(string(body), want) {
				t.Errorf("pool status %s lacks %s", body, want)
			}
		}
		if strings.Contains(string(body), adminToken) || resp.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("pool status leaks the token or is cacheable: %s %v", body, resp.Header)
		}
	})

	t.Run("reusable answers skip Go until their time or a generation change", func(t *testing.T) {
		// Each check says whether the answer must have come from Go (a new
		// call: Served counts it, the body names a new call) or from the
		// pool's reuse (the same bytes, Reused counts it).
		last := map[string]string{} // path -> its last GET's body
		check := func(method, path string, fromGo bool) string {
			t.Helper()
			before := w.status(t)
			req, _ := http.NewRequest(method, w.URL+path, nil)
			resp, err := w.client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			after := w.status(t)
			served, reused := after.Served-before.Served, after.Reused-before.Reused
			if fromGo && (served != 1 || reused != 0) || !fromGo && (served != 0 || reused != 1) {
				t.Fatalf("%s %s: %d Go calls, %d reused (%q); want it from Go: %v", method, path, served, reused, body, fromGo)
			}
			if !fromGo && (string(body) != last[path] || resp.Header.Get("Content-Type") != "application/json") {
				t.Fatalf("%s %s reused %q (Content-Type %q); want %q as application/json", method, path, body, resp.Header.Get("Content-Type"), last[path])
			}
			if fromGo && method == "GET" && string(body) == last[path] {
				t.Fatalf("%s %s: Go answered %q again", method, path, body)
			}
			if method == "GET" {
				last[path] = string(body)
			}
			return string(body)
		}
		first := check("GET", "/reuse?ms=60000&k=a", true)
		check("GET", "/reuse?ms=60000&k=a", false)
		check("GET", "/reuse?ms=60000&k=a", false)
		check("HEAD", "/reuse?ms=60000&k=a", true)
		if check("GET", "/reuse?ms=60000&k=b", true) == first {
			t.Fatal("another URL answered from k=a's entry")
		}
		// Until its time only.
		check("GET", "/reuse?ms=1500&k=c", true)
		check("GET", "/reuse?ms=1500&k=c", false)
		time.Sleep(2 * time.Second)
		check("GET", "/reuse?ms=1500&k=c", true)
		// A cache generation change (an admin change or key rotation in
		// this isolate) ends every entry; one during the call keeps none.
		check("GET", "/reuse?ms=60000&k=a", false)
		check("GET", "/bump", true)
		check("GET", "/reuse?ms=60000&k=a", true)
		check("GET", "/reuse?ms=60000&k=a", false)
		check("GET", "/reuse?ms=60000&k=d&bump=1", true)
		check("GET", "/reuse?ms=60000&k=d&bump=1", true)
		// Only a 200 is reused, and only when Go asks.
		check("GET", "/reuse?ms=60000&k=e&status=404", true)
		check("GET", "/reuse?ms=60000&k=e&status=404", true)
		check("GET", "/reuse?ms=0&k=f", true)
		check("GET", "/reuse?ms=0&k=f", true)
		// At most POOL_REUSE_ENTRIES (4): the oldest goes first.
		for _, k := range []string{"g1", "g2", "g3", "g4", "g5"} {
			check("GET", "/reuse?ms=60000&k="+k, true)
		}
		if n := w.status(t).ReuseEntries; n != 4 {
			t.Fatalf("%d answers kept; want 4 (POOL_REUSE_ENTRIES)", n)
		}
		check("GET", "/reuse?ms=60000&k=g5", false)
		check("GET", "/reuse?ms=60000&k=g1", true)
	})

	t.Run("a body over 1 MiB without a Content-Length is refused", func(t *testing.T) {
		// Chunked, so nothing declares its length up front. That the pool
		// keeps nothing past 1 MiB while the body streams is checked
		// under Node (testdata/node/run.sh): wrangler dev's proxy hands
		// workerd a body only once it has all of it. Here: workerd's
		// streams take the same path, the request never reaches Go, and
		// the next request is answered.
		req, err := http.NewRequest(http.MethodPost, w.URL+"/kv?key=big&value=x", io.LimitReader(zeros{}, 2<<20))
		if err != nil {
			t.Fatal(err)
		}
		req.ContentLength = -1 // unknown: chunked
		// The answer comes before the body is sent: this connection is
		// not fit for another request (on it the next one waited for its
		// answer in vain).
		req.Close = true
		resp, err := w.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var e struct{ Error string }
		if resp.StatusCode != http.StatusRequestEntityTooLarge || json.Unmarshal(got, &e) != nil || e.Error != "request_too_large" {
			t.Errorf("POST of 2 MiB, chunked = %d %q; want 413 request_too_large", resp.StatusCode, got)
		}
		if code, err := w.get(ctx, "/kv?key=big", nil, nil); code != http.StatusNotFound {
			t.Errorf("GET /kv?key=big = %d, %v; want 404 (the refused request never reached Go)", code, err)
		}
		if err := w.echo(ctx, "/echo", "after-413"); err != nil {
			t.Error(err)
		}
	})

	t.Run("recycling bounds syumai's leaked callbacks", func(t *testing.T) {
		before := w.status(t).Recycled
		res := runLoad(ctx, 1000, 12, func(ctx context.Context, i int) error {
			return w.echo(ctx, "/echo", fmt.Sprintf("r%d", i))
		})
		if res.Errors > 0 {
			t.Fatalf("%d of %d requests failed; first: %v", res.Errors, res.Requests, res.FirstErr)
		}
		s := w.status(t)
		if s.Recycled == before {
			t.Errorf("no instance was recycled after %d requests with POOL_MAX_REQUESTS=300", res.Requests)
		}
		// The bench reads the memory of ended instances too (an instance
		// holds at least Go's initial heap).
		if s.EndedMaxMemoryBytes < 1<<20 {
			t.Errorf("ended_max_memory_bytes = %d after recycling; want an instance's wasm memory", s.EndedMaxMemoryBytes)
		}
		for _, in := range s.Instances {
			t.Logf("instance %d: %d calls, %d JS refs, %d bytes of wasm memory", in.ID, in.Served, in.JSRefs, in.MemoryBytes)
			// About 4 leaked references per request, 300 requests at most,
			// plus up to 32 requests' garbage (Serve collects every 32).
			if in.Served > 300 || in.JSRefs > 4000 {
				t.Errorf("instance %d: %d calls, %d JS refs; want at most 300 and 4000", in.ID, in.Served, in.JSRefs)
			}
		}
	})
}

// zeros reads as an endless run of zero bytes.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// waitFor polls path until its JSON value equals want.
func waitFor(t *testing.T, w *worker, path, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var v struct{ Value string }
		_, err := w.get(context.Background(), path, nil, &v)
		if err == nil && v.Value == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET %s = %q, %v; want %q", path, v.Value, err, want)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// instanceStats is what the test Worker's /stats answers, after a GC.
type instanceStats struct {
	Instance    int
	Served      int
	JSRefs      int    `json:"js_refs"`
	HeapAlloc   uint64 `json:"heap_alloc"`
	HeapObjects uint64 `json:"heap_objects"`
	Goroutines  int
}

// sample asks /stats three at a time, so every instance answers, and keeps
// each instance's lowest numbers.
func sample(t *testing.T, w *worker) map[int]instanceStats {
	t.Helper()
	out := map[int]instanceStats{}
	var mu sync.Mutex
	for range 10 {
		runLoad(context.Background(), 3, 3, func(ctx context.Context, _ int) error {
			var s instanceStats
			if _, err := w.get(ctx, "/stats", nil, &s); err != nil {
				t.Error(err)
				return err
			}
			mu.Lock()
			defer mu.Unlock()
			if o, ok := out[s.Instance]; ok {
				s.JSRefs = min(s.JSRefs, o.JSRefs)
				s.HeapAlloc = min(s.HeapAlloc, o.HeapAlloc)
				s.HeapObjects = min(s.HeapObjects, o.HeapObjects)
				s.Goroutines = min(s.Goroutines, o.Goroutines)
			}
			out[s.Instance] = s
			return nil
		})
	}
	return out
}

// TestPoolFlat runs 10,000 D1+KV requests on instances that are never
// recycled: the Go heap, the goroutines and the JS references each
// instance holds must not grow.
func TestPoolFlat(t *testing.T) {
	w := start(t, map[string]string{"POOL_MAX_INSTANCES": "3", "POOL_MAX_REQUESTS": "0"})
	ctx := context.Background()
	echo := func(ctx context.Context, i int) error { return w.echo(ctx, "/echo-raw", fmt.Sprintf("f%d", i%100)) }
	if res := runLoad(ctx, 1000, 8, echo); res.Errors > 0 {
		t.Fatalf("warm-up: %d of %d requests failed; first: %v", res.Errors, res.Requests, res.FirstErr)
	}
	before := sample(t, w)
	res := runLoad(ctx, 10000, 12, echo)
	if res.Errors > 0 {
		t.Fatalf("%d of %d requests failed; first: %v", res.Errors, res.Requests, res.FirstErr)
	}
	t.Logf("10,000 D1+KV requests in %v (%.0f req/s)", res.Elapsed.Round(time.Millisecond), res.PerSecond())
	after := sample(t, w)
	compared := 0
	for id, a := range after {
		b, ok := before[id]
		if !ok {
			continue
		}
		compared++
		t.Logf("instance %d: %d -> %d calls; heap %d -> %d B (%d -> %d objects); JS refs %d -> %d; goroutines %d -> %d",
			id, b.Served, a.Served, b.HeapAlloc, a.HeapAlloc, b.HeapObjects, a.HeapObjects, b.JSRefs, a.JSRefs, b.Goroutines, a.Goroutines)
		if a.Served-b.Served < 1000 {
			continue // this instance did little of the work
		}
		if grew := int64(a.HeapAlloc) - int64(b.HeapAlloc); grew > 256<<10 {
			t.Errorf("instance %d: Go heap grew by %d B over %d requests; want at most 256 KiB", id, grew, a.Served-b.Served)
		}
		if grew := a.JSRefs - b.JSRefs; grew > 50 {
			t.Errorf("instance %d: JS references grew by %d over %d requests; want at most 50", id, grew, a.Served-b.Served)
		}
		if a.Goroutines > b.Goroutines {
			t.Errorf("instance %d: goroutines %d -> %d", id, b.Goroutines, a.Goroutines)
		}
	}
	if compared == 0 {
		t.Fatalf("no instance answered /stats both before and after: %v, %v", before, after)
	}
	if s := w.status(t); s.Dropped != 0 || s.Recycled != 0 {
		t.Errorf("pool dropped %d and recycled %d instances; want none", s.Dropped, s.Recycled)
	}
}
