package e2e

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/edgeauth/edgeauth/internal/oidctest"
	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"golang.org/x/oauth2"
)

// downstreamTenant is a tenant whose users sign in through upstream
// connections, with a first-party public client "app".
type downstreamTenant struct {
	tenant, issuer string
	cfg            *oauth2.Config
}

const appRedirect = "http://127.0.0.1/callback"

func newDownstream(t *testing.T, settings map[string]any) *downstreamTenant {
	t.Helper()
	d := &downstreamTenant{tenant: newTenantID(t)}
	body := map[string]any{"id": d.tenant, "name": "Downstream " + d.tenant}
	if settings != nil {
		body["settings"] = settings
	}
	mustStatus(t, "create tenant", adminDo(t, "POST", "/admin/v1/tenants", body), http.StatusCreated)
	t.Cleanup(func() { adminDo(t, "DELETE", "/admin/v1/tenants/"+d.tenant, nil) })
	d.issuer = target.url + "/t/" + d.tenant
	mustStatus(t, "create app", adminDo(t, "POST", "/admin/v1/tenants/"+d.tenant+"/clients", map[string]any{
		"client_id": "app", "token_endpoint_auth_method": "none", "first_party": true, "redirect_uris": []string{appRedirect},
		"grant_types": []string{"authorization_code"}, "scope": "openid profile email"}), http.StatusCreated)
	d.cfg = &oauth2.Config{ClientID: "app", RedirectURL: appRedirect, Scopes: []string{"openid", "profile", "email"},
		Endpoint: oauth2.Endpoint{AuthURL: d.issuer + "/authorize", TokenURL: d.issuer + "/token", AuthStyle: oauth2.AuthStyleInParams}}
	return d
}

// connect creates connection id of kind at d with the fake's client.
func (d *downstreamTenant) connect(t *testing.T, id, kind, issuer string, extra map[string]any) response {
	t.Helper()
	body := map[string]any{"id": id, "kind": kind, "client_id": fakeUpstreamClient, "client_secret": fakeUpstreamSecret, "create_users": true}
	if issuer != "" {
		body["issuer"] = issuer
	}
	for k, v := range extra {
		body[k] = v
	}
	r := adminDo(t, "POST", "/admin/v1/tenants/"+d.tenant+"/connections", body)
	mustStatus(t, "create connection "+id, r, http.StatusCreated)
	return r
}

var upstreamFormRE = regexp.MustCompile(`<form method="post" action="([^"]+/upstream)">`)

// loginPage starts an authorization request of d's app in b and returns
// the sign-in page, with the PKCE verifier and state of the request.
func (d *downstreamTenant) loginPage(t *testing.T, b *browser) (page, string) {
	t.Helper()
	verifier := oauth2.GenerateVerifier()
	p := b.follow(d.cfg.AuthCodeURL("app-state", oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("nonce", "app-nonce")))
	if p.status != http.StatusOK || !strings.Contains(p.body, "<h1>Sign in") {
		t.Fatalf("the authorization request did not end on the sign-in page: %d %s", p.status, p.body)
	}
	return p, verifier
}

// choose clicks the button of connection on the sign-in page p: the
// answer is the redirect to the provider.
func choose(t *testing.T, b *browser, p page, connection string) page {
	t.Helper()
	m := upstreamFormRE.FindStringSubmatch(p.body)
	if m == nil || !strings.Contains(p.body, `name="connection" value="`+connection+`"`) {
		t.Fatalf("no button of %q on the sign-in page: %s", connection, p.body)
	}
	form := url.Values{"connection": {connection}}
	for _, h := range hiddenRE.FindAllStringSubmatch(p.body, -1) {
		form.Set(h[1], html.UnescapeString(h[2]))
	}
	r := b.do("POST", target.url+html.UnescapeString(m[1]), form)
	if r.status != http.StatusSeeOther {
		t.Fatalf("choosing %s: %d %s; want a 303 to the provider", connection, r.status, r.body)
	}
	return r
}

// travel follows redirects from u, the server's and the providers' alike,
// filling in the sign-in form of an edgeauth provider with b's user, until
// the browser is sent to the app (returned) or a page is shown (nil, and
// b.last is the page).
func travel(t *testing.T, b *browser, u string) *url.URL {
	t.Helper()
	for range 20 {
		p := b.do("GET", u, nil)
		switch {
		case p.status == http.StatusSeeOther || p.status == http.StatusFound:
			next, err := url.Parse(u)
			if err != nil {
				t.Fatal(err)
			}
			next, err = next.Parse(p.header.Get("Location"))
			if err != nil {
				t.Fatal(err)
			}
			if strings.HasPrefix(next.String(), appRedirect) {
				return next
			}
			u = next.String()
		case p.status == http.StatusOK && strings.Contains(p.body, `name="password"`) && b.password != "":
			r := b.submit(p, url.Values{"username": {b.username}, "password": {b.password}})
			if r.status != http.StatusSeeOther {
				t.Fatalf("signing in at the provider: %d %s", r.status, r.body)
			}
			next, _ := url.Parse(u)
			next, _ = next.Parse(r.header.Get("Location"))
			if strings.HasPrefix(next.String(), appRedirect) {
				return next
			}
			u = next.String()
		default:
			return nil
		}
	}
	t.Fatalf("too many redirects")
	return nil
}

