//go:build js && wasm

package cfworker

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"syscall/js"
	"testing"
	"time"

	"github.com/edgeauth/edgeauth/internal/jsasync"

	"github.com/edgeauth/edgeauth/jwks"
	"github.com/edgeauth/edgeauth/server"
	"github.com/edgeauth/edgeauth/storage"
)

// serve runs one GET through serveHTTP, as the pool's serve call does, and
// returns what done would receive. Run these tests with GOOS=js
// GOARCH=wasm and Go's go_js_wasm_exec (Node) on PATH.
func serve(t *testing.T, h http.Handler, path string) (r result, head http.Header, body string) {
	t.Helper()
	r = serveHTTP(h, js.ValueOf("GET\nhttps://auth.example"+path+"\nAccept\napplication/json"), js.Null())
	head = http.Header{}
	if r.head != "" {
		kv := strings.Split(r.head, "\n")
		for i := 0; i+1 < len(kv); i += 2 {
			head.Add(kv[i], kv[i+1])
		}
	}
	if !r.body.IsNull() {
		body = string(jsasync.GoBytes(r.body))
	}
	return r, head, body
}

// isServerError reports whether an answer is the bridge's clean 500.
func isServerError(r result, head http.Header, body string) bool {
	var e struct{ Error, ErrorDescription string }
	return r.status == http.StatusInternalServerError && json.Unmarshal([]byte(body), &e) == nil && e.Error == "server_error" &&
		head.Get("Content-Type") == "application/json" && head.Get("Cache-Control") == "no-store" && r.reuseUntil == 0
}

// TestPanicAfterPartialWrite: a handler that wrote headers and half a body,
// asked for reuse, then panicked, is answered one clean JSON 500 (nothing
// of what it wrote) and reported as panicked, so the pool drops the
// instance.
func TestPanicAfterPartialWrite(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Partial", "yes")
		w.Header().Set("Cache-Control", "public, max-age=60")
		w.(interface{ ReuseUntil(time.Time) }).ReuseUntil(time.Now().Add(time.Minute))
		w.WriteHeader(http.StatusOK)
		w.Write([]byte("half a response"))
		panic("cfworker test: panic after a partial write")
	})
	r, head, body := serve(t, h, "/x")
	if !r.panicked || !isServerError(r, head, body) || head.Get("X-Partial") != "" || strings.Contains(body, "half") {
		t.Errorf("panicked %v, answer %d %v %q, reuse until %v; want a reported panic and only a JSON 500", r.panicked, r.status, head, body, r.reuseUntil)
	}
}

// panicStore panics in every GetTenant: a stand-in for any bug in a
// handler. Nothing else of it is called.
type panicStore struct{ storage.Store }

func (panicStore) GetTenant(context.Context, string) (storage.Tenant, error) {
	panic("cfworker test: a bug in a handler")
}

// emptyKV holds nothing (storage/kv's Workers KV needs the runtime).
type emptyKV struct{ storage.KV }

func (emptyKV) Get(context.Context, string) ([]byte, error) { return nil, storage.ErrNotFound }

// TestAuthzPanicReachesBridge: authz recovers a handler's panic itself
// (its own 500); only with Config.PropagatePanics, which cmd/worker sets,
// does the panic reach the bridge, which reports it so that the pool drops
// the instance. The client gets a JSON 500 either way.
func TestAuthzPanicReachesBridge(t *testing.T) {
	sealer, err := jwks.NewSealer(make([]byte, jwks.KEKSize))
	if err != nil {
		t.Fatal(err)
	}
	for _, propagate := range []bool{false, true} {
		srv, err := server.New(server.Config{BaseURL: "https://auth.example", AdminToken: strings.Repeat("a", 32), Sealer: sealer,
			Store: panicStore{}, KV: emptyKV{}, PropagatePanics: propagate})
		if err != nil {
			t.Fatal(err)
		}
		for _, path := range []string{"/t/acme/.well-known/openid-configuration", "/t/acme/jwks.json"} {
			r, head, body := serve(t, srv, path)
			if r.panicked != propagate || !isServerError(r, head, body) || strings.Contains(body, "bug") {
				t.Errorf("PropagatePanics %v, GET %s: panicked %v, answer %d %v %q; want panicked %[1]v and a JSON 500 without the panic's text",
					propagate, path, r.panicked, r.status, head, body)
			}
		}
		if r, _, _ := serve(t, srv, "/healthz"); r.panicked || r.status != http.StatusOK {
			t.Errorf("PropagatePanics %v, GET /healthz: panicked %v, status %d; want 200", propagate, r.panicked, r.status)
		}
	}
}
