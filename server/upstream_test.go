//go:build !js

package server_test

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/edgeauth/edgeauth/ratelimit"
	"github.com/edgeauth/edgeauth/server"
	"github.com/edgeauth/edgeauth/storage/kv"
	"github.com/edgeauth/edgeauth/storage/sqlstore"
	"github.com/edgeauth/edgeauth/storage/storagefault"
)

// idp is an OpenID Provider that approves every request at once: the
// upstream of the storage-fault sweep, outside the store that fails.
type idp struct {
	srv *httptest.Server
	key *rsa.PrivateKey
	mu  sync.Mutex
	// nonces maps a code to the nonce of its request.
	nonces map[string]string
}

func newIdP(t *testing.T) *idp {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	p := &idp{key: key, nonces: map[string]string{}}
	mux := http.NewServeMux()
	writeJSON := func(w http.ResponseWriter, v any) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(v)
	}
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		u := p.srv.URL
		writeJSON(w, map[string]string{"issuer": u, "authorization_endpoint": u + "/authorize", "token_endpoint": u + "/token", "jwks_uri": u + "/jwks"})
	})
	mux.HandleFunc("GET /jwks", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: key.Public(), KeyID: "k", Algorithm: "RS256", Use: "sig"}}})
	})
	mux.HandleFunc("GET /authorize", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		code := rand.Text()
		p.mu.Lock()
		p.nonces[code] = q.Get("nonce")
		p.mu.Unlock()
		http.Redirect(w, r, q.Get("redirect_uri")+"?"+url.Values{"code": {code}, "state": {q.Get("state")}}.Encode(), http.StatusFound)
	})
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		p.mu.Lock()
		nonce, ok := p.nonces[r.PostForm.Get("code")]
		p.mu.Unlock()
		if !ok {
			w.WriteHeader(http.StatusBadRequest)
			writeJSON(w, map[string]string{"error": "invalid_grant"})
			return
		}
		s, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key}, (&jose.SignerOptions{}).WithHeader("kid", "k"))
		idt, _ := jwt.Signed(s).Claims(map[string]any{"iss": p.srv.URL, "sub": "upstream-user", "aud": "edgeauth", "nonce": nonce,
			"exp": time.Now().Add(time.Hour).Unix(), "iat": time.Now().Unix(), "email": "u@idp.example", "email_verified": true}).Serialize()
		writeJSON(w, map[string]any{"access_token": "at", "token_type": "Bearer", "id_token": idt})
	})
	p.srv = httptest.NewServer(mux)
	t.Cleanup(p.srv.Close)
	return p
}

// TestUpstreamStorageFaults sweeps one storage failure (D1 or KV) across
// every storage call of an upstream sign-in, from the authorization
// request to the code at the app, as TestStorageFaults does for the
// password: each failing run answers a 5xx, never a page that hides it,
// and the same sign-in retried without faults succeeds, so nothing was
// left half-written (a user without its identity, say) that blocks it.
// The first sign-in (a new user) and a later one (an existing identity)
// are swept apart.
func TestUpstreamStorageFaults(t *testing.T) {
	in := &storagefault.Injector{}
	provider := newIdP(t)
	store, db, err := sqlstore.OpenSQLite(filepath.Join(t.TempDir(), "edgeauth.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ls := startServer(t, server.Config{AdminToken: strings.Repeat("a", 32), Sealer: testSealer(),
		Store: storagefault.Store{Store: store, In: in}, KV: storagefault.KV{KV: kv.NewMemory(time.Now), In: in},
		Limiter:           ratelimit.NewMemoryLimiter(map[ratelimit.Rule]ratelimit.Rate{}, nil),
		UpstreamTransport: http.DefaultTransport, InsecureLoopbackUpstreams: true, CacheTTL: -1})
	ls.mustAdmin("POST", "/admin/v1/tenants", `{"id":"acme"}`, 201)
	ls.mustAdmin("POST", "/admin/v1/tenants/acme/clients", `{"client_id":"app","token_endpoint_auth_method":"none","first_party":true,`+
		`"redirect_uris":["http://127.0.0.1/cb"],"grant_types":["authorization_code"],"scope":"openid"}`, 201)
	conn := 0
	newConnection := func() {
		conn++
		ls.mustAdmin("POST", "/admin/v1/tenants/acme/connections", fmt.Sprintf(
			`{"id":"c%d","kind":"oidc","issuer":%q,"client_id":"edgeauth","client_secret":"s","create_users":true}`, conn, provider.srv.URL), 201)
	}
	// signIn runs the whole sign-in in a fresh browser; ok when the app
	// gets a code.
	signIn := func() result {
		ls.forgetCookies()
		r := ls.do("GET", authorizePath("app"), "", "")
		if r.status != 303 {
			return r
		}
		page := ls.do("GET", r.loc, "", "")
		if page.status != 200 {
			return page
		}
		r = ls.do("POST", "/t/acme/upstream", "application/x-www-form-urlencoded",
			pageForm(page.body, url.Values{"connection": {fmt.Sprintf("c%d", conn)}}).Encode())
		if r.status != 303 || !strings.HasPrefix(r.loc, provider.srv.URL) {
			return r
		}
		cb := ls.get(r.loc).loc // the provider approves at once
		if !strings.HasPrefix(cb, ls.base) {
			return result{status: 599, body: "the provider did not send the browser back: " + cb}
		}
		return ls.do("GET", strings.TrimPrefix(cb, ls.base), "", "")
	}
	ok := func(r result) bool { return r.status == 303 && strings.Contains(r.loc, "code=") }
	sweep := func(name string, undo func()) {
		in.Arm(0)
		if r := signIn(); !ok(r) {
			t.Fatalf("%s without faults: %d %.300s", name, r.status, r.body)
		}
		calls := in.Calls()
		undo()
		for n := int64(1); n <= calls; n++ {
			in.Arm(n)
			r := signIn()
			in.Arm(0)
			if r.status < 500 && !ok(r) {
				t.Errorf("%s, storage call %d of %d failing: %d %.200s; want a 5xx (or the sign-in succeeding)", name, n, calls, r.status, r.body)
			}
			if r2 := signIn(); !ok(r2) {
				t.Errorf("%s, retry after call %d of %d failed: %d %.200s", name, n, calls, r2.status, r2.body)
			}
			undo()
		}
		t.Logf("%s: %d storage calls, each failed once", name, calls)
	}
	// A new connection per round makes the next sign-in a first one.
	newConnection()
	sweep("first upstream sign-in", newConnection)
	sweep("later upstream sign-in", func() {})
	// No failure left a user without the identity it was made for.
	var orphans int
	if err := db.QueryRow(`SELECT count(*) FROM users u WHERE NOT EXISTS
		(SELECT 1 FROM identities i WHERE i.tenant_id = u.tenant_id AND i.user_id = u.id)`).Scan(&orphans); err != nil || orphans != 0 {
		t.Errorf("users without an identity after the sweeps: %d, %v; want 0", orphans, err)
	}
}

// get sends a GET to an absolute URL with the server's browser.
func (l *liveServer) get(u string) result {
	l.t.Helper()
	resp, err := l.hc.Get(u)
	if err != nil {
		l.t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return result{resp.StatusCode, string(b), resp.Header.Get("Location")}
}
