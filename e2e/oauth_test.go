package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// fixture is a tenant with a user and three clients.
type fixture struct {
	tenant, issuer     string
	userID             string
	username, password string
	// public: first-party native app, loopback redirect, refresh tokens.
	public string
	// web: confidential third-party web app that needs consent.
	web, webSecret string
	// svc: confidential client_credentials service.
	svc, svcSecret string
}

const webRedirect = "https://app.example.com/callback"

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{tenant: createTenant(t), username: "alice", password: "correct horse battery"}
	noteSecret(f.password)
	f.issuer = target.url + "/t/" + f.tenant
	base := "/admin/v1/tenants/" + f.tenant
	r := adminDo(t, "POST", base+"/users", map[string]any{"username": f.username, "password": f.password, "email": "alice@example.com", "roles": []string{"admin"}})
	mustStatus(t, "create user", r, http.StatusCreated)
	f.userID = r.field("id")

	r = adminDo(t, "POST", base+"/clients", map[string]any{
		"client_id": "native", "token_endpoint_auth_method": "none", "first_party": true,
		"redirect_uris": []string{"http://127.0.0.1/callback"}, "grant_types": []string{"authorization_code", "refresh_token"},
		"scope": "openid profile email read write"})
	mustStatus(t, "create public client", r, http.StatusCreated)
	f.public = "native"

	r = adminDo(t, "POST", base+"/clients", map[string]any{
		"client_id": "web", "client_name": "Web App", "redirect_uris": []string{webRedirect},
		"grant_types": []string{"authorization_code", "refresh_token"}, "scope": "openid read"})
	mustStatus(t, "create web client", r, http.StatusCreated)
	f.web, f.webSecret = "web", r.field("client_secret")

	r = adminDo(t, "POST", base+"/clients", map[string]any{
		"client_id": "svc", "grant_types": []string{"client_credentials"}, "scope": "read write"})
	mustStatus(t, "create service client", r, http.StatusCreated)
	f.svc, f.svcSecret = "svc", r.field("client_secret")
	return f
}

func (f *fixture) publicConfig(port string, scopes ...string) *oauth2.Config {
	return &oauth2.Config{
		ClientID: f.public, RedirectURL: "http://127.0.0.1:" + port + "/callback", Scopes: scopes,
		Endpoint: oauth2.Endpoint{AuthURL: f.issuer + "/authorize", TokenURL: f.issuer + "/token", AuthStyle: oauth2.AuthStyleInParams},
	}
}

func (f *fixture) webConfig(scopes ...string) *oauth2.Config {
	return &oauth2.Config{
		ClientID: f.web, ClientSecret: f.webSecret, RedirectURL: webRedirect, Scopes: scopes,
		Endpoint: oauth2.Endpoint{AuthURL: f.issuer + "/authorize", TokenURL: f.issuer + "/token", AuthStyle: oauth2.AuthStyleInHeader},
	}
}

func oauthCtx() context.Context {
	return context.WithValue(context.Background(), oauth2.HTTPClient, httpClient)
}

// callback checks an authorization response: state echoed, iss present
// (RFC 9207), and returns the code or the error.
func callback(t *testing.T, u *url.URL, state, issuer string) (code, errCode string) {
	t.Helper()
	if u == nil {
		t.Fatalf("the flow did not come back to the client")
	}
	q := u.Query()
	noteSecret(q.Get("code"))
	if got := q.Get("state"); got != state {
		t.Errorf("state = %q; want %q", got, state)
	}
	if got := q.Get("iss"); got != issuer {
		t.Errorf("iss = %q; want %q (RFC 9207)", got, issuer)
	}
	return q.Get("code"), q.Get("error")
}

// accessClaims is what tests read from an access token.
type accessClaims struct {
	jwt.Claims
	ClientID string   `json:"client_id"`
	Scope    string   `json:"scope"`
	Tenant   string   `json:"tenant"`
	Roles    []string `json:"roles"`
	AuthTime int64    `json:"auth_time"`
}

// verifyAccessToken checks a token against the tenant's JWKS like a
// resource server would: signature, typ at+jwt (RFC 9068 §2.1), iss.
func verifyAccessToken(t *testing.T, f *fixture, raw string) accessClaims {
	t.Helper()
	noteSecret(raw)
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		t.Fatalf("parsing the access token: %v", err)
	}
	if typ := tok.Headers[0].ExtraHeaders[jose.HeaderType]; typ != "at+jwt" {
		t.Errorf("typ = %v; want at+jwt", typ)
	}
	var set jose.JSONWebKeySet
	request{method: "GET", path: "/t/" + f.tenant + "/jwks.json"}.do(t).decode(t, &set)
	keys := set.Key(tok.Headers[0].KeyID)
	if len(keys) != 1 {
		t.Fatalf("kid %q is not in the JWKS", tok.Headers[0].KeyID)
	}
	var c accessClaims
	if err := tok.Claims(keys[0].Key, &c); err != nil {
		t.Fatalf("verifying the access token: %v", err)
	}
	if c.Issuer != f.issuer || c.Tenant != f.tenant {
		t.Errorf("iss %q tenant %q; want %q %q", c.Issuer, c.Tenant, f.issuer, f.tenant)
	}
	if c.ID == "" || c.IssuedAt == nil || c.Expiry == nil {
		t.Errorf("jti, iat or exp missing: %+v", c)
	}
	return c
}