// idClaims are the downstreamTenant ID token's claims a test reads.
type idClaims struct {
	jwt.Claims
	Nonce             string `json:"nonce"`
	Email             string `json:"email"`
	EmailVerified     *bool  `json:"email_verified"`
	Name              string `json:"name"`
	PreferredUsername string `json:"preferred_username"`
}

// exchange redeems the app's code and returns the ID token's claims,
// verified against d's JWKS.
func (d *downstreamTenant) exchange(t *testing.T, back *url.URL, verifier string) idClaims {
	t.Helper()
	code, errCode := callback(t, back, "app-state", d.issuer)
	if code == "" {
		t.Fatalf("no code for the app: error %q (%s)", errCode, back)
	}
	tok, err := d.cfg.Exchange(oauthCtx(), code, oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	return verifyIDToken(t, d, raw)
}

// verifyIDToken verifies raw, an ID token of d for its app, against d's
// JWKS and returns its claims.
func verifyIDToken(t *testing.T, d *downstreamTenant, raw string) idClaims {
	t.Helper()
	c := verifyIDTokenOf(t, d, raw, "app")
	if c.Nonce != "app-nonce" {
		t.Errorf("id_token nonce %q; want app-nonce", c.Nonce)
	}
	return c
}

// verifyIDTokenOf verifies raw, an ID token of d for client, against d's
// JWKS and returns its claims.
func verifyIDTokenOf(t *testing.T, d *downstreamTenant, raw, client string) idClaims {
	t.Helper()
	noteSecret(raw)
	idt, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		t.Fatalf("id_token: %v", err)
	}
	var set jose.JSONWebKeySet
	request{method: "GET", path: "/t/" + d.tenant + "/jwks.json"}.do(t).decode(t, &set)
	var c idClaims
	if keys := set.Key(idt.Headers[0].KeyID); len(keys) != 1 || idt.Claims(keys[0].Key, &c) != nil {
		t.Fatalf("the id_token does not verify against %s's keys", d.tenant)
	}
	if c.Issuer != d.issuer || len(c.Audience) != 1 || c.Audience[0] != client {
		t.Errorf("id_token iss %q aud %v; want %q, [%s]", c.Issuer, c.Audience, d.issuer, client)
	}
	return c
}

// upstreamEdgeauth makes another tenant the OpenID Provider of d: a user
// carol, with a verified address, and a confidential client whose
// redirect URI is d's callback of connection.
func upstreamEdgeauth(t *testing.T, d *downstreamTenant, connection string) (issuer, clientID, secret, carol string) {
	t.Helper()
	up := createTenant(t)
	base := "/admin/v1/tenants/" + up
	u := adminDo(t, "POST", base+"/users", map[string]any{"username": "carol", "password": "carol's long password",
		"email": "carol@up.example", "email_verified": true, "name": "Carol Upstream"})
	mustStatus(t, "create carol", u, http.StatusCreated)
	noteSecret("carol's long password")
	r := adminDo(t, "POST", base+"/clients", map[string]any{"client_id": "downstream", "client_name": "Downstream",
		"redirect_uris": []string{d.issuer + "/callback/" + connection}, "grant_types": []string{"authorization_code"},
		"scope": "openid email profile", "first_party": true})
	mustStatus(t, "create the downstream's client", r, http.StatusCreated)
	return target.url + "/t/" + up, "downstream", r.field("client_secret"), u.field("id")
}

