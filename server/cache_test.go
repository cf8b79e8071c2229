//go:build !js

package server_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/edgeauth/edgeauth/server"
	"github.com/edgeauth/edgeauth/storage"
	"github.com/edgeauth/edgeauth/storage/kv"
	"github.com/edgeauth/edgeauth/storage/storecache"
)

// cacheWorld is one database and KV served by three servers: a and a2
// share a cache generation (two instances of one isolate), b has its own
// (another isolate or edge location). One clock drives all three.
type cacheWorld struct {
	t        *testing.T
	a, a2, b *server.Server
	mu       sync.Mutex
	now      time.Time
	admin    string
	secret   string
	store    storage.Store
	clock    func() time.Time
}

const cacheTTL = 30 * time.Second

func newCacheWorld(t *testing.T) *cacheWorld {
	t.Helper()
	store := newTestStore(t)
	w := &cacheWorld{t: t, now: time.Unix(1_800_000_000, 0), admin: strings.Repeat("a", 32)}
	clock := func() time.Time { w.mu.Lock(); defer w.mu.Unlock(); return w.now }
	w.store, w.clock = store, clock
	sealer := testSealer()
	kvs := kv.NewMemory(clock)
	isolate := &storecache.LocalGeneration{}
	mk := func(gen storecache.Generation) *server.Server {
		srv, err := server.New(server.Config{BaseURL: "http://127.0.0.1:1", AdminToken: w.admin, Sealer: sealer,
			Store: store, KV: kvs, Now: clock, CacheTTL: cacheTTL, CacheGeneration: gen})
		if err != nil {
			t.Fatal(err)
		}
		return srv
	}
	w.a, w.a2, w.b = mk(isolate), mk(isolate), mk(nil)
	w.must(w.a, "POST", "/admin/v1/tenants", `{"id":"acme"}`, 201)
	r := w.must(w.a, "POST", "/admin/v1/tenants/acme/clients",
		`{"client_id":"svc","grant_types":["client_credentials"],"token_endpoint_auth_method":"client_secret_post","scope":"read"}`, 201)
	w.secret = field(r, "client_secret")
	return w
}

func (w *cacheWorld) advance(d time.Duration) { w.mu.Lock(); w.now = w.now.Add(d); w.mu.Unlock() }

// do sends one request; a JSON body goes with the admin token, a form
// body without.
func (w *cacheWorld) do(srv *server.Server, method, path, body string) (int, string) {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if strings.HasPrefix(path, "/admin/") {
		req.Header.Set("Authorization", "Bearer "+w.admin)
		req.Header.Set("Content-Type", "application/json")
	} else {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, req)
	return rec.Code, rec.Body.String()
}

func (w *cacheWorld) must(srv *server.Server, method, path, body string, want int) string {
	w.t.Helper()
	code, b := w.do(srv, method, path, body)
	if code != want {
		w.t.Fatalf("%s %s = %d %.300s; want %d", method, path, code, b, want)
	}
	return b
}

func (w *cacheWorld) token(srv *server.Server) (int, string) {
	return w.do(srv, "POST", "/t/acme/token", url.Values{"grant_type": {"client_credentials"}, "client_id": {"svc"}, "client_secret": {w.secret}}.Encode())
}

func (w *cacheWorld) active(srv *server.Server, tok string) bool {
	w.t.Helper()
	b := w.must(srv, "POST", "/t/acme/introspect", url.Values{"token": {tok}, "client_id": {"svc"}, "client_secret": {w.secret}}.Encode(), 200)
	var m struct{ Active bool }
	json.Unmarshal([]byte(b), &m)
	return m.Active
}

func (w *cacheWorld) accessToken(srv *server.Server) string {
	w.t.Helper()
	code, b := w.token(srv)
	if code != 200 {
		w.t.Fatalf("token = %d %.300s", code, b)
	}
	return field(b, "access_token")
}

