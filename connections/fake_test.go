//go:build !js

package connections

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"golang.org/x/oauth2"

	"github.com/edgeauth/edgeauth/storage"
	"github.com/edgeauth/edgeauth/storage/sqlstore"
)

// fakeOIDC is an OpenID Provider in the test: discovery, JWKS, a token
// endpoint that checks the client, the code and the PKCE verifier, and
// userinfo. Its ID tokens come from claims, which a test may change.
type fakeOIDC struct {
	t      *testing.T
	srv    *httptest.Server
	issuer string
	key    *rsa.PrivateKey
	kid    string

	mu sync.Mutex
	// pending maps a code to the challenge and nonce it was issued for.
	pending map[string][2]string
	// claims returns the ID token's claims for the nonce asked; nil: the
	// standard ones.
	claims func(nonce string) map[string]any
	// sign signs the claims; nil: RS256 with key and kid.
	sign func(claims map[string]any) string
	// token answers the token endpoint instead, when set.
	token http.HandlerFunc
	// discovery edits the discovery document.
	discovery func(map[string]any)
	// userinfo is the userinfo answer.
	userinfo map[string]any
	// tokenRequests counts the token endpoint's requests.
	tokenRequests int
}

const (
	fakeClientID = "edgeauth-client"
	fakeSecret   = "s3cret-of-the-upstream"
)

func newFakeOIDC(t *testing.T) *fakeOIDC {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeOIDC{t: t, key: key, kid: "k1", pending: map[string][2]string{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", f.serveDiscovery)
	mux.HandleFunc("GET /jwks", f.serveJWKS)
	mux.HandleFunc("POST /token", f.serveToken)
	mux.HandleFunc("GET /userinfo", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, f.userinfo) })
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	f.issuer = f.srv.URL
	return f
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

func (f *fakeOIDC) serveDiscovery(w http.ResponseWriter, r *http.Request) {
	d := map[string]any{
		"issuer": f.issuer, "authorization_endpoint": f.issuer + "/authorize", "token_endpoint": f.issuer + "/token",
		"jwks_uri": f.issuer + "/jwks", "userinfo_endpoint": f.issuer + "/userinfo",
		"token_endpoint_auth_methods_supported": []string{"client_secret_basic"},
	}
	f.mu.Lock()
	edit := f.discovery
	f.mu.Unlock()
	if edit != nil {
		edit(d)
	}
	writeJSON(w, d)
}

func (f *fakeOIDC) serveJWKS(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: f.key.Public(), KeyID: f.kid, Algorithm: "RS256", Use: "sig"}}})
}

// authorize plays the browser at the upstream: it takes AuthURL's answer,
// checks its parameters, and returns the code the upstream would send
// back.
func (f *fakeOIDC) authorize(authURL string) string {
	f.t.Helper()
	u, err := url.Parse(authURL)
	if err != nil {
		f.t.Fatal(err)
	}
	q := u.Query()
	if q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" || q.Get("state") == "" || q.Get("client_id") != fakeClientID {
		f.t.Fatalf("authorization request %s lacks PKCE, state or client_id", authURL)
	}
	code := "code-" + rand.Text()
	f.mu.Lock()
	f.pending[code] = [2]string{q.Get("code_challenge"), q.Get("nonce")}
	f.mu.Unlock()
	return code
}

func (f *fakeOIDC) serveToken(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.tokenRequests++
	custom := f.token
	f.mu.Unlock()
	if custom != nil {
		custom(w, r)
		return
	}
	id, secret, ok := r.BasicAuth()
	r.ParseForm()
	f.mu.Lock()
	p, found := f.pending[r.PostForm.Get("code")]
	delete(f.pending, r.PostForm.Get("code"))
	f.mu.Unlock()
	switch {
	case !ok || id != fakeClientID || secret != fakeSecret:
		w.WriteHeader(http.StatusUnauthorized)
		writeJSON(w, map[string]string{"error": "invalid_client"})
		return
	case !found || oauth2.S256ChallengeFromVerifier(r.PostForm.Get("code_verifier")) != p[0]:
		w.WriteHeader(http.StatusBadRequest)
		writeJSON(w, map[string]string{"error": "invalid_grant"})
		return
	}
	writeJSON(w, map[string]any{"access_token": "upstream-at", "token_type": "Bearer", "expires_in": 3600,
		"refresh_token": "upstream-rt", "id_token": f.idToken(p[1])})
}