// TestUpstreamEdgeauthTenant: another edgeauth tenant is the OpenID
// Provider of the first, end to end (discovery, the code flow with PKCE,
// the JWKS, the ID token): the user lands back at the app with a code,
// and the app's ID token carries the upstream address, its verification
// and the name under a sub of the downstreamTenant tenant. A second sign-in is
// the same user; the admin API shows the linked account.
func TestUpstreamEdgeauthTenant(t *testing.T) {
	d := newDownstream(t, nil)
	issuer, clientID, secret, carol := upstreamEdgeauth(t, d, "corp")
	r := adminDo(t, "POST", "/admin/v1/tenants/"+d.tenant+"/connections", map[string]any{
		"id": "corp", "kind": "oidc", "name": "Corp SSO", "issuer": issuer, "client_id": clientID, "client_secret": secret, "create_users": true})
	mustStatus(t, "create connection", r, http.StatusCreated)
	if r.field("client_secret") != "" || !strings.Contains(string(r.body), `"client_secret_set":true`) || r.field("redirect_uri") != d.issuer+"/callback/corp" {
		t.Errorf("connection answer %s; want no secret, client_secret_set and the redirect URI", r.body)
	}

	b := newBrowser(t, "carol", "carol's long password")
	p, verifier := d.loginPage(t, b)
	if !strings.Contains(p.body, "Continue with Corp SSO") {
		t.Errorf("the sign-in page has no Corp SSO button: %s", p.body)
	}
	start := choose(t, b, p, "corp")
	if loc := start.header.Get("Location"); !strings.HasPrefix(loc, issuer+"/authorize?") {
		t.Fatalf("the button sent the browser to %q; want %s/authorize", loc, issuer)
	}
	c := d.exchange(t, travel(t, b, start.header.Get("Location")), verifier)
	if c.Email != "carol@up.example" || c.EmailVerified == nil || !*c.EmailVerified || c.Name != "Carol Upstream" || c.Subject == "" ||
		c.PreferredUsername != "corp:"+carol {
		t.Errorf("downstream id_token %+v; want carol's upstream profile under a downstream sub", c)
	}

	// Again, in a new browser: the same user.
	b2 := newBrowser(t, "carol", "carol's long password")
	p2, v2 := d.loginPage(t, b2)
	c2 := d.exchange(t, travel(t, b2, choose(t, b2, p2, "corp").header.Get("Location")), v2)
	if c2.Subject != c.Subject {
		t.Errorf("second sign-in: sub %q; want %q (the same user)", c2.Subject, c.Subject)
	}

	u := adminDo(t, "GET", "/admin/v1/tenants/"+d.tenant+"/users/"+c.Subject, nil)
	mustStatus(t, "get user", u, http.StatusOK)
	var user struct {
		HasPassword bool `json:"has_password"`
		Identities  []struct {
			Connection, Subject, Email string
		} `json:"identities"`
	}
	u.decode(t, &user)
	if user.HasPassword || len(user.Identities) != 1 || user.Identities[0].Connection != "corp" || user.Identities[0].Email != "carol@up.example" {
		t.Errorf("user = %s; want no password and the corp identity", u.body)
	}
	events := adminDo(t, "GET", "/admin/v1/tenants/"+d.tenant+"/audit", nil)
	for _, e := range []string{`"connection.created"`, `"user.created"`, `"login.succeeded"`} {
		if !strings.Contains(string(events.body), e) {
			t.Errorf("audit log lacks %s: %s", e, events.body)
		}
	}
}

// TestUpstreamGitHub: a GitHub-shaped OAuth 2.0 server (no ID token):
// the user is GitHub's numeric id, the address the verified primary one.
func TestUpstreamGitHub(t *testing.T) {
	g := newFakeGitHub(t)
	d := newDownstream(t, nil)
	d.connect(t, "github", "github", g.URL, nil)
	b := newBrowser(t, "", "")
	p, verifier := d.loginPage(t, b)
	if !strings.Contains(p.body, "Continue with GitHub") {
		t.Errorf("no GitHub button: %s", p.body)
	}
	start := choose(t, b, p, "github")
	if loc := start.header.Get("Location"); !strings.HasPrefix(loc, g.URL+"/login/oauth/authorize?") || strings.Contains(loc, "nonce=") {
		t.Fatalf("GitHub button sent the browser to %q", loc)
	}
	c := d.exchange(t, travel(t, b, start.header.Get("Location")), verifier)
	if c.PreferredUsername != "github:583231" || c.Email != "octocat@github.example" || c.EmailVerified == nil || !*c.EmailVerified || c.Name != "The Octocat" {
		t.Errorf("id_token %+v; want github:583231 with the verified primary address", c)
	}
}

// upstreamFails runs a sign-in through connection "corp" of d at the
// fake provider p and returns the page it ends on.
func upstreamFails(t *testing.T, d *downstreamTenant) page {
	t.Helper()
	b := newBrowser(t, "", "")
	p, _ := d.loginPage(t, b)
	if back := travel(t, b, choose(t, b, p, "corp").header.Get("Location")); back != nil {
		t.Fatalf("the sign-in came back to the app: %s", back)
	}
	return b.last
}

// mustBackPage fails unless p is the error page with status, saying want,
// with a way back to the sign-in page.
func mustBackPage(t *testing.T, what string, p page, status int, want string) {
	t.Helper()
	if p.status != status || !strings.Contains(html.UnescapeString(p.body), want) || !strings.Contains(p.body, "Back to sign-in") ||
		!strings.Contains(p.body, `<form method="get" action="/t/`) {
		t.Errorf("%s: %d %s; want %d saying %q with a way back to the sign-in page", what, p.status, p.body, status, want)
	}
	if p.status >= 500 {
		t.Errorf("%s: a %d for an upstream's failure", what, p.status)
	}
}

