package e2e

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

// authURL is an authorization request of f's first-party public client
// with a fresh S256 challenge, changed by extra (a value "<delete>"
// removes the parameter).
func (f *fixture) authURL(extra url.Values) (authURL, verifier string) {
	verifier = oauth2.GenerateVerifier()
	q := url.Values{
		"response_type": {"code"}, "client_id": {f.public}, "redirect_uri": {"http://127.0.0.1:5000/callback"},
		"code_challenge": {s256(verifier)}, "code_challenge_method": {"S256"}, "state": {"st"},
	}
	for k, v := range extra {
		if len(v) == 1 && v[0] == "<delete>" {
			q.Del(k)
		} else {
			q[k] = v
		}
	}
	return f.issuer + "/authorize?" + q.Encode(), verifier
}

// TestEmptyParametersAreOmitted: "Parameters sent without a value MUST be
// treated as if they were omitted from the request" (RFC 6749 §3.1 and
// §3.2, OAuth 2.1 §3.1), at the authorization and the token endpoint.
func TestEmptyParametersAreOmitted(t *testing.T) {
	f := newFixture(t)
	b := newBrowser(t, f.username, f.password)
	for _, tc := range []struct {
		name     string
		extra    url.Values
		redirect string // where the code must arrive
	}{
		// The client has one registered redirect URI, used when none is given.
		{"redirect_uri", url.Values{"redirect_uri": {""}}, "http://127.0.0.1/callback"},
		{"resource", url.Values{"resource": {""}}, "http://127.0.0.1:5000/callback"},
		{"max_age", url.Values{"max_age": {""}}, "http://127.0.0.1:5000/callback"},
		{"prompt", url.Values{"prompt": {""}}, "http://127.0.0.1:5000/callback"},
		{"scope", url.Values{"scope": {""}}, "http://127.0.0.1:5000/callback"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u, verifier := f.authURL(tc.extra)
			loc := b.authorize(u)
			code, errCode := callback(t, loc, "st", f.issuer)
			if code == "" {
				t.Fatalf("%s= refused: %q", tc.name, errCode)
			}
			if got := loc.Scheme + "://" + loc.Host + loc.Path; got != tc.redirect {
				t.Errorf("code sent to %s; want %s", got, tc.redirect)
			}
			form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "code_verifier": {verifier}, "client_id": {f.public}, "redirect_uri": {tc.redirect}}
			if tc.name == "redirect_uri" {
				form.Set("redirect_uri", "") // omitted there too: it was at authorization
			}
			tok := tokenRequest(t, f, form)
			mustStatus(t, "exchange", tok, http.StatusOK)
			// Without a scope the client's registered scope is granted.
			if tc.name == "scope" && tok.field("scope") != "openid profile email read write" {
				t.Errorf("scope= granted %q; want the client's default", tok.field("scope"))
			}
		})
	}
	// The token endpoint: scope= is no scope parameter, so the client's scope.
	tok := tokenRequest(t, f, url.Values{"grant_type": {"client_credentials"}, "scope": {""}}, "Authorization", basicAuth(f.svc, f.svcSecret))
	mustStatus(t, "client_credentials with scope=", tok, http.StatusOK)
	if tok.field("scope") != "read write" {
		t.Errorf("client_credentials scope= granted %q; want read write", tok.field("scope"))
	}
}

// TestPromptNoneNeverShowsAPage: with prompt=none "The Authorization
// Server MUST NOT display any authentication or consent user interface
// pages" (OIDC Core §3.1.2.1), also when max_age=0 asks for a new sign-in
// and when the value has surrounding spaces.
func TestPromptNoneNeverShowsAPage(t *testing.T) {
	f := newFixture(t)
	signedIn := newBrowser(t, f.username, f.password)
	callback(t, signedIn.authorize(first(f.authURL(nil))), "st", f.issuer)
	for _, tc := range []struct {
		name string
		b    *browser
		q    url.Values
	}{
		{"max_age=0, no session", newBrowser(t, "", ""), url.Values{"prompt": {"none"}, "max_age": {"0"}}},
		{"max_age=0, signed in", signedIn, url.Values{"prompt": {"none"}, "max_age": {"0"}}},
		{"spaces, no session", newBrowser(t, "", ""), url.Values{"prompt": {" none "}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u, _ := f.authURL(tc.q)
			p := tc.b.do("GET", u, nil)
			if p.status != http.StatusSeeOther || !strings.HasPrefix(p.header.Get("Location"), "http://127.0.0.1:5000/callback?") {
				t.Fatalf("status %d Location %q; want 303 to the client", p.status, p.header.Get("Location"))
			}
			if _, errCode := callback(t, mustParse(t, p.header.Get("Location")), "st", f.issuer); errCode != "login_required" {
				t.Errorf("error %q; want login_required", errCode)
			}
		})
	}
}