// idToken is the ID token for nonce.
func (f *fakeOIDC) idToken(nonce string) string {
	f.mu.Lock()
	mk, sign := f.claims, f.sign
	f.mu.Unlock()
	c := f.standard(nonce)
	if mk != nil {
		c = mk(nonce)
	}
	if sign != nil {
		return sign(c)
	}
	return signWith(f.t, jose.RS256, f.key, f.kid, c)
}

// standard are the claims an honest provider sends for nonce.
func (f *fakeOIDC) standard(nonce string) map[string]any {
	return map[string]any{"iss": f.issuer, "sub": "upstream-sub-1", "aud": fakeClientID, "exp": time.Now().Add(time.Hour).Unix(),
		"iat": time.Now().Unix(), "nonce": nonce, "email": "alice@corp.example", "email_verified": true, "name": "Alice Upstream"}
}

// signWith signs claims as a compact JWS.
func signWith(t *testing.T, alg jose.SignatureAlgorithm, key any, kid string, claims map[string]any) string {
	t.Helper()
	opts := (&jose.SignerOptions{}).WithType("JWT")
	if kid != "" {
		opts = opts.WithHeader(jose.HeaderKey("kid"), kid)
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := jwt.Signed(s).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// otherKey is a key the provider never published.
func otherKey(t *testing.T) *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// fakeGitHub is GitHub's OAuth 2.0 endpoints and REST API, shaped like a
// GitHub Enterprise Server (/login/oauth/..., /api/v3/...).
type fakeGitHub struct {
	srv    *httptest.Server
	emails http.HandlerFunc // nil: a verified primary address
	user   map[string]any
}

func newFakeGitHub(t *testing.T) *fakeGitHub {
	g := &fakeGitHub{user: map[string]any{"id": 4242, "login": "octo", "name": "Octo Cat"}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /login/oauth/access_token", func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		if r.PostForm.Get("client_id") != fakeClientID || r.PostForm.Get("client_secret") != fakeSecret || r.PostForm.Get("code") != "gh-code" {
			// GitHub answers errors with 200 and an error field.
			writeJSON(w, map[string]string{"error": "bad_verification_code"})
			return
		}
		w.Header().Set("Content-Type", "application/x-www-form-urlencoded")
		w.Write([]byte("access_token=gh-token&token_type=bearer&scope=read%3Auser%2Cuser%3Aemail"))
	})
	mux.HandleFunc("GET /api/v3/user", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer gh-token" || r.Header.Get("User-Agent") == "" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		writeJSON(w, g.user)
	})
	mux.HandleFunc("GET /api/v3/user/emails", func(w http.ResponseWriter, r *http.Request) {
		if g.emails != nil {
			g.emails(w, r)
			return
		}
		writeJSON(w, []map[string]any{
			{"email": "other@example.com", "primary": false, "verified": true},
			{"email": "octo@example.com", "primary": true, "verified": true},
		})
	})
	g.srv = httptest.NewServer(mux)
	t.Cleanup(g.srv.Close)
	return g
}

// newTestBroker is a Broker over an in-memory SQLite store, allowing
// loopback upstreams (the fakes), with a tenant "t".
func newTestBroker(t *testing.T, timeout time.Duration) (*Broker, *sqlstore.Store, storage.Tenant) {
	t.Helper()
	st, db, err := sqlstore.OpenSQLite(":memory:")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	b, err := New(Config{Store: st, Transport: http.DefaultTransport, SecretKey: make([]byte, 32), InsecureLoopback: true, Timeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	tenant := storage.Tenant{ID: "t", Name: "T"}
	if err := st.CreateTenant(t.Context(), tenant); err != nil {
		t.Fatal(err)
	}
	return b, st, tenant
}

// connection stores a connection of kind to issuer with the fake's client.
func connection(t *testing.T, b *Broker, st *sqlstore.Store, kind, issuer string, create bool) storage.Connection {
	t.Helper()
	c := storage.Connection{TenantID: "t", ID: "c" + strings.ToLower(rand.Text()[:8]), Kind: kind, Issuer: issuer, ClientID: fakeClientID, CreateUsers: create}
	c.ClientSecretSealed = b.SealClientSecret("t", c.ID, fakeSecret)
	if err := b.Check(c); err != nil {
		t.Fatalf("Check(%+v) = %v", c, err)
	}
	if err := st.CreateConnection(t.Context(), c); err != nil {
		t.Fatal(err)
	}
	return c
}