// TestUpstreamIDTokenRefused: an ID token with the wrong nonce, for
// another audience, expired, or unsigned is refused, with a page that
// says so and leads back to the sign-in page; no user is made.
func TestUpstreamIDTokenRefused(t *testing.T) {
	f := newFakeProvider(t)
	d := newDownstream(t, nil)
	d.connect(t, "corp", "oidc", f.Issuer, nil)
	tests := []struct {
		name  string
		spoil func(m map[string]any)
		sign  func(m map[string]any) string
	}{
		{"nonce mismatch", func(m map[string]any) { m["nonce"] = "another-nonce" }, nil},
		{"wrong audience", func(m map[string]any) { m["aud"] = "another-client" }, nil},
		{"expired", func(m map[string]any) { m["exp"] = time.Now().Add(-5 * time.Minute).Unix() }, nil},
		{"unsigned", nil, func(m map[string]any) string {
			signed := oidctest.SignJWT(t, jose.RS256, f.Key, f.KID, m)
			return "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0." + strings.Split(signed, ".")[1] + "."
		}},
		{"signed by another key", nil, func(m map[string]any) string {
			other := newFakeProvider(t)
			return oidctest.SignJWT(t, jose.RS256, other.Key, f.KID, m)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.Update(func(f *oidctest.Provider) { f.Spoil, f.Sign = tt.spoil, tt.sign })
			mustBackPage(t, tt.name, upstreamFails(t, d), http.StatusForbidden, "could not be verified")
		})
	}
	if r := adminDo(t, "GET", "/admin/v1/tenants/"+d.tenant+"/audit?event=user.created", nil); strings.Contains(string(r.body), "user.created") {
		t.Errorf("a refused ID token made a user: %s", r.body)
	}
}

// TestUpstreamErrorAndTimeout: the provider's access_denied goes back to
// the (admin-registered) app as access_denied; a provider that does not
// answer in time is an error page, never a 5xx.
func TestUpstreamErrorAndTimeout(t *testing.T) {
	f := newFakeProvider(t)
	d := newDownstream(t, nil)
	d.connect(t, "corp", "oidc", f.Issuer, nil)

	f.Update(func(f *oidctest.Provider) { f.AuthError = "access_denied" })
	b := newBrowser(t, "", "")
	p, _ := d.loginPage(t, b)
	_, errCode := callback(t, travel(t, b, choose(t, b, p, "corp").header.Get("Location")), "app-state", d.issuer)
	if errCode != "access_denied" {
		t.Errorf("provider's access_denied: the app got error %q; want access_denied", errCode)
	}
	// A device's request has no redirect URI: the user gets the page back
	// to the sign-in.
	mustStatus(t, "create device client", adminDo(t, "POST", "/admin/v1/tenants/"+d.tenant+"/clients", map[string]any{
		"client_id": "tv", "token_endpoint_auth_method": "none", "grant_types": []string{deviceGrant}, "scope": "openid"}), http.StatusCreated)
	da := request{method: "POST", path: "/t/" + d.tenant + "/device_authorization", body: "client_id=tv&scope=openid",
		header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}}.do(t)
	mustStatus(t, "device authorization", da, http.StatusOK)
	b = newBrowser(t, "", "")
	p = b.follow(da.field("verification_uri_complete"))
	if back := travel(t, b, choose(t, b, p, "corp").header.Get("Location")); back != nil {
		t.Errorf("the provider's access_denied of a device request went to %s", back)
	}
	mustBackPage(t, "provider's access_denied, device", b.last, http.StatusForbidden, "could not sign you in")

	f.Update(func(f *oidctest.Provider) { f.AuthError = "server_error" })
	mustBackPage(t, "provider's server_error", upstreamFails(t, d), http.StatusForbidden, "could not sign you in")

	// A token endpoint that answers after 20 s: the callback gives up at
	// the upstream timeout (10 s, 3 s natively) and says so.
	f.Update(func(f *oidctest.Provider) { f.AuthError, f.Slow = "", 20*time.Second })
	b = newBrowser(t, "", "")
	p, _ = d.loginPage(t, b)
	cb := b.do("GET", choose(t, b, p, "corp").header.Get("Location"), nil).header.Get("Location")
	start := time.Now()
	mustBackPage(t, "slow provider", b.do("GET", cb, nil), http.StatusBadRequest, "did not answer in time")
	if took := time.Since(start); took > 17*time.Second {
		t.Errorf("the slow provider held the callback %v; want the upstream timeout", took)
	}
	f.Update(func(f *oidctest.Provider) { f.Slow = 0 })

	// A provider that is down (its discovery document cannot be fetched).
	gone := newFakeProvider(t)
	d.connect(t, "gone", "oidc", gone.Issuer, nil)
	gone.Close()
	b = newBrowser(t, "", "")
	p, _ = d.loginPage(t, b)
	mustBackPage(t, "provider down", b.submitUpstream(t, p, "gone"), http.StatusBadRequest, "cannot be reached")
}