func first(a, _ string) string { return a }

// TestFreshSignInCannotBeSkipped: prompt=login and max_age=0 send a
// signed-in browser to the login page; going to the consent page of the
// same request instead must not yield a code without the new sign-in
// (OIDC Core §3.1.2.1: max_age "MUST attempt to actively re-authenticate";
// prompt=login "MUST return an error" if it cannot).
func TestFreshSignInCannotBeSkipped(t *testing.T) {
	f := newFixture(t)
	for _, q := range []url.Values{{"prompt": {"login"}}, {"max_age": {"0"}}} {
		t.Run(q.Encode(), func(t *testing.T) {
			b := newBrowser(t, f.username, f.password)
			callback(t, b.authorize(first(f.authURL(nil))), "st", f.issuer)
			// The session must be from before the request: sign-ins and
			// requests are compared in whole seconds. The native server's
			// clock moves; the Worker's is waited for.
			if target.name == "native" {
				advanceClock(t, time.Minute)
			} else {
				time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(1100 * time.Millisecond)))
			}
			u, verifier := f.authURL(q)
			p := b.do("GET", u, nil)
			loc := p.header.Get("Location")
			if !strings.Contains(loc, "/login?req=") {
				t.Fatalf("status %d Location %q; want the login page", p.status, loc)
			}
			skip := target.url + strings.Replace(loc, "/login?", "/consent?", 1)
			if p := b.do("GET", skip, nil); !strings.Contains(p.header.Get("Location"), "/login?req=") {
				t.Errorf("GET consent page of the request: status %d Location %q; want the login page", p.status, p.header.Get("Location"))
			}
			// Signing in as asked gives the code, with the new auth_time.
			code, errCode := callback(t, b.authorize(target.url+loc), "st", f.issuer)
			if code == "" || len(b.seen) != 1 || b.seen[0] != "login" {
				t.Fatalf("after the login page: code %q error %q pages %v", code, errCode, b.seen)
			}
			tok := tokenRequest(t, f, url.Values{"grant_type": {"authorization_code"}, "code": {code}, "code_verifier": {verifier},
				"client_id": {f.public}, "redirect_uri": {"http://127.0.0.1:5000/callback"}})
			mustStatus(t, "exchange", tok, http.StatusOK)
		})
	}
}

// TestRedirectKeepsRegisteredQuery: a registered redirect URI's query
// "MUST be retained when adding additional query parameters" (RFC 6749
// §3.1.2): byte for byte, with the response parameters after it.
func TestRedirectKeepsRegisteredQuery(t *testing.T) {
	f := newFixture(t)
	const registered = "https://app.example.com/cb?x=1;y=2&flag&b=%41"
	r := adminDo(t, "POST", "/admin/v1/tenants/"+f.tenant+"/clients", map[string]any{
		"client_id": "q", "redirect_uris": []string{registered}, "token_endpoint_auth_method": "none",
		"grant_types": []string{"authorization_code"}, "first_party": true})
	mustStatus(t, "create client", r, http.StatusCreated)
	for _, tc := range []struct {
		name  string
		b     *browser
		extra url.Values
		param string
	}{
		{"error", newBrowser(t, "", ""), url.Values{"response_type": {"token"}}, "error"},
		{"code", newBrowser(t, f.username, f.password), nil, "code"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := url.Values{"client_id": {"q"}, "redirect_uri": {registered}}
			for k, v := range tc.extra {
				q[k] = v
			}
			u, _ := f.authURL(q)
			loc := tc.b.authorize(u)
			if loc == nil || !strings.HasPrefix(loc.String(), registered+"&") {
				t.Fatalf("redirected to %v; want %s followed by &", loc, registered)
			}
			if loc.Query().Get(tc.param) == "" {
				t.Errorf("%s missing in %s", tc.param, loc)
			}
		})
	}
}