func (w *cacheWorld) signingKID() string {
	w.t.Helper()
	var ks struct {
		Keys []struct{ KID, Use, State string }
	}
	json.Unmarshal([]byte(w.must(w.a, "GET", "/admin/v1/tenants/acme/keys", "", 200)), &ks)
	for _, k := range ks.Keys {
		if k.Use == string(storage.UseAccessToken) && k.State == string(storage.KeyCurrent) {
			return k.KID
		}
	}
	w.t.Fatal("no current access key")
	return ""
}

func field(body, name string) string {
	var m map[string]any
	json.Unmarshal([]byte(body), &m)
	s, _ := m[name].(string)
	return s
}

// A revoked key stops verifying at once in the isolate that revoked it, and
// within Config.CacheTTL everywhere else (SECURITY.md).
func TestCacheRevokedKeyBound(t *testing.T) {
	w := newCacheWorld(t)
	tok := w.accessToken(w.a)
	for _, srv := range []*server.Server{w.a, w.a2, w.b} {
		if !w.active(srv, tok) {
			t.Fatal("a fresh token is not active")
		}
	}
	w.must(w.a, "DELETE", "/admin/v1/tenants/acme/keys/"+w.signingKID(), "", 204)
	if w.active(w.a, tok) || w.active(w.a2, tok) {
		t.Fatal("the revoking isolate still accepts a token of the revoked key")
	}
	w.advance(cacheTTL - time.Second)
	if !w.active(w.b, tok) {
		t.Fatal("another isolate dropped its cache before the TTL: this test no longer measures the bound")
	}
	w.advance(time.Second)
	if w.active(w.b, tok) {
		t.Fatalf("another isolate still accepts a token of a key revoked %v ago", cacheTTL)
	}
}

// A deleted client stops getting tokens at once in its isolate and within
// the TTL elsewhere.
func TestCacheDeletedClientBound(t *testing.T) {
	w := newCacheWorld(t)
	for _, srv := range []*server.Server{w.a, w.a2, w.b} {
		w.accessToken(srv)
	}
	w.must(w.a, "DELETE", "/admin/v1/tenants/acme/clients/svc", "", 204)
	if code, _ := w.token(w.a2); code != 401 {
		t.Fatalf("a sibling instance after the delete: token = %d, want 401", code)
	}
	w.advance(cacheTTL)
	if code, _ := w.token(w.b); code != 401 {
		t.Fatalf("another isolate %v after the delete: token = %d, want 401", cacheTTL, code)
	}
}

// A token signed by a key another isolate promoted a moment ago verifies
// at once: a kid missing from the cached key list is looked up fresh.
func TestCacheNewKeyVerifiesAtOnce(t *testing.T) {
	w := newCacheWorld(t)
	if !w.active(w.b, w.accessToken(w.a)) { // b now holds the key list
		t.Fatal("a fresh token is not active")
	}
	// Two rotations: the key that signs now was not even the next key
	// when b read the list.
	w.must(w.a, "POST", "/admin/v1/tenants/acme/keys/rotate", "", 200)
	w.must(w.a, "POST", "/admin/v1/tenants/acme/keys/rotate", "", 200)
	if !w.active(w.b, w.accessToken(w.a)) {
		t.Fatal("a token of a freshly promoted key is not active in another isolate")
	}
}

// The public JWKS follows key changes at once in the isolate and within
// the TTL elsewhere.
func TestCacheJWKSBound(t *testing.T) {
	w := newCacheWorld(t)
	before := w.must(w.b, "GET", "/t/acme/jwks.json", "", 200)
	kid := w.signingKID()
	if !strings.Contains(before, kid) {
		t.Fatal("the JWKS lacks the signing key")
	}
	w.must(w.a, "DELETE", "/admin/v1/tenants/acme/keys/"+kid, "", 204)
	if strings.Contains(w.must(w.a2, "GET", "/t/acme/jwks.json", "", 200), kid) {
		t.Fatal("a sibling instance still publishes the revoked key")
	}
	w.advance(cacheTTL)
	if strings.Contains(w.must(w.b, "GET", "/t/acme/jwks.json", "", 200), kid) {
		t.Fatalf("another isolate still publishes a key revoked %v ago", cacheTTL)
	}
}