// submitUpstream clicks the button of connection and returns the answer,
// whatever it is.
func (b *browser) submitUpstream(t *testing.T, p page, connection string) page {
	t.Helper()
	m := upstreamFormRE.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no upstream form: %s", p.body)
	}
	form := url.Values{"connection": {connection}}
	for _, h := range hiddenRE.FindAllStringSubmatch(p.body, -1) {
		form.Set(h[1], html.UnescapeString(h[2]))
	}
	return b.do("POST", target.url+html.UnescapeString(m[1]), form)
}

// TestUpstreamStateMismatch: a callback whose state is not the one this
// browser's sign-in sent (login CSRF: an attacker's code and state) is
// refused; so is a callback in a browser that started no sign-in, and the
// same callback a second time.
func TestUpstreamStateMismatch(t *testing.T) {
	f := newFakeProvider(t)
	d := newDownstream(t, nil)
	d.connect(t, "corp", "oidc", f.Issuer, nil)

	// The attacker's own sign-in, stopped at the callback.
	attacker := newBrowser(t, "", "")
	p, _ := d.loginPage(t, attacker)
	cb := attacker.do("GET", choose(t, attacker, p, "corp").header.Get("Location"), nil).header.Get("Location")
	if !strings.Contains(cb, "/callback/corp?") {
		t.Fatalf("the provider sent the attacker to %q", cb)
	}
	// The victim has a sign-in under way; the attacker's callback URL is
	// pushed to the victim's browser.
	victim := newBrowser(t, "", "")
	vp, _ := d.loginPage(t, victim)
	choose(t, victim, vp, "corp")
	r := victim.do("GET", cb, nil)
	mustBackPage(t, "another browser's callback", r, http.StatusBadRequest, "does not belong to this sign-in")

	// A callback with no sign-in under way at all.
	r = newBrowser(t, "", "").do("GET", cb, nil)
	if r.status != http.StatusBadRequest || !strings.Contains(r.body, "expired or was started in another browser") {
		t.Errorf("a callback without a sign-in: %d %s", r.status, r.body)
	}
	if ev := adminDo(t, "GET", "/admin/v1/tenants/"+d.tenant+"/audit?event=user.created", nil); strings.Contains(string(ev.body), "user.created") {
		t.Errorf("a refused callback made a user: %s", ev.body)
	}

	// The victim's own callback works once: its cookie is gone afterwards,
	// so a replay of the provider's answer in the same browser is refused.
	honest := newBrowser(t, "", "")
	hp, _ := d.loginPage(t, honest)
	own := honest.do("GET", choose(t, honest, hp, "corp").header.Get("Location"), nil).header.Get("Location")
	if r := honest.do("GET", own, nil); r.status != http.StatusSeeOther || !strings.HasPrefix(r.header.Get("Location"), appRedirect) {
		t.Fatalf("the honest callback: %d %s", r.status, r.header.Get("Location"))
	}
	if r := honest.do("GET", own, nil); r.status != http.StatusBadRequest || !strings.Contains(r.body, "expired or was started in another browser") {
		t.Errorf("the same callback again: %d %s; want it refused", r.status, r.body)
	}
}