func TestCodeFlowPublicClient(t *testing.T) {
	f := newFixture(t)
	cfg := f.publicConfig("49152", "openid", "profile", "read")
	verifier := oauth2.GenerateVerifier()
	b := newBrowser(t, f.username, f.password)
	code, errCode := callback(t, b.authorize(cfg.AuthCodeURL("st-1", oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("nonce", "n-1"))), "st-1", f.issuer)
	if code == "" {
		t.Fatalf("no code (error %q)", errCode)
	}
	if !slices.Equal(b.seen, []string{"login"}) {
		t.Errorf("pages = %v; want [login] (first-party: no consent)", b.seen)
	}
	tok, err := cfg.Exchange(oauthCtx(), code, oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	if tok.RefreshToken == "" || tok.Extra("id_token") == nil || tok.TokenType != "Bearer" {
		t.Fatalf("token response lacks refresh token, id_token or Bearer type: %+v", tok)
	}
	c := verifyAccessToken(t, f, tok.AccessToken)
	if c.Subject != f.userID || c.ClientID != f.public || c.Scope != "openid profile read" || !slices.Equal(c.Roles, []string{"admin"}) || c.AuthTime == 0 {
		t.Errorf("claims %+v; want sub %s client native scope 'openid profile read' roles [admin] auth_time", c, f.userID)
	}
	if !slices.Equal([]string(c.Audience), []string{f.issuer}) {
		t.Errorf("aud = %v; want the issuer (no resource, no default audience)", c.Audience)
	}
	if life := c.Expiry.Time().Sub(c.IssuedAt.Time()); life != 10*time.Minute {
		t.Errorf("lifetime %v; want the default 10m", life)
	}

	// The ID token: RS256, aud = client_id, nonce.
	idt, err := jwt.ParseSigned(tok.Extra("id_token").(string), []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		t.Fatalf("id_token: %v", err)
	}
	var set jose.JSONWebKeySet
	request{method: "GET", path: "/t/" + f.tenant + "/jwks.json"}.do(t).decode(t, &set)
	var idc struct {
		jwt.Claims
		Nonce string `json:"nonce"`
	}
	if err := idt.Claims(set.Key(idt.Headers[0].KeyID)[0].Key, &idc); err != nil {
		t.Fatalf("id_token signature: %v", err)
	}
	if idc.Issuer != f.issuer || idc.Subject != f.userID || !slices.Equal([]string(idc.Audience), []string{f.public}) || idc.Nonce != "n-1" {
		t.Errorf("id_token claims %+v", idc)
	}

	// userinfo with the access token, from a page of another origin.
	r := request{method: "GET", path: "/t/" + f.tenant + "/userinfo",
		header: map[string]string{"Authorization": "Bearer " + tok.AccessToken, "Origin": "https://spa.example"}}.do(t)
	mustStatus(t, "userinfo", r, http.StatusOK)
	if r.field("sub") != f.userID || r.field("preferred_username") != f.username {
		t.Errorf("userinfo = %s", r.body)
	}
	if r.header.Get("Access-Control-Allow-Origin") != "*" || r.header.Get("Access-Control-Allow-Credentials") != "" {
		t.Errorf("userinfo CORS headers %v; want Access-Control-Allow-Origin * and no credentials", r.header)
	}

	// Refresh through a TokenSource: a new refresh token each time.
	old := *tok
	tok.Expiry = time.Now().Add(-time.Minute)
	fresh, err := cfg.TokenSource(oauthCtx(), tok).Token()
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	if fresh.RefreshToken == "" || fresh.RefreshToken == old.RefreshToken || fresh.AccessToken == old.AccessToken {
		t.Fatalf("refresh did not rotate: %+v", fresh)
	}
	verifyAccessToken(t, f, fresh.AccessToken)

	// Reusing the rotated token is invalid_grant and revokes the family.
	mustOAuthError(t, "reuse", tokenRequest(t, f, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {old.RefreshToken}, "client_id": {f.public}}), 400, "invalid_grant")
	mustOAuthError(t, "after reuse", tokenRequest(t, f, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {fresh.RefreshToken}, "client_id": {f.public}}), 400, "invalid_grant")

	// A second authorization in the same browser: no login page.
	v2 := oauth2.GenerateVerifier()
	code2, _ := callback(t, b.authorize(cfg.AuthCodeURL("st-2", oauth2.S256ChallengeOption(v2))), "st-2", f.issuer)
	if code2 == "" || len(b.seen) != 0 {
		t.Errorf("second authorization: code %q pages %v; want a code and no page", code2, b.seen)
	}
}