// The discovery documents follow a tenant's settings at once in the
// isolate that changed them and within the TTL elsewhere.
func TestCacheMetadataBound(t *testing.T) {
	w := newCacheWorld(t)
	const path = "/.well-known/oauth-authorization-server/t/acme"
	for _, srv := range []*server.Server{w.a2, w.b} {
		if strings.Contains(w.must(srv, "GET", path, "", 200), "registration_endpoint") {
			t.Fatal("registration is off, yet the metadata has a registration_endpoint")
		}
	}
	w.must(w.a, "PATCH", "/admin/v1/tenants/acme", `{"settings":{"registration":"open"}}`, 200)
	if !strings.Contains(w.must(w.a2, "GET", path, "", 200), "registration_endpoint") {
		t.Fatal("a sibling instance serves the metadata from before the change")
	}
	w.advance(cacheTTL)
	if !strings.Contains(w.must(w.b, "GET", path, "", 200), "registration_endpoint") {
		t.Fatalf("another isolate serves metadata %v older than the change", cacheTTL)
	}
}

// A document kept in memory is only as fresh as the records it was built
// from: one built from a tenant record the cache had held for most of the
// TTL must not then be served for a whole TTL more.
func TestCacheDerivedDocumentBound(t *testing.T) {
	w := newCacheWorld(t)
	const path = "/.well-known/oauth-authorization-server/t/acme"
	// The tenant's record enters b's cache through another document.
	w.must(w.b, "GET", "/t/acme/.well-known/openid-configuration", "", 200)
	w.advance(time.Second)
	w.must(w.a, "PATCH", "/admin/v1/tenants/acme", `{"settings":{"registration":"open"}}`, 200)
	w.advance(cacheTTL - 2*time.Second)
	// Within the TTL of the change: the old settings may still be served.
	w.must(w.b, "GET", path, "", 200)
	w.advance(2 * time.Second)
	if !strings.Contains(w.must(w.b, "GET", path, "", 200), "registration_endpoint") {
		t.Fatalf("another isolate serves metadata built from a record read more than %v ago", cacheTTL)
	}
}

// reuseRecorder is a ResponseWriter of a runtime that can answer a GET
// again without the handler (the Worker's pool).
type reuseRecorder struct {
	*httptest.ResponseRecorder
	until []time.Time
}

func (r *reuseRecorder) ReuseUntil(t time.Time) { r.until = append(r.until, t) }

// reuse sends a GET and returns its status and what it asked the runtime
// to reuse it for (nil: nothing).
func (w *cacheWorld) reuse(srv *server.Server, path string) (int, []time.Time) {
	rec := &reuseRecorder{ResponseRecorder: httptest.NewRecorder()}
	srv.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
	return rec.Code, rec.until
}

// The public documents ask the runtime to reuse them exactly as long as
// the record cache keeps them, and nothing else does.
func TestReuseFollowsTheRecordCache(t *testing.T) {
	w := newCacheWorld(t)
	start := w.now
	for _, path := range []string{"/.well-known/oauth-authorization-server/t/acme", "/t/acme/.well-known/oauth-authorization-server",
		"/t/acme/.well-known/openid-configuration", "/t/acme/jwks.json"} {
		code, until := w.reuse(w.b, path)
		if code != 200 || len(until) != 1 || !until[0].Equal(start.Add(cacheTTL)) {
			t.Fatalf("GET %s = %d, reuse %v; want 200 and once until %v", path, code, until, start.Add(cacheTTL))
		}
	}
	w.advance(10 * time.Second)
	if _, until := w.reuse(w.b, "/t/acme/jwks.json"); len(until) != 1 || !until[0].Equal(start.Add(cacheTTL)) {
		t.Fatalf("10 s later: reuse %v; want the same end, %v", until, start.Add(cacheTTL))
	}
	for _, path := range []string{"/t/nobody/jwks.json", "/.well-known/oauth-authorization-server/t/nobody", "/healthz", "/t/acme/userinfo"} {
		if _, until := w.reuse(w.b, path); until != nil {
			t.Fatalf("GET %s asked to be reused until %v", path, until)
		}
	}
	// With the cache off nothing is kept; at debug level every request is
	// logged, so none may bypass the handler.
	for _, c := range []struct {
		name string
		cfg  server.Config
	}{
		{"with the cache off", server.Config{CacheTTL: -1}},
		{"at debug level", server.Config{Logger: slog.New(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelDebug}))}},
	} {
		cfg := c.cfg
		cfg.BaseURL, cfg.AdminToken, cfg.Store, cfg.KV, cfg.Sealer = "http://127.0.0.1:1", w.admin, newTestStore(t), kv.NewMemory(nil), testSealer()
		srv, err := server.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		w.must(srv, "POST", "/admin/v1/tenants", `{"id":"acme"}`, 201)
		for _, path := range []string{"/t/acme/.well-known/openid-configuration", "/t/acme/jwks.json"} {
			if code, until := w.reuse(srv, path); code != 200 || until != nil {
				t.Fatalf("%s, GET %s = %d and asked to be reused until %v", c.name, path, code, until)
			}
		}
	}
}