// TestUpstreamLinking: with the tenant's rule verified_email, a first
// sign-in whose upstream address is verified and equals a user's verified
// address is that user; an unverified address, upstream or the user's
// own (until an admin marks it verified), never links: the sign-in makes
// a new user, or, when the connection may not, fails.
func TestUpstreamLinking(t *testing.T) {
	f := newFakeProvider(t)
	d := newDownstream(t, map[string]any{"link_identities": "verified_email"})
	r := adminDo(t, "POST", "/admin/v1/tenants/"+d.tenant+"/users", map[string]any{"username": "carol", "password": "carol's downstream password",
		"email": "carol@corp.example"})
	mustStatus(t, "create carol", r, http.StatusCreated)
	noteSecret("carol's downstream password")
	carol := r.field("id")
	d.connect(t, "corp", "oidc", f.Issuer, map[string]any{"create_users": false})

	// carol's own address is not verified: nothing links to her.
	mustBackPage(t, "a user's unverified address", upstreamFails(t, d), http.StatusForbidden, "There is no account here")
	// An admin says it is hers.
	p := adminDo(t, "PATCH", "/admin/v1/tenants/"+d.tenant+"/users/"+carol, map[string]any{"email_verified": true, "name": "Carol Down"})
	mustStatus(t, "verify carol's address", p, http.StatusOK)
	if !strings.Contains(string(p.body), `"email_verified":true`) || !strings.Contains(string(p.body), `"name":"Carol Down"`) {
		t.Errorf("PATCH user = %s", p.body)
	}

	// An unverified upstream address: no link, and the connection makes
	// no users.
	f.Update(func(f *oidctest.Provider) { f.EmailVerified = false })
	mustBackPage(t, "unverified address", upstreamFails(t, d), http.StatusForbidden, "There is no account here")

	// Unverified, with a connection that makes users: a new user, not carol.
	mustStatus(t, "allow users", adminDo(t, "PATCH", "/admin/v1/tenants/"+d.tenant+"/connections/corp", map[string]any{"create_users": true}), http.StatusOK)
	b := newBrowser(t, "", "")
	pg, v := d.loginPage(t, b)
	if c := d.exchange(t, travel(t, b, choose(t, b, pg, "corp").header.Get("Location")), v); c.Subject == carol || c.EmailVerified == nil || *c.EmailVerified {
		t.Errorf("an unverified upstream address signed in as %q (carol is %q), email_verified %v; want a new, unverified user", c.Subject, carol, c.EmailVerified)
	}

	// Verified, from another upstream account: linked to carol.
	f.Update(func(f *oidctest.Provider) { f.EmailVerified, f.Subject = true, "corp-carol-2" })
	b = newBrowser(t, "", "")
	pg, v = d.loginPage(t, b)
	if c := d.exchange(t, travel(t, b, choose(t, b, pg, "corp").header.Get("Location")), v); c.Subject != carol {
		t.Errorf("a verified address signed in as %q; want carol %q", c.Subject, carol)
	}
	// carol can still sign in with her password, and has the identity.
	u := adminDo(t, "GET", "/admin/v1/tenants/"+d.tenant+"/users/"+carol, nil)
	if !strings.Contains(string(u.body), `"connection":"corp"`) || !strings.Contains(string(u.body), `"has_password":true`) {
		t.Errorf("carol = %s; want the corp identity and her password", u.body)
	}
	// The connection's issuer cannot change: the same subject at another
	// issuer is another account, and would sign in as carol.
	for _, issuer := range []string{"https://other-idp.example", ""} {
		mustOAuthError(t, "a new issuer", adminDo(t, "PATCH", "/admin/v1/tenants/"+d.tenant+"/connections/corp", map[string]any{"issuer": issuer}), http.StatusBadRequest, "invalid_request")
	}
	mustStatus(t, "the same issuer", adminDo(t, "PATCH", "/admin/v1/tenants/"+d.tenant+"/connections/corp", map[string]any{"issuer": f.Issuer, "name": "Corp"}), http.StatusOK)
	// Unlinked, the account no longer signs in as carol.
	mustStatus(t, "unlink", adminDo(t, "DELETE", "/admin/v1/tenants/"+d.tenant+"/users/"+carol+"/identities/corp", nil), http.StatusNoContent)
	mustStatus(t, "unlink again", adminDo(t, "DELETE", "/admin/v1/tenants/"+d.tenant+"/users/"+carol+"/identities/corp", nil), http.StatusNotFound)
}

// TestUpstreamDeletedConnection: a connection deleted while a sign-in
// through it is under way stops it at the callback, and the button goes.
func TestUpstreamDeletedConnection(t *testing.T) {
	f := newFakeProvider(t)
	d := newDownstream(t, nil)
	d.connect(t, "corp", "oidc", f.Issuer, nil)
	b := newBrowser(t, "", "")
	p, _ := d.loginPage(t, b)
	cb := b.do("GET", choose(t, b, p, "corp").header.Get("Location"), nil).header.Get("Location")
	mustStatus(t, "delete connection", adminDo(t, "DELETE", "/admin/v1/tenants/"+d.tenant+"/connections/corp", nil), http.StatusNoContent)
	mustBackPage(t, "callback after delete", b.do("GET", cb, nil), http.StatusBadRequest, "no longer available")
	p, _ = d.loginPage(t, newBrowser(t, "", ""))
	if strings.Contains(p.body, `value="corp"`) {
		t.Errorf("the sign-in page still offers the deleted connection")
	}
	r := newBrowser(t, "", "")
	p, _ = d.loginPage(t, r)
	if got := r.submitUpstream(t, withUpstreamForm(p, d.tenant), "corp"); got.status != http.StatusOK || !strings.Contains(got.body, "not available") {
		t.Errorf("choosing a deleted connection: %d %s", got.status, got.body)
	}
}

// withUpstreamForm gives a sign-in page without buttons the upstream
// form the page would have, to post a connection it does not offer.
func withUpstreamForm(p page, tenant string) page {
	if upstreamFormRE.MatchString(p.body) {
		return p
	}
	p.body = strings.Replace(p.body, "</main>", `<form method="post" action="/t/`+tenant+`/upstream"></form></main>`, 1)
	return p
}