// TestConsentAfterUserDeleted: a user deleted while their browser is on
// the consent page is signed out, not a server error: approving sends the
// browser to the login page, and so does opening the consent page again.
func TestConsentAfterUserDeleted(t *testing.T) {
	f := newFixture(t)
	b := newBrowser(t, f.username, f.password)
	cfg := f.webConfig("read")
	p := b.follow(cfg.AuthCodeURL("s", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())))
	if !strings.Contains(p.body, `name="password"`) {
		t.Fatalf("no login page: %d %.200s", p.status, p.body)
	}
	p = b.submit(p, url.Values{"username": {f.username}, "password": {f.password}})
	consentURL := target.url + p.header.Get("Location")
	consent := b.do("GET", consentURL, nil)
	if !strings.Contains(consent.body, `name="decision"`) {
		t.Fatalf("no consent page: %d %.200s", consent.status, consent.body)
	}
	mustStatus(t, "delete user", adminDo(t, "DELETE", "/admin/v1/tenants/"+f.tenant+"/users/"+f.userID, nil), http.StatusNoContent)
	if r := b.submit(consent, url.Values{"decision": {"approve"}}); r.status != http.StatusSeeOther || !strings.Contains(r.header.Get("Location"), "/login?req=") {
		t.Errorf("approving after the user was deleted: %d Location %q; want the login page", r.status, r.header.Get("Location"))
	}
	if r := b.do("GET", consentURL, nil); r.status != http.StatusSeeOther || !strings.Contains(r.header.Get("Location"), "/login?req=") {
		t.Errorf("the consent page after the user was deleted: %d Location %q; want the login page", r.status, r.header.Get("Location"))
	}
}

// TestAuthorizePostAndCookies: a POST authorization request (a cross-site
// form carries no SameSite=Lax cookie) is sent on as the same GET, so a
// signed-in browser stays signed in; every authorization request renews
// the browser-binding cookie; the redirects to the pages are no-store.
func TestAuthorizePostAndCookies(t *testing.T) {
	f := newFixture(t)
	b := newBrowser(t, f.username, f.password)
	callback(t, b.authorize(first(f.authURL(nil))), "st", f.issuer) // signed in
	u, _ := f.authURL(url.Values{"prompt": {"none"}})
	parsed := mustParse(t, u)
	p := newBrowser(t, "", "").do("POST", f.issuer+"/authorize", parsed.Query()) // no cookies, as cross-site
	loc := p.header.Get("Location")
	if p.status != http.StatusSeeOther || !strings.HasPrefix(loc, "/t/"+f.tenant+"/authorize?") || p.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("POST /authorize: %d Location %q Cache-Control %q; want 303 to the same GET, no-store", p.status, loc, p.header.Get("Cache-Control"))
	}
	if code, errCode := callback(t, b.authorize(target.url+loc), "st", f.issuer); code == "" {
		t.Errorf("the GET a POST became, in the signed-in browser: error %q; want a code", errCode)
	}
	if p := b.do("GET", first(f.authURL(nil)), nil); !strings.Contains(strings.Join(p.header.Values("Set-Cookie"), "\n"), "browser") {
		t.Errorf("an authorization request did not renew the browser cookie: %q", p.header.Values("Set-Cookie"))
	}
	if p := newBrowser(t, "", "").do("GET", first(f.authURL(nil)), nil); !strings.Contains(p.header.Get("Location"), "/login?req=") || p.header.Get("Cache-Control") != "no-store" {
		t.Errorf("redirect to the login page: Location %q Cache-Control %q; want no-store", p.header.Get("Location"), p.header.Get("Cache-Control"))
	}
}

// TestErrorPageSaysNothingOfTheRequest: the HTML error page, shown on this
// server's own domain, does not repeat text from the link that led to it
// (a parameter name or value an attacker chose, such as "Your account is
// locked, call ..."); the JSON and redirected errors keep their detail.
func TestErrorPageSaysNothingOfTheRequest(t *testing.T) {
	f := newFixture(t)
	const lure = "Your account is locked. Call 555 0100"
	p := newBrowser(t, "", "").do("GET", f.issuer+"/authorize?"+url.QueryEscape(lure)+"=1&"+url.QueryEscape(lure)+"=2", nil)
	if p.status != http.StatusBadRequest || strings.Contains(p.body, "locked") || !strings.Contains(p.body, "invalid_request") {
		t.Errorf("repeated parameter named by the link: %d, page %.400s; want 400 with the code and without the link's text", p.status, p.body)
	}
}

