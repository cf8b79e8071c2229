package e2e

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"golang.org/x/oauth2"
)

// The upstream providers written in the test, on 127.0.0.1: an OpenID
// Provider whose ID tokens a test can spoil, and a GitHub (the shape of
// a GitHub Enterprise Server: /login/oauth/..., /api/v3/...). Both
// approve every authorization request at once, redirecting the browser
// back with a code, or with the error a test asks for.

// fakeProvider is an OpenID Provider: discovery, authorize, token, JWKS.
type fakeProvider struct {
	t      *testing.T
	srv    *httptest.Server
	issuer string
	key    *rsa.PrivateKey

	mu sync.Mutex
	// codes maps a code to its challenge and nonce.
	codes map[string][2]string
	// spoil changes an honest ID token's claims; sign, when set, signs them.
	spoil func(claims map[string]any)
	sign  func(claims map[string]any) string
	// authError, when set, is the error the authorization endpoint answers.
	authError string
	// slow makes the token endpoint wait this long before answering.
	slow time.Duration
	// email and verified are the address the ID token carries.
	email    string
	verified bool
	subject  string
	// quit ends a slow answer when the test ends.
	quit chan struct{}
}

const (
	fakeUpstreamClient = "edgeauth-downstream"
	fakeUpstreamSecret = "upstream-client-secret-1234567890"
)

func newFakeProvider(t *testing.T) *fakeProvider {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	p := &fakeProvider{t: t, key: key, codes: map[string][2]string{}, email: "carol@corp.example", verified: true, subject: "corp-carol"}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		fakeJSON(w, http.StatusOK, map[string]any{
			"issuer": p.issuer, "authorization_endpoint": p.issuer + "/authorize", "token_endpoint": p.issuer + "/token",
			"jwks_uri": p.issuer + "/jwks", "response_types_supported": []string{"code"},
			"subject_types_supported": []string{"public"}, "id_token_signing_alg_values_supported": []string{"RS256"},
		})
	})
	mux.HandleFunc("GET /jwks", func(w http.ResponseWriter, r *http.Request) {
		fakeJSON(w, http.StatusOK, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: key.Public(), KeyID: "fk1", Algorithm: "RS256", Use: "sig"}}})
	})
	mux.HandleFunc("GET /authorize", p.authorize)
	mux.HandleFunc("POST /token", p.token)
	p.srv = httptest.NewServer(mux)
	t.Cleanup(p.srv.Close)
	p.quit = make(chan struct{})
	t.Cleanup(func() { close(p.quit) }) // runs first: slow answers end, then the server closes
	p.issuer = p.srv.URL
	return p
}

func fakeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// authorize approves at once: back to redirect_uri with a code and the
// state, or with p.authError.
func (p *fakeProvider) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	back, err := url.Parse(q.Get("redirect_uri"))
	if err != nil || q.Get("client_id") != fakeUpstreamClient || q.Get("code_challenge_method") != "S256" {
		http.Error(w, "bad authorization request", http.StatusBadRequest)
		return
	}
	v := url.Values{"state": {q.Get("state")}}
	p.mu.Lock()
	if p.authError != "" {
		v.Set("error", p.authError)
	} else {
		code := rand.Text()
		p.codes[code] = [2]string{q.Get("code_challenge"), q.Get("nonce")}
		v.Set("code", code)
	}
	p.mu.Unlock()
	back.RawQuery = v.Encode()
	http.Redirect(w, r, back.String(), http.StatusFound)
}

func (p *fakeProvider) token(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	slow := p.slow
	p.mu.Unlock()
	if slow > 0 {
		select {
		case <-time.After(slow):
		case <-r.Context().Done():
			return
		case <-p.quit:
			return
		}
	}
	id, secret, _ := r.BasicAuth()
	r.ParseForm()
	p.mu.Lock()
	c, ok := p.codes[r.PostForm.Get("code")]
	delete(p.codes, r.PostForm.Get("code"))
	p.mu.Unlock()
	switch {
	case id != fakeUpstreamClient || secret != fakeUpstreamSecret:
		fakeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_client"})
		return
	case !ok || oauth2.S256ChallengeFromVerifier(r.PostForm.Get("code_verifier")) != c[0]:
		fakeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_grant"})
		return
	}
	fakeJSON(w, http.StatusOK, map[string]any{"access_token": rand.Text(), "token_type": "Bearer", "expires_in": 300, "id_token": p.idToken(c[1])})
}