// holdKV holds the first put of a "jwks:" key, once armed, until released.
type holdKV struct {
	storage.KV
	mu      sync.Mutex
	armed   bool
	entered chan struct{}
	release chan struct{}
}

func (h *holdKV) Put(ctx context.Context, k string, v []byte, ttl time.Duration) error {
	h.mu.Lock()
	hold := h.armed && strings.HasPrefix(k, "jwks:")
	h.armed = h.armed && !hold
	h.mu.Unlock()
	if hold {
		close(h.entered)
		<-h.release
	}
	return h.KV.Put(ctx, k, v, ttl)
}

// A JWKS read in the revoking isolate between the revocation's D1 write
// (which moves the generation) and its KV write reads the old document
// from KV. Once the revocation has answered, neither the memo of any
// instance of the isolate nor the pool's reused copy of that read (kept
// under the generation it saw) may still list the key: the generation
// moves again after the KV write.
func TestCacheJWKSRevokeRace(t *testing.T) {
	w := newCacheWorld(t)
	hk := &holdKV{KV: kv.NewMemory(w.clock), entered: make(chan struct{}), release: make(chan struct{})}
	gen := &storecache.LocalGeneration{}
	mk := func() *server.Server {
		srv, err := server.New(server.Config{BaseURL: "http://127.0.0.1:1", AdminToken: w.admin, Sealer: testSealer(),
			Store: w.store, KV: hk, Now: w.clock, CacheTTL: cacheTTL, CacheGeneration: gen})
		if err != nil {
			t.Fatal(err)
		}
		return srv
	}
	a, a2 := mk(), mk()
	kid := w.signingKID()
	if !strings.Contains(w.must(a2, "GET", "/t/acme/jwks.json", "", 200), kid) {
		t.Fatal("the JWKS lacks the signing key")
	}
	hk.armed = true
	done := make(chan int)
	go func() { code, _ := w.do(a, "DELETE", "/admin/v1/tenants/acme/keys/"+kid, ""); done <- code }()
	<-hk.entered // in D1, not yet in KV
	during := gen.Load()
	rec := &reuseRecorder{ResponseRecorder: httptest.NewRecorder()}
	a2.ServeHTTP(rec, httptest.NewRequest("GET", "/t/acme/jwks.json", nil))
	if gen.Load() != during {
		t.Fatal("the generation moved during the read: this test no longer sees the window")
	}
	close(hk.release)
	if code := <-done; code != 204 {
		t.Fatalf("revoke = %d", code)
	}
	if strings.Contains(rec.Body.String(), kid) && len(rec.until) > 0 && gen.Load() == during {
		t.Errorf("the old JWKS read in the window stays reusable: the generation did not move after the KV write")
	}
	if strings.Contains(w.must(a2, "GET", "/t/acme/jwks.json", "", 200), kid) {
		t.Errorf("after the revocation answered, an instance of its isolate still publishes the key")
	}
}