// TestUpstreamTenantsNeverMix: two tenants with a connection of the same
// id to the same provider: the same upstream account is a different user
// in each, a callback of one tenant does not complete the other's
// sign-in, and a tenant's button cannot use another tenant's connection.
func TestUpstreamTenantsNeverMix(t *testing.T) {
	f := newFakeProvider(t)
	a, b := newDownstream(t, nil), newDownstream(t, nil)
	a.connect(t, "corp", "oidc", f.Issuer, nil)
	b.connect(t, "corp", "oidc", f.Issuer, nil)
	b.connect(t, "only-b", "oidc", f.Issuer, nil)

	subjects := map[string]bool{}
	for _, d := range []*downstreamTenant{a, b} {
		br := newBrowser(t, "", "")
		p, v := d.loginPage(t, br)
		subjects[d.exchange(t, travel(t, br, choose(t, br, p, "corp").header.Get("Location")), v).Subject] = true
	}
	if len(subjects) != 2 {
		t.Errorf("one upstream account is the same user in two tenants: %v", subjects)
	}

	// A sign-in started at a, whose callback is sent to b's callback URL.
	br := newBrowser(t, "", "")
	p, _ := a.loginPage(t, br)
	cb := br.do("GET", choose(t, br, p, "corp").header.Get("Location"), nil).header.Get("Location")
	other := strings.Replace(cb, "/t/"+a.tenant+"/", "/t/"+b.tenant+"/", 1)
	if r := br.do("GET", other, nil); r.status != http.StatusBadRequest || strings.Contains(r.header.Get("Location"), appRedirect) {
		t.Errorf("a's sign-in completed at b: %d %s", r.status, r.header.Get("Location"))
	}

	// a has no connection only-b.
	br = newBrowser(t, "", "")
	p, _ = a.loginPage(t, br)
	if r := br.submitUpstream(t, p, "only-b"); r.status != http.StatusOK || !strings.Contains(r.body, "not available") {
		t.Errorf("a's button used b's connection: %d %s", r.status, r.body)
	}
}

// TestPasswordLoginOff: a tenant may sign users in through its
// connections only: no password form, and a posted password is refused.
func TestPasswordLoginOff(t *testing.T) {
	f := newFakeProvider(t)
	d := newDownstream(t, map[string]any{"password_login": "off"})
	d.connect(t, "corp", "oidc", f.Issuer, nil)
	mustStatus(t, "create user", adminDo(t, "POST", "/admin/v1/tenants/"+d.tenant+"/users", map[string]any{"username": "dave", "password": "dave's long password"}), http.StatusCreated)
	noteSecret("dave's long password")
	b := newBrowser(t, "", "")
	p, _ := d.loginPage(t, b)
	if strings.Contains(p.body, `name="password"`) || !strings.Contains(p.body, "Continue with corp") {
		t.Fatalf("sign-in page of a tenant without passwords: %s", p.body)
	}
	m := hiddenRE.FindAllStringSubmatch(p.body, -1)
	form := url.Values{"username": {"dave"}, "password": {"dave's long password"}}
	for _, h := range m {
		form.Set(h[1], html.UnescapeString(h[2]))
	}
	r := b.do("POST", d.issuer+"/login", form)
	if r.status != http.StatusBadRequest || !strings.Contains(html.UnescapeString(r.body), "password is turned off") || r.header.Get("Location") != "" {
		t.Errorf("a password posted anyway: %d %s", r.status, r.body)
	}
}

// TestUpstreamLargeRequest: an authorization request at the bounds of
// what is accepted (state of 1,024 bytes, nonce of 512, five resources)
// rides the upstream cookie in several chunks, each below the 4,096 bytes
// browsers keep of a cookie, and comes back whole: the app gets its code
// and its state.
func TestUpstreamLargeRequest(t *testing.T) {
	g := newFakeGitHub(t)
	d := newDownstream(t, nil)
	d.connect(t, "github", "github", g.URL, nil)
	state := strings.Repeat("s", 1024)
	opts := []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(oauth2.GenerateVerifier()), oauth2.SetAuthURLParam("nonce", strings.Repeat("n", 512))}
	q := url.Values{}
	for i := range 5 {
		q.Add("resource", "https://api"+strings.Repeat("x", i)+".example/"+strings.Repeat("r", 450))
	}
	authURL := d.cfg.AuthCodeURL(state, opts...) + "&" + q.Encode()
	b := newBrowser(t, "", "")
	p := b.follow(authURL)
	if p.status != http.StatusOK || !strings.Contains(p.body, "Continue with GitHub") {
		t.Fatalf("no sign-in page for the large request: %d %.300s", p.status, p.body)
	}
	start := choose(t, b, p, "github")
	var chunks int
	for _, c := range start.header.Values("Set-Cookie") {
		if strings.HasPrefix(c, "edgeauth-upstream-"+d.tenant+"-") {
			chunks++
			if name, _, _ := strings.Cut(c, ";"); len(name) > 4096 {
				t.Errorf("a chunk of the upstream cookie is %d bytes; browsers keep 4,096", len(name))
			}
		}
	}
	if chunks < 2 {
		t.Errorf("the upstream cookie of a large request came in %d chunks; want several", chunks)
	}
	back := travel(t, b, start.header.Get("Location"))
	if code, errCode := callback(t, back, state, d.issuer); code == "" {
		t.Errorf("no code for the large request: %q", errCode)
	}
}