// TestConsentPageSaysWhereAndWho: the consent page says where the browser
// goes afterwards, for every client, and that a self-registered client's
// name is not verified (RFC 9700 §4.11.2: the server MAY inform the user
// about a redirect URI it does not trust; RFC 7591 §5). Such a client is
// asked every time: a remembered consent covers scopes, not the loopback
// port or API a new request names.
func TestConsentPageSaysWhereAndWho(t *testing.T) {
	f := newFixture(t)
	setSettings(t, f.tenant, map[string]any{"registration": "open"})
	r := registerReq(t, f.tenant, map[string]any{"client_name": "Acme web", "redirect_uris": []string{"http://127.0.0.1/cb"}, "token_endpoint_auth_method": "none"}, "")
	mustStatus(t, "register", r, http.StatusCreated)
	dyn := r.field("client_id")
	b := newBrowser(t, f.username, f.password)
	b.decision = "approve"
	authURL := func(client, redirect string) string {
		return first(f.authURL(url.Values{"client_id": {client}, "redirect_uri": {redirect}}))
	}
	asked := func(client, redirect string) bool {
		t.Helper()
		if code, errCode := callback(t, b.authorize(authURL(client, redirect)), "st", f.issuer); code == "" {
			t.Fatalf("%s: no code: %s", client, errCode)
		}
		return slices.Contains(b.seen, "consent")
	}
	// The first time, the page: with the warning and the host.
	p := b.follow(authURL(dyn, "http://127.0.0.1:7000/cb"))
	p = b.submit(p, url.Values{"username": {f.username}, "password": {f.password}})
	p = b.follow(target.url + p.header.Get("Location"))
	if !strings.Contains(p.body, "not verified") || !strings.Contains(p.body, "go back to 127.0.0.1") {
		t.Errorf("consent page of a self-registered client lacks the warning or the host: %.600s", p.body)
	}
	if r := b.submit(p, url.Values{"decision": {"approve"}}); r.status != http.StatusSeeOther || !strings.HasPrefix(r.header.Get("Location"), "http://127.0.0.1:7000/cb?") {
		t.Fatalf("approve: %d %q", r.status, r.header.Get("Location"))
	}
	// Again, on another port: asked again.
	if !asked(dyn, "http://127.0.0.1:7001/cb") {
		t.Errorf("a self-registered client's second request skipped the consent page")
	}
	// An admin-registered client: the host, no warning; remembered.
	page := b.follow(authURL(f.web, webRedirect))
	if !strings.Contains(page.body, "go back to app.example.com") || strings.Contains(page.body, "not verified") {
		t.Errorf("consent page of an admin-registered client: %.600s", page.body)
	}
	b.submit(page, url.Values{"decision": {"approve"}})
	if asked(f.web, webRedirect) {
		t.Errorf("an admin-registered client's remembered consent was not used")
	}
}

// TestConsentForTheUserShown: a consent page shown to one user is not
// approved for another who signed in since in the same browser (another
// tab): the browser is shown the consent page again.
func TestConsentForTheUserShown(t *testing.T) {
	f := newFixture(t)
	mustStatus(t, "bob", adminDo(t, "POST", "/admin/v1/tenants/"+f.tenant+"/users", map[string]any{"username": "bob", "password": "bob's long password"}), http.StatusCreated)
	b := newBrowser(t, f.username, f.password)
	cfg := f.webConfig("read")
	tabA := b.follow(cfg.AuthCodeURL("a", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())))
	tabA = b.submit(tabA, url.Values{"username": {f.username}, "password": {f.password}})
	tabA = b.follow(target.url + tabA.header.Get("Location"))
	if !strings.Contains(tabA.body, `name="decision"`) || !strings.Contains(tabA.body, "alice") {
		t.Fatalf("tab A: no consent page for alice: %.300s", tabA.body)
	}
	tabB := b.follow(cfg.AuthCodeURL("b", oauth2.S256ChallengeOption(oauth2.GenerateVerifier()), oauth2.SetAuthURLParam("prompt", "login")))
	tabB = b.submit(tabB, url.Values{"username": {"bob"}, "password": {"bob's long password"}})
	if tabB.status != http.StatusSeeOther {
		t.Fatalf("tab B: bob's sign-in: %d", tabB.status)
	}
	r := b.submit(tabA, url.Values{"decision": {"approve"}})
	if r.status != http.StatusSeeOther || !strings.Contains(r.header.Get("Location"), "/consent?req=") {
		t.Errorf("approving alice's page with bob signed in: %d Location %q; want the consent page again", r.status, r.header.Get("Location"))
	}
}