func TestCodeFlowConsent(t *testing.T) {
	f := newFixture(t)
	cfg := f.webConfig("openid", "read")
	b := newBrowser(t, f.username, f.password)

	b.decision = "deny"
	_, errCode := callback(t, b.authorize(cfg.AuthCodeURL("s-deny", oauth2.S256ChallengeOption(oauth2.GenerateVerifier()))), "s-deny", f.issuer)
	if errCode != "access_denied" || !slices.Equal(b.seen, []string{"login", "consent"}) {
		t.Fatalf("deny: error %q pages %v; want access_denied after login and consent", errCode, b.seen)
	}

	b.decision = "approve"
	verifier := oauth2.GenerateVerifier()
	code, _ := callback(t, b.authorize(cfg.AuthCodeURL("s-ok", oauth2.S256ChallengeOption(verifier))), "s-ok", f.issuer)
	if code == "" || !slices.Equal(b.seen, []string{"consent"}) {
		t.Fatalf("approve: code %q pages %v; want a code after consent only (already signed in)", code, b.seen)
	}
	tok, err := cfg.Exchange(oauthCtx(), code, oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("Exchange (client_secret_basic): %v", err)
	}
	verifyAccessToken(t, f, tok.AccessToken)

	// The consent is remembered; prompt=consent asks again; prompt=none works.
	b.decision = ""
	code, _ = callback(t, b.authorize(cfg.AuthCodeURL("s-again", oauth2.S256ChallengeOption(oauth2.GenerateVerifier()))), "s-again", f.issuer)
	if code == "" || len(b.seen) != 0 {
		t.Errorf("remembered consent: code %q pages %v", code, b.seen)
	}
	code, _ = callback(t, b.authorize(cfg.AuthCodeURL("s-none", oauth2.S256ChallengeOption(oauth2.GenerateVerifier()), oauth2.SetAuthURLParam("prompt", "none"))), "s-none", f.issuer)
	if code == "" {
		t.Errorf("prompt=none with session and consent: no code")
	}
	b.decision = "approve"
	callback(t, b.authorize(cfg.AuthCodeURL("s-c", oauth2.S256ChallengeOption(oauth2.GenerateVerifier()), oauth2.SetAuthURLParam("prompt", "consent"))), "s-c", f.issuer)
	if !slices.Equal(b.seen, []string{"consent"}) {
		t.Errorf("prompt=consent: pages %v; want [consent]", b.seen)
	}
	callback(t, b.authorize(cfg.AuthCodeURL("s-l", oauth2.S256ChallengeOption(oauth2.GenerateVerifier()), oauth2.SetAuthURLParam("prompt", "login"))), "s-l", f.issuer)
	if !slices.Equal(b.seen, []string{"login"}) {
		t.Errorf("prompt=login: pages %v; want [login]", b.seen)
	}

	// A new browser with prompt=none: login_required; with a session but
	// without consent for a new scope: consent_required.
	nb := newBrowser(t, f.username, f.password)
	_, errCode = callback(t, nb.authorize(cfg.AuthCodeURL("s-n", oauth2.S256ChallengeOption(oauth2.GenerateVerifier()), oauth2.SetAuthURLParam("prompt", "none"))), "s-n", f.issuer)
	if errCode != "login_required" {
		t.Errorf("prompt=none without session: error %q; want login_required", errCode)
	}
}

func TestLoginPage(t *testing.T) {
	f := newFixture(t)
	cfg := f.publicConfig("50000", "read")
	authURL := cfg.AuthCodeURL("s", oauth2.S256ChallengeOption(oauth2.GenerateVerifier()))

	b := newBrowser(t, f.username, "wrong password!")
	if u := b.authorize(authURL); u != nil {
		t.Fatalf("wrong password reached the client: %v", u)
	}
	if !strings.Contains(b.last.body, "Wrong username or password.") || b.last.status != http.StatusOK {
		t.Errorf("wrong password: status %d, page without the generic message", b.last.status)
	}
	nobody := newBrowser(t, "nobody", "wrong password!")
	nobody.authorize(authURL)
	if !strings.Contains(nobody.last.body, "Wrong username or password.") {
		t.Errorf("unknown user: a different answer than a wrong password")
	}
	for _, c := range b.client.Jar.Cookies(mustParse(t, target.url)) {
		if strings.HasPrefix(c.Name, "edgeauth-session-") {
			t.Errorf("a failed login set a session cookie")
		}
	}

	// Security headers on the login page.
	b2 := newBrowser(t, f.username, "")
	b2.authorize(authURL)
	h := b2.last.header
	for name, want := range map[string]string{
		"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "Cache-Control": "no-store",
	} {
		if got := h.Get(name); got != want {
			t.Errorf("%s = %q; want %q", name, got, want)
		}
	}
	if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") || strings.Contains(csp, "script-src") {
		t.Errorf("CSP = %q; want frame-ancestors 'none' and no script source", csp)
	}

	// Cookie attributes: HttpOnly, SameSite=Lax (Secure and __Host- on https).
	resp := b2.do("GET", authURL, nil)
	for _, sc := range resp.header.Values("Set-Cookie") {
		if !strings.Contains(sc, "HttpOnly") || !strings.Contains(sc, "SameSite=Lax") || !strings.Contains(sc, "Path=/") {
			t.Errorf("cookie %q lacks HttpOnly, SameSite=Lax or Path=/", sc)
		}
	}

	// The login form of one browser cannot be posted from another (login
	// CSRF): the pending request is bound to the browser that started it.
	b3 := newBrowser(t, f.username, "")
	b3.authorize(authURL)
	attacker := newBrowser(t, f.username, f.password)
	p := attacker.submit(b3.last, url.Values{"username": {f.username}, "password": {f.password}})
	if p.status != http.StatusBadRequest || !strings.Contains(p.body, "expired") {
		t.Errorf("cross-browser login post: status %d; want the 400 error page", p.status)
	}
	// A wrong csrf field is refused too.
	m := formActionRE.FindStringSubmatch(b3.last.body)
	form := url.Values{"username": {f.username}, "password": {f.password}, "csrf": {"x"}}
	for _, hf := range hiddenRE.FindAllStringSubmatch(b3.last.body, -1) {
		if hf[1] == "req" {
			form.Set("req", hf[2])
		}
	}
	p = b3.do("POST", target.url+m[1], form)
	if p.status != http.StatusBadRequest {
		t.Errorf("wrong csrf: status %d; want 400", p.status)
	}
}