// TestDeviceFlowUpstreamSignIn: the device flow's verification page signs
// in through an upstream connection too (RFC 8628 §3.3: "password or
// upstream connection"): the provider's answer comes back to the device
// approval page, not to a redirect URI, and the device's poll then gets
// tokens for the user the provider named.
func TestDeviceFlowUpstreamSignIn(t *testing.T) {
	d := newDownstream(t, map[string]any{"device_poll_interval": 1})
	issuer, clientID, secret, _ := upstreamEdgeauth(t, d, "corp")
	mustStatus(t, "create connection", adminDo(t, "POST", "/admin/v1/tenants/"+d.tenant+"/connections", map[string]any{
		"id": "corp", "kind": "oidc", "name": "Corp SSO", "issuer": issuer, "client_id": clientID, "client_secret": secret, "create_users": true}), http.StatusCreated)
	mustStatus(t, "create device client", adminDo(t, "POST", "/admin/v1/tenants/"+d.tenant+"/clients", map[string]any{
		"client_id": "tv", "token_endpoint_auth_method": "none", "grant_types": []string{deviceGrant}, "scope": "openid profile"}), http.StatusCreated)
	cfg := &oauth2.Config{ClientID: "tv", Scopes: []string{"openid", "profile"},
		Endpoint: oauth2.Endpoint{DeviceAuthURL: d.issuer + "/device_authorization", TokenURL: d.issuer + "/token", AuthStyle: oauth2.AuthStyleInParams}}
	da, err := cfg.DeviceAuth(oauthCtx())
	if err != nil {
		t.Fatalf("DeviceAuth: %v", err)
	}
	noteSecret(da.DeviceCode)

	b := newBrowser(t, "carol", "carol's long password")
	p := b.follow(da.VerificationURIComplete)
	if !strings.Contains(p.body, "Continue with Corp SSO") {
		t.Fatalf("the device's sign-in page has no Corp SSO button: %d %.400s", p.status, p.body)
	}
	if back := travel(t, b, choose(t, b, p, "corp").header.Get("Location")); back != nil {
		t.Fatalf("the upstream sign-in of a device request went to the app: %s", back)
	}
	approval := b.last
	if !strings.Contains(approval.body, `name="decision"`) || !strings.Contains(approval.body, da.UserCode) {
		t.Fatalf("after the upstream sign-in: %d %.400s; want the device approval page", approval.status, approval.body)
	}
	if r := b.submit(approval, url.Values{"decision": {"approve"}}); r.status != http.StatusOK {
		t.Fatalf("approving: %d %.300s", r.status, r.body)
	}
	tok := request{method: "POST", path: "/t/" + d.tenant + "/token", header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"},
		body: url.Values{"grant_type": {deviceGrant}, "device_code": {da.DeviceCode}, "client_id": {"tv"}}.Encode()}.do(t)
	mustStatus(t, "the device's poll", tok, http.StatusOK)
	c := verifyIDTokenOf(t, d, tok.field("id_token"), "tv")
	if !strings.HasPrefix(c.PreferredUsername, "corp:") || c.Name != "Carol Upstream" {
		t.Errorf("device id_token %+v; want carol's upstream account", c)
	}
}

// TestUpstreamDisabledUser: a disabled user is refused at an upstream
// sign-in as at the password form: no session, no code, a login.refused
// event, and the error page with a way back.
func TestUpstreamDisabledUser(t *testing.T) {
	g := newFakeGitHub(t)
	d := newDownstream(t, nil)
	d.connect(t, "github", "github", g.URL, nil)
	b := newBrowser(t, "", "")
	p, verifier := d.loginPage(t, b)
	c := d.exchange(t, travel(t, b, choose(t, b, p, "github").header.Get("Location")), verifier)
	user := "/admin/v1/tenants/" + d.tenant + "/users/" + url.PathEscape(c.Subject)
	mustStatus(t, "disable the user", adminDo(t, "POST", user+"/disable", nil), http.StatusOK)

	b = newBrowser(t, "", "")
	p, _ = d.loginPage(t, b)
	if back := travel(t, b, choose(t, b, p, "github").header.Get("Location")); back != nil {
		t.Fatalf("a disabled user's upstream sign-in came back to the app: %s", back)
	}
	mustBackPage(t, "a disabled user's upstream sign-in", b.last, http.StatusForbidden, "This account is disabled")
	var sessions struct {
		Sessions []any `json:"sessions"`
	}
	adminDo(t, "GET", user+"/sessions", nil).decode(t, &sessions)
	if len(sessions.Sessions) != 0 {
		t.Errorf("the disabled user has %d live sessions after the refused sign-in; want none", len(sessions.Sessions))
	}
	var log struct {
		Events []struct{ Event, Subject string } `json:"events"`
	}
	adminDo(t, "GET", "/admin/v1/tenants/"+d.tenant+"/audit?event=login.refused", nil).decode(t, &log)
	if len(log.Events) != 1 {
		t.Errorf("login.refused events: %+v; want one", log.Events)
	}
}