// idToken is an honest ID token for nonce, then spoiled as the test asks.
func (p *fakeProvider) idToken(nonce string) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	claims := map[string]any{"iss": p.issuer, "sub": p.subject, "aud": fakeUpstreamClient, "exp": time.Now().Add(5 * time.Minute).Unix(),
		"iat": time.Now().Unix(), "nonce": nonce, "email": p.email, "email_verified": p.verified, "name": "Carol Corp"}
	if p.spoil != nil {
		p.spoil(claims)
	}
	if p.sign != nil {
		return p.sign(claims)
	}
	return signJWT(p.t, jose.RS256, p.key, "fk1", claims)
}

// signJWT signs claims as a compact JWS with alg and key.
func signJWT(t *testing.T, alg jose.SignatureAlgorithm, key any, kid string, claims map[string]any) string {
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", kid))
	if err != nil {
		t.Error(err)
		return ""
	}
	raw, err := jwt.Signed(s).Claims(claims).Serialize()
	if err != nil {
		t.Error(err)
	}
	return raw
}

// fakeGitHub is GitHub's OAuth 2.0 endpoints and REST API.
type fakeGitHub struct {
	srv *httptest.Server
	mu  sync.Mutex
	// codes maps a code to its PKCE challenge.
	codes map[string]string
	id    int64
	email string
}

func newFakeGitHub(t *testing.T) *fakeGitHub {
	g := &fakeGitHub{codes: map[string]string{}, id: 583231, email: "octocat@github.example"}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /login/oauth/authorize", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		back, err := url.Parse(q.Get("redirect_uri"))
		if err != nil || q.Get("client_id") != fakeUpstreamClient {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		code := rand.Text()
		g.mu.Lock()
		g.codes[code] = q.Get("code_challenge")
		g.mu.Unlock()
		back.RawQuery = url.Values{"code": {code}, "state": {q.Get("state")}}.Encode()
		http.Redirect(w, r, back.String(), http.StatusFound)
	})
	mux.HandleFunc("POST /login/oauth/access_token", func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		g.mu.Lock()
		challenge, ok := g.codes[r.PostForm.Get("code")]
		delete(g.codes, r.PostForm.Get("code"))
		g.mu.Unlock()
		if !ok || r.PostForm.Get("client_id") != fakeUpstreamClient || r.PostForm.Get("client_secret") != fakeUpstreamSecret ||
			oauth2.S256ChallengeFromVerifier(r.PostForm.Get("code_verifier")) != challenge {
			fakeJSON(w, http.StatusOK, map[string]string{"error": "bad_verification_code"}) // GitHub's way: 200
			return
		}
		w.Header().Set("Content-Type", "application/x-www-form-urlencoded")
		w.Write([]byte("access_token=gho_fake_" + rand.Text() + "&token_type=bearer&scope=read%3Auser%2Cuser%3Aemail"))
	})
	mux.HandleFunc("GET /api/v3/user", func(w http.ResponseWriter, r *http.Request) {
		if len(r.Header.Get("Authorization")) < len("Bearer gho_fake_") {
			fakeJSON(w, http.StatusUnauthorized, map[string]string{"message": "Requires authentication"})
			return
		}
		fakeJSON(w, http.StatusOK, map[string]any{"id": g.id, "login": "octocat", "name": "The Octocat"})
	})
	mux.HandleFunc("GET /api/v3/user/emails", func(w http.ResponseWriter, r *http.Request) {
		fakeJSON(w, http.StatusOK, []map[string]any{{"email": g.email, "primary": true, "verified": true}})
	})
	g.srv = httptest.NewServer(mux)
	t.Cleanup(g.srv.Close)
	return g
}