// TestAuthorizeErrors: before client_id and redirect_uri are validated,
// an HTML error page and never a redirect; after, a redirect with the
// error, state and iss.
func TestAuthorizeErrors(t *testing.T) {
	f := newFixture(t)
	challenge := s256(oauth2.GenerateVerifier())
	good := url.Values{
		"response_type": {"code"}, "client_id": {f.public}, "redirect_uri": {"http://127.0.0.1:5000/callback"},
		"code_challenge": {challenge}, "code_challenge_method": {"S256"}, "state": {"xyz"}, "scope": {"read"},
	}
	with := func(k, v string) url.Values {
		q := url.Values{}
		for kk, vv := range good {
			q[kk] = vv
		}
		if v == "<delete>" {
			q.Del(k)
		} else {
			q.Set(k, v)
		}
		return q
	}
	pages := []struct {
		name   string
		query  string
		status int
	}{
		{"unknown client", with("client_id", "nobody").Encode(), 400}, // not 401: nothing is asked of the browser (RFC 9110 §15.5.2)
		{"missing client", with("client_id", "<delete>").Encode(), 400},
		{"unregistered redirect", with("redirect_uri", "http://127.0.0.1:5000/other").Encode(), 400},
		{"redirect of another host", with("redirect_uri", "https://evil.example/callback").Encode(), 400},
		{"redirect with extra path", with("redirect_uri", "http://127.0.0.1:5000/callback/x").Encode(), 400},
		{"repeated parameter", good.Encode() + "&state=again", 400},
		{"malformed query", "client_id=%zz", 400},
	}
	for _, tc := range pages {
		t.Run(tc.name, func(t *testing.T) {
			p := newBrowser(t, "", "").do("GET", f.issuer+"/authorize?"+tc.query, nil)
			if p.status != tc.status || !strings.HasPrefix(p.header.Get("Content-Type"), "text/html") || p.header.Get("Location") != "" {
				t.Errorf("status %d type %q location %q; want %d, an HTML page, no redirect", p.status, p.header.Get("Content-Type"), p.header.Get("Location"), tc.status)
			}
		})
	}
	redirects := []struct {
		name  string
		query url.Values
		code  string
	}{
		{"no code_challenge", with("code_challenge", "<delete>"), "invalid_request"},
		{"plain method", with("code_challenge_method", "plain"), "invalid_request"},
		{"no method", with("code_challenge_method", "<delete>"), "invalid_request"},
		{"short challenge", with("code_challenge", "abc"), "invalid_request"},
		{"token response type", with("response_type", "token"), "unsupported_response_type"},
		{"no response type", with("response_type", "<delete>"), "invalid_request"},
		{"scope not allowed", with("scope", "read admin"), "invalid_scope"},
		{"resource relative", with("resource", "/api"), "invalid_target"},
		{"resource fragment", with("resource", "https://api.example.com/#x"), "invalid_target"},
		{"bad prompt", with("prompt", "select_account"), "invalid_request"},
		{"none with login", with("prompt", "none login"), "invalid_request"},
		{"bad max_age", with("max_age", "-1"), "invalid_request"},
		{"prompt none, no session", with("prompt", "none"), "login_required"},
		{"request object", with("request", "eyJhbGciOiJub25lIn0.e30."), "request_not_supported"},
		{"request_uri", with("request_uri", "urn:ietf:params:oauth:request_uri:x"), "request_uri_not_supported"},
		{"form_post response mode", with("response_mode", "form_post"), "invalid_request"},
		{"fragment response mode", with("response_mode", "fragment"), "invalid_request"},
		// The query mode, asked for by name, passes: the next check answers.
		{"query response mode", func() url.Values { q := with("response_mode", "query"); q.Set("prompt", "none"); return q }(), "login_required"},
	}
	for _, tc := range redirects {
		t.Run(tc.name, func(t *testing.T) {
			p := newBrowser(t, "", "").do("GET", f.issuer+"/authorize?"+tc.query.Encode(), nil)
			if p.status != http.StatusSeeOther {
				t.Fatalf("status %d; want 303 to the client: %s", p.status, p.body)
			}
			u := mustParse(t, p.header.Get("Location"))
			if !strings.HasPrefix(u.String(), "http://127.0.0.1:5000/callback?") {
				t.Fatalf("redirected to %s", u)
			}
			if _, errCode := callback(t, u, "xyz", f.issuer); errCode != tc.code {
				t.Errorf("error = %q; want %q", errCode, tc.code)
			}
		})
	}
}

// introspect asks f's tenant about token, authenticated as auth's client
// id and secret (client_secret_post) when given.
func introspect(t *testing.T, f *fixture, token string, auth ...string) response {
	t.Helper()
	form := url.Values{"token": {token}}
	if len(auth) == 2 {
		form.Set("client_id", auth[0])
		form.Set("client_secret", auth[1])
	}
	return request{method: "POST", path: "/t/" + f.tenant + "/introspect", body: form.Encode(),
		header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}}.do(t)
}

// basicAuth is client_secret_basic: id and secret form-encoded, then
// base64 (RFC 6749 §2.3.1).
func basicAuth(id, secret string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(id)+":"+url.QueryEscape(secret)))
}

