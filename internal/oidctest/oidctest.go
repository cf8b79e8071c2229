// Package oidctest serves upstream identity providers for tests, on
// 127.0.0.1: an OpenID Provider (Provider) and GitHub's OAuth endpoints
// and REST API in the shape of a GitHub Enterprise Server (GitHub). Both
// approve an authorization request at once, over HTTP (the browser's way)
// or in the test's own process (Approve), and check at their token
// endpoints the client, the code (once) and the PKCE verifier. Their
// answers are honest until a test changes them through their fields.
//
// Set the fields before the requests they should change, or in Update
// while requests may run.
package oidctest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// Provider is an OpenID Provider: discovery, authorization, token, JWKS
// and userinfo endpoints, and RS256 ID tokens signed with Key.
type Provider struct {
	t *testing.T
	// Issuer is the provider's URL and issuer identifier.
	Issuer string
	// ClientID and ClientSecret are the one client it knows
	// (client_secret_basic); with no secret, a public client that sends
	// its client_id in the body and no Authorization (RFC 6749 §2.3.1,
	// §3.2.1).
	ClientID, ClientSecret string
	// Key and KID sign the ID tokens and are published in the JWKS.
	Key *rsa.PrivateKey
	KID string

	srv *httptest.Server
	mu  sync.Mutex
	// codes maps an issued code to its PKCE challenge and nonce.
	codes         map[string][2]string
	tokenRequests int
	quit          chan struct{}

	// The honest ID token's claims about the user.
	Subject, Email, Name string
	EmailVerified        bool
	// AccessToken and RefreshToken are the tokens the token endpoint
	// answers; an empty AccessToken is a new random one each time.
	AccessToken, RefreshToken string
	// Spoil, when set, changes the honest ID token's claims.
	Spoil func(claims map[string]any)
	// Sign, when set, signs the ID token's claims instead of Key.
	Sign func(claims map[string]any) string
	// Token, when set, answers the token endpoint instead.
	Token http.HandlerFunc
	// Slow makes the token endpoint wait this long before answering.
	Slow time.Duration
	// AuthError, when set, is the error the authorization endpoint
	// answers.
	AuthError string
	// Discovery, when set, edits the discovery document.
	Discovery func(doc map[string]any)
	// Userinfo is the userinfo endpoint's answer.
	Userinfo map[string]any
}

// NewProvider starts a Provider that knows the client clientID with
// secret, and stops it when t ends.
func NewProvider(t *testing.T, clientID, secret string) *Provider {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	p := &Provider{t: t, ClientID: clientID, ClientSecret: secret, Key: key, KID: "k1", codes: map[string][2]string{},
		Subject: "upstream-sub-1", Email: "alice@corp.example", EmailVerified: true, Name: "Alice Upstream",
		quit: make(chan struct{})}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", p.serveDiscovery)
	mux.HandleFunc("GET /jwks", func(w http.ResponseWriter, r *http.Request) {
		WriteJSON(w, http.StatusOK, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: key.Public(), KeyID: p.KID, Algorithm: "RS256", Use: "sig"}}})
	})
	mux.HandleFunc("GET /authorize", p.serveAuthorize)
	mux.HandleFunc("POST /token", p.serveToken)
	mux.HandleFunc("GET /userinfo", func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		info := p.Userinfo
		p.mu.Unlock()
		WriteJSON(w, http.StatusOK, info)
	})
	p.srv = httptest.NewServer(mux)
	t.Cleanup(p.srv.Close)
	t.Cleanup(func() { close(p.quit) }) // runs first: slow answers end, then the server closes
	p.Issuer = p.srv.URL
	return p
}

// Close stops the provider before the test ends: an issuer that is down.
func (p *Provider) Close() { p.srv.Close() }

// Update runs change with the provider's fields locked against its
// endpoints.
func (p *Provider) Update(change func(p *Provider)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	change(p)
}

// TokenRequests is how many requests the token endpoint has had.
func (p *Provider) TokenRequests() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.tokenRequests
}

func (p *Provider) serveDiscovery(w http.ResponseWriter, r *http.Request) {
	d := map[string]any{
		"issuer": p.Issuer, "authorization_endpoint": p.Issuer + "/authorize", "token_endpoint": p.Issuer + "/token",
		"jwks_uri": p.Issuer + "/jwks", "userinfo_endpoint": p.Issuer + "/userinfo",
		"response_types_supported": []string{"code"}, "subject_types_supported": []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"token_endpoint_auth_methods_supported": []string{"client_secret_basic"},
	}
	p.mu.Lock()
	edit := p.Discovery
	p.mu.Unlock()
	if edit != nil {
		edit(d)
	}
	WriteJSON(w, http.StatusOK, d)
}