// TestResourceForms: a resource identifier in another form of the same URL
// (uppercase scheme or host, a default port, "/" for an empty path: the
// MCP TypeScript SDK sends new URL(resource).href) is the same resource
// for the tenant's list, at the token endpoint and for introspection; a
// different path is not.
func TestResourceForms(t *testing.T) {
	f := newFixture(t)
	setSettings(t, f.tenant, map[string]any{"allowed_resources": []string{"https://api.example.com"}})
	mustStatus(t, "svc stands for the API", adminDo(t, "PATCH", "/admin/v1/tenants/"+f.tenant+"/clients/"+f.svc,
		map[string]any{"introspection_audiences": []string{"https://api.example.com"}}), http.StatusOK)
	b := newBrowser(t, f.username, f.password)
	u, verifier := f.authURL(url.Values{"resource": {"HTTPS://API.example.com:443/"}})
	code, errCode := callback(t, b.authorize(u), "st", f.issuer)
	if code == "" {
		t.Fatalf("resource in another form: %q; want a code", errCode)
	}
	tok := tokenRequest(t, f, url.Values{"grant_type": {"authorization_code"}, "code": {code}, "code_verifier": {verifier},
		"client_id": {f.public}, "redirect_uri": {"http://127.0.0.1:5000/callback"}, "resource": {"https://api.example.com"}})
	mustStatus(t, "token request naming the resource in its configured form", tok, http.StatusOK)
	r := introspect(t, f, tok.field("access_token"), f.svc, f.svcSecret)
	if !strings.Contains(string(r.body), `"active":true`) {
		t.Errorf("introspection by the API's client: %s; want active", r.body)
	}
	u, _ = f.authURL(url.Values{"resource": {"https://api.example.com/other"}})
	if _, errCode := callback(t, b.authorize(u), "st", f.issuer); errCode != "invalid_target" {
		t.Errorf("another path: error %q; want invalid_target", errCode)
	}
}

// TestCodeAfterUserDeleted: a code whose user is deleted before the
// exchange is invalid_grant, and stores nothing: the redemption, which
// refers to the user, fails, for a client with refresh tokens (whose
// family refers to the user too) and for one without; no token.issued
// event is written.
func TestCodeAfterUserDeleted(t *testing.T) {
	f := newFixture(t)
	mustStatus(t, "create client", adminDo(t, "POST", "/admin/v1/tenants/"+f.tenant+"/clients", map[string]any{
		"client_id": "codeonly", "token_endpoint_auth_method": "none", "first_party": true,
		"redirect_uris": []string{"http://127.0.0.1/callback"}, "grant_types": []string{"authorization_code"}, "scope": "read"}), http.StatusCreated)
	redirect := "http://127.0.0.1:5000/callback"
	b := newBrowser(t, f.username, f.password)
	exchanges := map[string]url.Values{}
	for _, client := range []string{f.public, "codeonly"} {
		verifier := oauth2.GenerateVerifier()
		cfg := f.publicConfig("5000", "read")
		cfg.ClientID = client
		code, errCode := callback(t, b.authorize(cfg.AuthCodeURL("s", oauth2.S256ChallengeOption(verifier))), "s", f.issuer)
		if code == "" {
			t.Fatalf("%s: no code: %s", client, errCode)
		}
		exchanges[client] = url.Values{"grant_type": {"authorization_code"}, "code": {code}, "code_verifier": {verifier}, "redirect_uri": {redirect}, "client_id": {client}}
	}
	mustStatus(t, "delete user", adminDo(t, "DELETE", "/admin/v1/tenants/"+f.tenant+"/users/"+f.userID, nil), http.StatusNoContent)
	for client, v := range exchanges {
		mustOAuthError(t, client+": exchange after the user was deleted", tokenRequest(t, f, v), http.StatusBadRequest, "invalid_grant")
	}
	var page auditPage
	adminDo(t, "GET", "/admin/v1/tenants/"+f.tenant+"/audit?event=token.issued&limit=100", nil).decode(t, &page)
	if len(page.Events) != 0 {
		t.Errorf("token.issued events after refused exchanges: %d; want none", len(page.Events))
	}
}