func s256(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// tokenRequest posts a form to the token endpoint.
func tokenRequest(t *testing.T, f *fixture, form url.Values, header ...string) response {
	t.Helper()
	h := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
	for i := 0; i+1 < len(header); i += 2 {
		h[header[i]] = header[i+1]
	}
	return request{method: "POST", path: "/t/" + f.tenant + "/token", body: form.Encode(), header: h}.do(t)
}

func mustOAuthError(t *testing.T, what string, r response, status int, code string) {
	t.Helper()
	if r.status != status || r.field("error") != code {
		t.Errorf("%s: %d %s; want %d %s", what, r.status, r.body, status, code)
	}
	// RFC 6749 §5.2 points to §5.1's headers: no-store, and Pragma for
	// HTTP/1.0 caches, as on a successful token answer.
	if cc, pragma := r.header.Get("Cache-Control"), r.header.Get("Pragma"); cc != "no-store" || pragma != "no-cache" {
		t.Errorf("%s: Cache-Control %q, Pragma %q; want no-store and no-cache", what, cc, pragma)
	}
}

// codeFor runs the browser flow for the public client and returns a code
// and its verifier.
func codeFor(t *testing.T, f *fixture, redirect string, extra ...oauth2.AuthCodeOption) (code, verifier string) {
	t.Helper()
	verifier = oauth2.GenerateVerifier()
	cfg := f.publicConfig("5000", "read")
	cfg.RedirectURL = redirect
	b := newBrowser(t, f.username, f.password)
	code, errCode := callback(t, b.authorize(cfg.AuthCodeURL("s", append(extra, oauth2.S256ChallengeOption(verifier))...)), "s", f.issuer)
	if code == "" {
		t.Fatalf("no code: %s", errCode)
	}
	return code, verifier
}

func TestTokenErrors(t *testing.T) {
	f := newFixture(t)
	redirect := "http://127.0.0.1:5000/callback"
	exchange := func(code, verifier string, extra ...string) url.Values {
		v := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "code_verifier": {verifier}, "redirect_uri": {redirect}, "client_id": {f.public}}
		for i := 0; i+1 < len(extra); i += 2 {
			if extra[i+1] == "<delete>" {
				v.Del(extra[i])
			} else {
				v.Set(extra[i], extra[i+1])
			}
		}
		return v
	}

	t.Run("wrong verifier", func(t *testing.T) {
		code, _ := codeFor(t, f, redirect)
		mustOAuthError(t, "wrong verifier", tokenRequest(t, f, exchange(code, oauth2.GenerateVerifier())), 400, "invalid_grant")
	})
	t.Run("wrong redirect_uri", func(t *testing.T) {
		code, v := codeFor(t, f, redirect)
		r := tokenRequest(t, f, exchange(code, v, "redirect_uri", "http://127.0.0.1:5001/callback"))
		mustOAuthError(t, "wrong redirect", r, 400, "invalid_grant")
		if d := r.field("error_description"); !strings.Contains(d, "redirect_uri does not match") {
			t.Errorf("wrong redirect_uri: error_description %q; want it to say that redirect_uri does not match", d)
		}
	})
	// RFC 6749 §4.1.3: redirect_uri is REQUIRED when the authorization
	// request had one; the answer says so, and the code is not spent.
	t.Run("missing redirect_uri", func(t *testing.T) {
		code, v := codeFor(t, f, redirect)
		r := tokenRequest(t, f, exchange(code, v, "redirect_uri", "<delete>"))
		mustOAuthError(t, "missing redirect", r, 400, "invalid_request")
		if d := r.field("error_description"); !strings.Contains(d, "redirect_uri is missing") {
			t.Errorf("missing redirect_uri: error_description %q; want it to say that redirect_uri is missing", d)
		}
		mustStatus(t, "the same code with its redirect_uri", tokenRequest(t, f, exchange(code, v)), http.StatusOK)
	})
	t.Run("code of another client", func(t *testing.T) {
		code, v := codeFor(t, f, redirect)
		mustOAuthError(t, "other client", tokenRequest(t, f, exchange(code, v, "client_id", f.web, "client_secret", f.webSecret, "redirect_uri", webRedirect)), 400, "invalid_grant")
	})
	t.Run("unknown code", func(t *testing.T) {
		mustOAuthError(t, "unknown", tokenRequest(t, f, exchange(oauth2.GenerateVerifier(), oauth2.GenerateVerifier())), 400, "invalid_grant")
	})
	t.Run("missing verifier", func(t *testing.T) {
		code, _ := codeFor(t, f, redirect)
		mustOAuthError(t, "missing verifier", tokenRequest(t, f, exchange(code, "", "code_verifier", "<delete>")), 400, "invalid_request")
	})
	t.Run("replayed code revokes the grant", func(t *testing.T) {
		code, v := codeFor(t, f, redirect)
		first := tokenRequest(t, f, exchange(code, v))
		mustStatus(t, "first redemption", first, http.StatusOK)
		mustOAuthError(t, "replay", tokenRequest(t, f, exchange(code, v)), 400, "invalid_grant")
		mustOAuthError(t, "refresh after replay", tokenRequest(t, f, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {first.field("refresh_token")}, "client_id": {f.public}}), 400, "invalid_grant")
	})
	t.Run("up-scoping and down-scoping", func(t *testing.T) {
		code, v := codeFor(t, f, redirect)
		first := tokenRequest(t, f, exchange(code, v))
		rt := first.field("refresh_token")
		mustOAuthError(t, "up-scope", tokenRequest(t, f, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {f.public}, "scope": {"read write"}}), 400, "invalid_scope")
		// scope= is no scope parameter (RFC 6749 §3.2): the grant's scope.
		same := tokenRequest(t, f, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {f.public}, "scope": {""}})
		mustStatus(t, "empty scope", same, http.StatusOK)
		if same.field("scope") != "read" {
			t.Errorf("scope= gave scope %q; want the grant's, read", same.field("scope"))
		}
	})
	t.Run("refresh of another client", func(t *testing.T) {
		code, v := codeFor(t, f, redirect)
		rt := tokenRequest(t, f, exchange(code, v)).field("refresh_token")
		mustOAuthError(t, "other client", tokenRequest(t, f, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {f.web}, "client_secret": {f.webSecret}}), 400, "invalid_grant")
		mustStatus(t, "owner still can", tokenRequest(t, f, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {f.public}}), http.StatusOK)
	})

	basic := basicAuth
	cc := url.Values{"grant_type": {"client_credentials"}}
	cases := []struct {
		name   string
		form   url.Values
		header []string
		status int
		code   string
	}{
		{"wrong secret basic", cc, []string{"Authorization", basic(f.svc, "wrong")}, 401, "invalid_client"},
		{"wrong secret post", url.Values{"grant_type": {"client_credentials"}, "client_id": {f.svc}, "client_secret": {"wrong"}}, nil, 401, "invalid_client"},
		{"unknown client", url.Values{"grant_type": {"client_credentials"}, "client_id": {"nobody"}, "client_secret": {"x"}}, nil, 401, "invalid_client"},
		{"no client", cc, nil, 401, "invalid_client"},
		{"public with secret", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"x"}, "client_id": {f.public}, "client_secret": {"x"}}, nil, 401, "invalid_client"},
		{"two methods", url.Values{"grant_type": {"client_credentials"}, "client_secret": {f.svcSecret}}, []string{"Authorization", basic(f.svc, f.svcSecret)}, 400, "invalid_request"},
		{"public client_credentials", url.Values{"grant_type": {"client_credentials"}, "client_id": {f.public}}, nil, 400, "unauthorized_client"},
		{"service code grant", url.Values{"grant_type": {"authorization_code"}, "code": {"x"}, "code_verifier": {"y"}}, []string{"Authorization", basic(f.svc, f.svcSecret)}, 400, "unauthorized_client"},
		{"unsupported grant", url.Values{"grant_type": {"password"}, "username": {"a"}, "password": {"b"}}, []string{"Authorization", basic(f.svc, f.svcSecret)}, 400, "unsupported_grant_type"},
		{"missing grant", url.Values{}, []string{"Authorization", basic(f.svc, f.svcSecret)}, 400, "invalid_request"},
		{"scope beyond client", url.Values{"grant_type": {"client_credentials"}, "scope": {"admin"}}, []string{"Authorization", basic(f.svc, f.svcSecret)}, 400, "invalid_scope"},
		{"bad resource", url.Values{"grant_type": {"client_credentials"}, "resource": {"not a uri"}}, []string{"Authorization", basic(f.svc, f.svcSecret)}, 400, "invalid_target"},
		{"bogus refresh token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"abc"}, "client_id": {f.public}}, nil, 400, "invalid_grant"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := tokenRequest(t, f, tc.form, tc.header...)
			mustOAuthError(t, tc.name, r, tc.status, tc.code)
			// Every 401 carries a challenge (RFC 9110 §15.5.2: MUST), Basic
			// with its realm (RFC 6749 §5.2, RFC 7617 §2).
			if ch := r.header.Get("WWW-Authenticate"); tc.status == 401 && (!strings.HasPrefix(ch, "Basic ") || !strings.Contains(ch, `realm="`+f.issuer+`"`)) {
				t.Errorf("401 with WWW-Authenticate %q; want a Basic challenge with realm %q", ch, f.issuer)
			}
		})
	}
	t.Run("repeated parameter", func(t *testing.T) {
		r := request{method: "POST", path: "/t/" + f.tenant + "/token", body: "grant_type=client_credentials&grant_type=client_credentials",
			header: map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Authorization": basic(f.svc, f.svcSecret)}}.do(t)
		mustOAuthError(t, "repeated", r, 400, "invalid_request")
	})
	t.Run("json body", func(t *testing.T) {
		r := request{method: "POST", path: "/t/" + f.tenant + "/token", body: `{"grant_type":"client_credentials"}`,
			header: map[string]string{"Content-Type": "application/json", "Authorization": basic(f.svc, f.svcSecret)}}.do(t)
		mustOAuthError(t, "json", r, 400, "invalid_request")
	})
}