// Approve plays the browser at the provider: it takes the authorization
// request authURL, checks that it has PKCE (S256), state and the client,
// and returns the code the provider sends back.
func (p *Provider) Approve(authURL string) string {
	p.t.Helper()
	return approveURL(p.t, authURL, p.approve)
}

// approveURL is the code approve gives the query of authURL; it fails t
// when approve refuses it.
func approveURL(t *testing.T, authURL string, approve func(url.Values) (string, bool)) string {
	t.Helper()
	u, err := url.Parse(authURL)
	if err != nil {
		t.Fatal(err)
	}
	code, ok := approve(u.Query())
	if !ok {
		t.Fatalf("authorization request %s lacks what the provider checks (PKCE, state, the client)", authURL)
	}
	return code
}

func (p *Provider) approve(q url.Values) (string, bool) {
	if q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" || q.Get("state") == "" || q.Get("client_id") != p.ClientID {
		return "", false
	}
	code := rand.Text()
	p.mu.Lock()
	p.codes[code] = [2]string{q.Get("code_challenge"), q.Get("nonce")}
	p.mu.Unlock()
	return code, true
}

// serveAuthorize approves at once: back to redirect_uri with a code and
// the state, or with AuthError.
func (p *Provider) serveAuthorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	back, err := url.Parse(q.Get("redirect_uri"))
	if err != nil {
		http.Error(w, "bad authorization request", http.StatusBadRequest)
		return
	}
	v := url.Values{"state": {q.Get("state")}}
	p.mu.Lock()
	authError := p.AuthError
	p.mu.Unlock()
	if authError != "" {
		v.Set("error", authError)
	} else if code, ok := p.approve(q); ok {
		v.Set("code", code)
	} else {
		http.Error(w, "bad authorization request", http.StatusBadRequest)
		return
	}
	back.RawQuery = v.Encode()
	http.Redirect(w, r, back.String(), http.StatusFound)
}

func (p *Provider) serveToken(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	p.tokenRequests++
	custom, slow := p.Token, p.Slow
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
	if custom != nil {
		custom(w, r)
		return
	}
	id, secret, ok := r.BasicAuth()
	r.ParseForm()
	code := r.PostForm.Get("code")
	p.mu.Lock()
	c, found := p.codes[code]
	delete(p.codes, code)
	at, rt := p.AccessToken, p.RefreshToken
	p.mu.Unlock()
	switch {
	case p.ClientSecret == "" && (ok || r.PostForm.Get("client_id") != p.ClientID),
		p.ClientSecret != "" && (!ok || id != p.ClientID || secret != p.ClientSecret):
		WriteJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_client"})
		return
	case !found || S256(r.PostForm.Get("code_verifier")) != c[0]:
		WriteJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_grant"})
		return
	}
	if at == "" {
		at = rand.Text()
	}
	body := map[string]any{"access_token": at, "token_type": "Bearer", "expires_in": 3600, "id_token": p.IDToken(c[1])}
	if rt != "" {
		body["refresh_token"] = rt
	}
	WriteJSON(w, http.StatusOK, body)
}

// Claims are the claims an honest provider's ID token for nonce carries.
func (p *Provider) Claims(nonce string) map[string]any {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.claims(nonce)
}

func (p *Provider) claims(nonce string) map[string]any {
	now := time.Now()
	return map[string]any{"iss": p.Issuer, "sub": p.Subject, "aud": p.ClientID, "exp": now.Add(time.Hour).Unix(),
		"iat": now.Unix(), "nonce": nonce, "email": p.Email, "email_verified": p.EmailVerified, "name": p.Name}
}

// IDToken is the ID token for nonce: the honest claims, then Spoil, signed
// by Sign or with Key.
func (p *Provider) IDToken(nonce string) string {
	p.mu.Lock()
	c, spoil, sign := p.claims(nonce), p.Spoil, p.Sign
	p.mu.Unlock()
	if spoil != nil {
		spoil(c)
	}
	if sign != nil {
		return sign(c)
	}
	return SignJWT(p.t, jose.RS256, p.Key, p.KID, c)
}