// TestConsentPageDescribesScopesAndClient: the consent page says what each
// scope allows in the tenant's words (settings.scope_descriptions), in the
// server's words for the OpenID Connect scopes, and by its name otherwise;
// it shows the client's logo and policy links from its metadata when they
// are https, and nothing of an http one. The described scopes are in the
// discovery documents' scopes_supported.
func TestConsentPageDescribesScopesAndClient(t *testing.T) {
	f := newFixture(t)
	setSettings(t, f.tenant, map[string]any{"scope_descriptions": map[string]string{"read": "Read your <files>"}})
	mustStatus(t, "client metadata", adminDo(t, "PATCH", "/admin/v1/tenants/"+f.tenant+"/clients/"+f.web, map[string]any{
		"scope": "openid read write", "logo_uri": "https://app.example.com/logo.png", "policy_uri": "https://app.example.com/privacy",
		"tos_uri": "http://app.example.com/terms"}), http.StatusOK)
	b := newBrowser(t, f.username, f.password)
	p := b.follow(first(f.authURL(url.Values{"client_id": {f.web}, "redirect_uri": {webRedirect}, "scope": {"openid read write"}})))
	p = b.submit(p, url.Values{"username": {f.username}, "password": {f.password}})
	p = b.follow(target.url + p.header.Get("Location"))
	if !strings.Contains(p.body, `name="decision"`) {
		t.Fatalf("no consent page: %d %.400s", p.status, p.body)
	}
	for _, want := range []string{
		`<li>Read your &lt;files&gt; <span class="muted">(read)</span></li>`,
		`<li>Know who you are <span class="muted">(openid)</span></li>`,
		`<li>write</li>`,
		`<img class="logo" alt="" src="https://app.example.com/logo.png">`,
		`href="https://app.example.com/privacy"`,
	} {
		if !strings.Contains(p.body, want) {
			t.Errorf("consent page lacks %s:\n%s", want, p.body)
		}
	}
	if strings.Contains(p.body, "app.example.com/terms") {
		t.Errorf("consent page links the http tos_uri:\n%s", p.body)
	}
	if csp := p.header.Get("Content-Security-Policy"); !strings.Contains(csp, "img-src https:") || strings.Contains(csp, "script-src") {
		t.Errorf("Content-Security-Policy %q; want https images and no script", csp)
	}
	// The metadata a client sees: the client information, and the
	// described scope among scopes_supported.
	got := adminDo(t, "GET", "/admin/v1/tenants/"+f.tenant+"/clients/"+f.web, nil)
	if got.field("logo_uri") != "https://app.example.com/logo.png" || got.field("tos_uri") != "http://app.example.com/terms" {
		t.Errorf("client information: %s", got.body)
	}
	if sc, _ := metadataOf(t, f.tenant)["scopes_supported"].([]any); !slices.Contains(sc, any("read")) || slices.Contains(sc, any("write")) {
		t.Errorf("scopes_supported %v; want the described read, not write", sc)
	}

	// What the admin API refuses.
	for _, bad := range []map[string]any{
		{"logo_uri": "javascript:alert(1)"},
		{"policy_uri": "/privacy"},
		{"tos_uri": "https://user:pw@app.example.com/"},
	} {
		r := adminDo(t, "PATCH", "/admin/v1/tenants/"+f.tenant+"/clients/"+f.web, bad)
		mustOAuthError(t, "client "+fmt.Sprint(bad), r, 400, "invalid_client_metadata")
	}
	for _, bad := range []map[string]string{
		{"re ad": "x"}, {"read": ""}, {"read": "a\u202eb"}, {"read": strings.Repeat("x", 201)},
	} {
		r := adminDo(t, "PATCH", "/admin/v1/tenants/"+f.tenant, map[string]any{"settings": map[string]any{"scope_descriptions": bad}})
		mustOAuthError(t, "scope_descriptions "+fmt.Sprint(bad), r, 400, "invalid_request")
	}
}