func TestClientCredentials(t *testing.T) {
	f := newFixture(t)
	cfg := clientcredentials.Config{ClientID: f.svc, ClientSecret: f.svcSecret, TokenURL: f.issuer + "/token", Scopes: []string{"read"},
		EndpointParams: url.Values{"resource": {"https://api.example.com"}}}
	tok, err := cfg.Token(oauthCtx())
	if err != nil {
		t.Fatalf("client_credentials: %v", err)
	}
	if tok.RefreshToken != "" {
		t.Errorf("client_credentials returned a refresh token")
	}
	c := verifyAccessToken(t, f, tok.AccessToken)
	if c.Subject != f.svc || c.ClientID != f.svc || c.Scope != "read" || !slices.Equal([]string(c.Audience), []string{"https://api.example.com"}) {
		t.Errorf("claims %+v; want sub=client_id=svc scope read aud https://api.example.com", c)
	}
}

func TestRevokeAndIntrospect(t *testing.T) {
	f := newFixture(t)
	redirect := "http://127.0.0.1:5000/callback"
	code, v := codeFor(t, f, redirect, oauth2.SetAuthURLParam("resource", "https://api.example.com"))
	tok := tokenRequest(t, f, url.Values{"grant_type": {"authorization_code"}, "code": {code}, "code_verifier": {v}, "redirect_uri": {redirect}, "client_id": {f.public}})
	mustStatus(t, "exchange", tok, http.StatusOK)
	at, rt := tok.field("access_token"), tok.field("refresh_token")
	if c := verifyAccessToken(t, f, at); !slices.Equal([]string(c.Audience), []string{"https://api.example.com"}) {
		t.Errorf("aud = %v; want the resource (RFC 8707)", c.Audience)
	}

	// RFC 7662 §4: a token for https://api.example.com is active only for
	// a caller that stands for that resource server (or is its client).
	if r := introspect(t, f, at, f.svc, f.svcSecret); string(r.body) != "{\"active\":false}\n" {
		t.Errorf("introspection by a client that is not the token's resource server: %s; want only active:false", r.body)
	}
	mustStatus(t, "svc stands for the API", adminDo(t, "PATCH", "/admin/v1/tenants/"+f.tenant+"/clients/"+f.svc,
		map[string]any{"introspection_audiences": []string{"https://api.example.com"}}), http.StatusOK)
	if r := introspect(t, f, at, f.web, f.webSecret); string(r.body) != "{\"active\":false}\n" {
		t.Errorf("introspection by another confidential client: %s; want only active:false", r.body)
	}
	r := introspect(t, f, at, f.svc, f.svcSecret)
	var ai struct {
		Active   bool   `json:"active"`
		Sub      string `json:"sub"`
		ClientID string `json:"client_id"`
		Scope    string `json:"scope"`
	}
	r.decode(t, &ai)
	if !ai.Active || ai.Sub != f.userID || ai.ClientID != f.public || ai.Scope != "read" {
		t.Errorf("introspect access token = %s", r.body)
	}
	if r := introspect(t, f, rt, f.svc, f.svcSecret); r.field("token_type") != "" || !strings.Contains(string(r.body), `"active":false`) {
		t.Errorf("another client introspecting a refresh token: %s; want inactive", r.body)
	}
	if r := introspect(t, f, "garbage", f.svc, f.svcSecret); string(r.body) != "{\"active\":false}\n" {
		t.Errorf("introspect garbage = %q; want only active:false", r.body)
	}
	mustOAuthError(t, "public client introspecting", introspect(t, f, at), 401, "invalid_client")

	revoke := func(token string) response {
		return request{method: "POST", path: "/t/" + f.tenant + "/revoke", body: url.Values{"token": {token}, "client_id": {f.public}}.Encode(),
			header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}}.do(t)
	}
	mustStatus(t, "revoke unknown token", revoke("unknown"), http.StatusOK)
	mustStatus(t, "revoke refresh token", revoke(rt), http.StatusOK)
	mustOAuthError(t, "refresh after revoke", tokenRequest(t, f, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {f.public}}), 400, "invalid_grant")
	mustStatus(t, "revoke again", revoke(rt), http.StatusOK)
	mustStatus(t, "revoke a tampered access token", revoke(at[:len(at)-4]+"AAAA"), http.StatusOK)
	svc := tokenRequest(t, f, url.Values{"grant_type": {"client_credentials"}}, "Authorization", basicAuth(f.svc, f.svcSecret)).field("access_token")
	mustOAuthError(t, "revoke another client's access token", revoke(svc), 400, "unauthorized_client")
	// RFC 7009 §2.2.1: an access token of no grant (client_credentials)
	// cannot be revoked, and the answer must not say it was.
	svcRevoke := request{method: "POST", path: "/t/" + f.tenant + "/revoke", body: url.Values{"token": {svc}}.Encode(),
		header: map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Authorization": basicAuth(f.svc, f.svcSecret)}}.do(t)
	mustOAuthError(t, "revoke a client_credentials access token", svcRevoke, 400, "unsupported_token_type")

	// A user's access token names its grant: revoking it revokes the
	// grant (RFC 7009 §2.1), and the grant's access tokens are inactive
	// at introspection from then on, its refresh token refused.
	code, v = codeFor(t, f, redirect, oauth2.SetAuthURLParam("resource", "https://api.example.com"))
	tok = tokenRequest(t, f, url.Values{"grant_type": {"authorization_code"}, "code": {code}, "code_verifier": {v}, "redirect_uri": {redirect}, "client_id": {f.public}})
	mustStatus(t, "second exchange", tok, http.StatusOK)
	at, rt = tok.field("access_token"), tok.field("refresh_token")
	if r := introspect(t, f, at, f.svc, f.svcSecret); r.field("sub") != f.userID {
		t.Fatalf("introspect before revoking: %s; want active", r.body)
	}
	mustStatus(t, "revoke access token", revoke(at), http.StatusOK)
	if r := introspect(t, f, at, f.svc, f.svcSecret); string(r.body) != "{\"active\":false}\n" {
		t.Errorf("introspect after revoking the access token: %s; want only active:false", r.body)
	}
	mustOAuthError(t, "refresh after revoking its access token", tokenRequest(t, f, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {f.public}}), 400, "invalid_grant")
	mustStatus(t, "revoke the access token again", revoke(at), http.StatusOK)
}