// SignJWT signs claims as a compact JWS of type JWT with alg and key, and
// kid in the header unless it is empty.
func SignJWT(t *testing.T, alg jose.SignatureAlgorithm, key any, kid string, claims map[string]any) string {
	t.Helper()
	opts := (&jose.SignerOptions{}).WithType("JWT")
	if kid != "" {
		opts = opts.WithHeader(jose.HeaderKey("kid"), kid)
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts)
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

// S256 is the PKCE S256 challenge of verifier (RFC 7636 §4.2).
func S256(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// WriteJSON answers status with v as JSON.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// GitHub is GitHub's OAuth 2.0 endpoints (/login/oauth/...) and the REST
// API's user and e-mail addresses (/api/v3/...), as a GitHub Enterprise
// Server serves them. Its URL is what a GitHub connection's issuer names.
type GitHub struct {
	t *testing.T
	// URL is the server's address.
	URL string
	// ClientID and ClientSecret are the one client it knows.
	ClientID, ClientSecret string

	mu sync.Mutex
	// codes maps an issued code to its PKCE challenge; tokens holds the
	// access tokens issued.
	codes  map[string]string
	tokens map[string]bool

	// User is /api/v3/user's answer.
	User map[string]any
	// Emails is /api/v3/user/emails's answer.
	Emails []map[string]any
	// EmailsHandler, when set, answers /api/v3/user/emails instead.
	EmailsHandler http.HandlerFunc
}

// NewGitHub starts a GitHub that knows the client clientID with secret,
// and stops it when t ends.
func NewGitHub(t *testing.T, clientID, secret string) *GitHub {
	t.Helper()
	g := &GitHub{t: t, ClientID: clientID, ClientSecret: secret, codes: map[string]string{}, tokens: map[string]bool{},
		User:   map[string]any{"id": 583231, "login": "octocat", "name": "The Octocat"},
		Emails: []map[string]any{{"email": "octocat@github.example", "primary": true, "verified": true}}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /login/oauth/authorize", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		back, err := url.Parse(q.Get("redirect_uri"))
		code, ok := g.approve(q)
		if err != nil || !ok {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		back.RawQuery = url.Values{"code": {code}, "state": {q.Get("state")}}.Encode()
		http.Redirect(w, r, back.String(), http.StatusFound)
	})
	mux.HandleFunc("POST /login/oauth/access_token", g.serveToken)
	mux.HandleFunc("GET /api/v3/user", func(w http.ResponseWriter, r *http.Request) {
		if !g.authorized(r) {
			WriteJSON(w, http.StatusUnauthorized, map[string]string{"message": "Requires authentication"})
			return
		}
		g.mu.Lock()
		user := g.User
		g.mu.Unlock()
		WriteJSON(w, http.StatusOK, user)
	})
	mux.HandleFunc("GET /api/v3/user/emails", func(w http.ResponseWriter, r *http.Request) {
		g.mu.Lock()
		custom, emails := g.EmailsHandler, g.Emails
		g.mu.Unlock()
		switch {
		case !g.authorized(r):
			WriteJSON(w, http.StatusUnauthorized, map[string]string{"message": "Requires authentication"})
		case custom != nil:
			custom(w, r)
		default:
			WriteJSON(w, http.StatusOK, emails)
		}
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	g.URL = srv.URL
	return g
}

// Update runs change with the server's fields locked against its
// endpoints.
func (g *GitHub) Update(change func(g *GitHub)) {
	g.mu.Lock()
	defer g.mu.Unlock()
	change(g)
}

// Approve plays the browser at GitHub: it takes the authorization request
// authURL, checks that it has PKCE (S256) and the client, and returns the
// code GitHub sends back.
func (g *GitHub) Approve(authURL string) string {
	g.t.Helper()
	return approveURL(g.t, authURL, g.approve)
}

func (g *GitHub) approve(q url.Values) (string, bool) {
	if q.Get("client_id") != g.ClientID || q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" {
		return "", false
	}
	code := rand.Text()
	g.mu.Lock()
	g.codes[code] = q.Get("code_challenge")
	g.mu.Unlock()
	return code, true
}

func (g *GitHub) serveToken(w http.ResponseWriter, r *http.Request) {
	r.ParseForm()
	code := r.PostForm.Get("code")
	g.mu.Lock()
	challenge, ok := g.codes[code]
	delete(g.codes, code)
	g.mu.Unlock()
	if !ok || r.PostForm.Get("client_id") != g.ClientID || r.PostForm.Get("client_secret") != g.ClientSecret ||
		S256(r.PostForm.Get("code_verifier")) != challenge {
		WriteJSON(w, http.StatusOK, map[string]string{"error": "bad_verification_code"}) // GitHub's way: 200
		return
	}
	token := "gho_fake_" + rand.Text()
	g.mu.Lock()
	g.tokens[token] = true
	g.mu.Unlock()
	w.Header().Set("Content-Type", "application/x-www-form-urlencoded")
	w.Write([]byte(url.Values{"access_token": {token}, "token_type": {"bearer"}, "scope": {"read:user,user:email"}}.Encode()))
}

// authorized reports whether r carries an access token GitHub issued and
// the User-Agent GitHub's API requires.
func (g *GitHub) authorized(r *http.Request) bool {
	token, ok := bearer(r.Header.Get("Authorization"))
	g.mu.Lock()
	defer g.mu.Unlock()
	return ok && g.tokens[token] && r.Header.Get("User-Agent") != ""
}

func bearer(h string) (string, bool) {
	const prefix = "Bearer "
	if len(h) <= len(prefix) || h[:len(prefix)] != prefix {
		return "", false
	}
	return h[len(prefix):], true
}