// OpenID Connect Core §5.3: the UserInfo endpoint SHOULD support CORS. A
// browser may send the Authorization header after a preflight, and can
// read a refusal and its WWW-Authenticate challenge.
func TestUserinfoCORS(t *testing.T) {
	f := newFixture(t)
	path := "/t/" + f.tenant + "/userinfo"
	pre := request{method: "OPTIONS", path: path, header: map[string]string{"Origin": "https://spa.example",
		"Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "authorization"}}.do(t)
	if pre.status != http.StatusNoContent || pre.header.Get("Access-Control-Allow-Origin") != "*" ||
		!strings.Contains(strings.ToLower(pre.header.Get("Access-Control-Allow-Headers")), "authorization") || !strings.Contains(pre.header.Get("Access-Control-Allow-Methods"), "GET") {
		t.Errorf("preflight: %d %v", pre.status, pre.header)
	}
	r := request{method: "GET", path: path, header: map[string]string{"Origin": "https://spa.example", "Authorization": "Bearer abc.def.ghi"}}.do(t)
	mustOAuthError(t, "userinfo with a bad token", r, 401, "invalid_token")
	if r.header.Get("Access-Control-Allow-Origin") != "*" || !strings.Contains(r.header.Get("Access-Control-Expose-Headers"), "WWW-Authenticate") || r.header.Get("WWW-Authenticate") == "" {
		t.Errorf("refusal readable cross-origin? %v", r.header)
	}
}

// TestUserinfoAudience: UserInfo is a resource server too, and RFC 9068
// §4 says it MUST reject a token whose aud does not name it: a token
// issued for another API (RFC 8707 resource) cannot read the user's
// profile there; one issued without a resource can.
func TestUserinfoAudience(t *testing.T) {
	f := newFixture(t)
	redirect := "http://127.0.0.1:5000/callback"
	userinfo := func(resource string) response {
		t.Helper()
		var opts []oauth2.AuthCodeOption
		if resource != "" {
			opts = append(opts, oauth2.SetAuthURLParam("resource", resource))
		}
		cfg := f.publicConfig("5000", "openid", "profile")
		v := oauth2.GenerateVerifier()
		code, errCode := callback(t, newBrowser(t, f.username, f.password).authorize(cfg.AuthCodeURL("s", append(opts, oauth2.S256ChallengeOption(v))...)), "s", f.issuer)
		if code == "" {
			t.Fatalf("no code: %s", errCode)
		}
		tok := tokenRequest(t, f, url.Values{"grant_type": {"authorization_code"}, "code": {code}, "code_verifier": {v}, "redirect_uri": {redirect}, "client_id": {f.public}})
		mustStatus(t, "exchange", tok, http.StatusOK)
		return request{method: "GET", path: "/t/" + f.tenant + "/userinfo", header: map[string]string{"Authorization": "Bearer " + tok.field("access_token")}}.do(t)
	}
	if r := userinfo(""); r.status != http.StatusOK || r.field("sub") != f.userID {
		t.Errorf("token without a resource: %d %s; want the user", r.status, r.body)
	}
	r := userinfo("https://api.example.com")
	mustOAuthError(t, "token for another API", r, 401, "invalid_token")
	if !strings.Contains(r.header.Get("WWW-Authenticate"), `error="invalid_token"`) {
		t.Errorf("WWW-Authenticate %q; want error=invalid_token (RFC 6750 §3)", r.header.Get("WWW-Authenticate"))
	}
	// With a default audience, a token asked for without a resource names
	// both the API and the issuer, and works here; one asked for the API
	// by name does not.
	setSettings(t, f.tenant, map[string]any{"default_audience": "https://api.example.com"})
	if r := userinfo(""); r.status != http.StatusOK {
		t.Errorf("default audience, token without a resource: %d %s; want the user", r.status, r.body)
	}
	mustOAuthError(t, "default audience, token for the API by name", userinfo("https://api.example.com"), 401, "invalid_token")
}

func TestTokenCORS(t *testing.T) {
	f := newFixture(t)
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"x"}, "client_id": {f.public}}
	r := tokenRequest(t, f, form, "Origin", "http://127.0.0.1")
	if got := r.header.Get("Access-Control-Allow-Origin"); got != "http://127.0.0.1" {
		t.Errorf("Origin of a registered redirect: ACAO %q; want it echoed", got)
	}
	r = tokenRequest(t, f, form, "Origin", "https://evil.example")
	if got := r.header.Get("Access-Control-Allow-Origin"); got != "" {
		t.Errorf("foreign Origin: ACAO %q; want none", got)
	}
	if r.header.Get("Access-Control-Allow-Credentials") != "" {
		t.Errorf("credentials allowed")
	}
	pre := request{method: "OPTIONS", path: "/t/" + f.tenant + "/token", header: map[string]string{"Origin": "http://127.0.0.1", "Access-Control-Request-Method": "POST"}}.do(t)
	if pre.status != http.StatusNoContent || pre.header.Get("Access-Control-Allow-Methods") != "POST" {
		t.Errorf("preflight: %d %v", pre.status, pre.header)
	}
}
