package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

const signedOutURI = "http://127.0.0.1/signed-out"

// signedIn is a browser signed in to f's tenant through the public client,
// with the tokens of that sign-in.
type signedIn struct {
	b                    *browser
	idToken, at, rt, sid string
}

// signIn runs the code flow for f's public client in a new browser (or b,
// when given) with openid, and exchanges the code.
func signIn(t *testing.T, f *fixture, b *browser) signedIn {
	t.Helper()
	if b == nil {
		b = newBrowser(t, f.username, f.password)
	}
	return signInTo(t, f, b, f.publicConfig("5000", "openid", "read"))
}

// signInTo runs the code flow of cfg's public client in b, which answers
// any consent page with b.decision, and exchanges the code.
func signInTo(t *testing.T, f *fixture, b *browser, cfg *oauth2.Config) signedIn {
	t.Helper()
	verifier := oauth2.GenerateVerifier()
	code, errCode := callback(t, b.authorize(cfg.AuthCodeURL("s", oauth2.S256ChallengeOption(verifier))), "s", f.issuer)
	if code == "" {
		t.Fatalf("no code: %s", errCode)
	}
	tok := tokenRequest(t, f, url.Values{"grant_type": {"authorization_code"}, "code": {code}, "code_verifier": {verifier},
		"redirect_uri": {cfg.RedirectURL}, "client_id": {cfg.ClientID}})
	mustStatus(t, "exchange", tok, http.StatusOK)
	s := signedIn{b: b, idToken: tok.field("id_token"), at: tok.field("access_token"), rt: tok.field("refresh_token")}
	noteSecret(s.idToken)
	noteSecret(s.rt)
	parts := strings.Split(s.idToken, ".")
	if len(parts) != 3 {
		t.Fatalf("no ID token: %s", tok.body)
	}
	raw, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var c struct {
		SID string `json:"sid"`
	}
	json.Unmarshal(raw, &c)
	if c.SID == "" {
		t.Fatalf("the ID token has no sid (OIDC Front-Channel Logout §3): %s", raw)
	}
	s.sid = c.SID
	return s
}

// stillSignedIn reports whether the browser gets a code without a page.
func (s signedIn) stillSignedIn(t *testing.T, f *fixture) bool {
	t.Helper()
	cfg := f.publicConfig("5000", "openid")
	saved := s.b.password
	s.b.password = "" // stop at a login page
	defer func() { s.b.password = saved }()
	u := s.b.authorize(cfg.AuthCodeURL("s", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())))
	return u != nil && u.Query().Get("code") != ""
}

// grantActive reports whether the sign-in's access token is active at
// introspection and its refresh token still refreshes.
func (s signedIn) grantActive(t *testing.T, f *fixture) (access, refresh bool) {
	t.Helper()
	var out struct{ Active bool }
	introspect(t, f, s.at, f.web, f.webSecret).decode(t, &out)
	r := tokenRequest(t, f, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {s.rt}, "client_id": {f.public}})
	return out.Active, r.status == http.StatusOK
}

func logoutURL(f *fixture, q url.Values) string { return f.issuer + "/logout?" + q.Encode() }

// TestLogout: OpenID Connect RP-Initiated Logout 1.0 at the
// end_session_endpoint.
func TestLogout(t *testing.T) {
	f := newFixture(t)
	mustStatus(t, "register a post-logout URI", adminDo(t, "PATCH", "/admin/v1/tenants/"+f.tenant+"/clients/"+f.public,
		map[string]any{"post_logout_redirect_uris": []string{signedOutURI}}), http.StatusOK)
	// web introspects the public client's tokens: it stands for the issuer.
	mustStatus(t, "web stands for the issuer", adminDo(t, "PATCH", "/admin/v1/tenants/"+f.tenant+"/clients/"+f.web,
		map[string]any{"introspection_audiences": []string{f.issuer}}), http.StatusOK)
	var md struct {
		EndSession string `json:"end_session_endpoint"`
	}
	request{method: "GET", path: "/t/" + f.tenant + "/.well-known/openid-configuration"}.do(t).decode(t, &md)
	if md.EndSession != f.issuer+"/logout" {
		t.Fatalf("end_session_endpoint = %q; want %q", md.EndSession, f.issuer+"/logout")
	}

	t.Run("id_token_hint signs out at once", func(t *testing.T) {
		s := signIn(t, f, nil)
		if a, r := s.grantActive(t, f); !a || !r {
			t.Fatalf("before sign-out: access token active %v, refresh works %v", a, r)
		}
		s = signIn(t, f, s.b) // the refresh above rotated the token: a new grant
		p := s.b.do("GET", logoutURL(f, url.Values{"id_token_hint": {s.idToken}, "post_logout_redirect_uri": {signedOutURI}, "state": {"bye 1"}}), nil)
		if p.status != http.StatusSeeOther || p.header.Get("Location") != signedOutURI+"?state=bye+1" {
			t.Fatalf("logout with a hint: %d Location %q; want 303 to %s?state=bye+1", p.status, p.header.Get("Location"), signedOutURI)
		}
		if s.stillSignedIn(t, f) {
			t.Errorf("the browser is still signed in after logout")
		}
		if a, r := s.grantActive(t, f); a || r {
			t.Errorf("after sign-out: access token active %v, refresh works %v; want neither (the session's grants are revoked)", a, r)
		}
	})

	t.Run("without a hint the user confirms", func(t *testing.T) {
		s := signIn(t, f, nil)
		p := s.b.do("GET", logoutURL(f, url.Values{"client_id": {f.public}, "post_logout_redirect_uri": {signedOutURI}, "state": {"st"}}), nil)
		if p.status != http.StatusOK || !strings.Contains(p.body, `name="decision" value="logout"`) {
			t.Fatalf("logout without a hint: %d %.300s; want the confirmation page", p.status, p.body)
		}
		if !s.stillSignedIn(t, f) {
			t.Fatalf("the confirmation page alone signed the browser out")
		}
		// The form is bound to this browser: another one cannot post it.
		other := newBrowser(t, "", "")
		if r := other.submit(p, url.Values{"decision": {"logout"}}); r.status != http.StatusBadRequest {
			t.Errorf("the confirmation posted from another browser: %d; want 400", r.status)
		}
		if r := s.b.submit(p, url.Values{"decision": {"logout"}, "csrf": {"forged"}}); r.status != http.StatusBadRequest {
			t.Errorf("the confirmation with a wrong CSRF token: %d; want 400", r.status)
		}
		if !s.stillSignedIn(t, f) {
			t.Fatalf("a refused confirmation signed the browser out")
		}
		r := s.b.submit(p, url.Values{"decision": {"logout"}})
		if r.status != http.StatusSeeOther || r.header.Get("Location") != signedOutURI+"?state=st" {
			t.Errorf("confirmed: %d Location %q; want 303 to %s?state=st", r.status, r.header.Get("Location"), signedOutURI)
		}
		if s.stillSignedIn(t, f) {
			t.Errorf("the browser is still signed in after a confirmed logout")
		}
	})

	t.Run("a hint of another session asks", func(t *testing.T) {
		old := signIn(t, f, nil)
		s := signIn(t, f, nil) // another browser, another session
		p := s.b.do("GET", logoutURL(f, url.Values{"id_token_hint": {old.idToken}}), nil)
		if p.status != http.StatusOK || !strings.Contains(p.body, `value="logout"`) {
			t.Errorf("a hint naming another session: %d; want the confirmation page", p.status)
		}
		if !s.stillSignedIn(t, f) || !old.stillSignedIn(t, f) {
			t.Errorf("a hint of another session signed a browser out without asking")
		}
	})

	t.Run("not signed in", func(t *testing.T) {
		b := newBrowser(t, "", "")
		p := b.do("GET", logoutURL(f, url.Values{"client_id": {f.public}, "post_logout_redirect_uri": {signedOutURI}}), nil)
		if p.status != http.StatusSeeOther || p.header.Get("Location") != signedOutURI {
			t.Errorf("logout without a session: %d Location %q; want 303 to %s", p.status, p.header.Get("Location"), signedOutURI)
		}
		if p := b.do("GET", logoutURL(f, nil), nil); p.status != http.StatusOK || !strings.Contains(p.body, "not signed in") {
			t.Errorf("logout with nothing: %d %.200s; want the signed-out page", p.status, p.body)
		}
	})

	t.Run("errors are a page, never a redirect", func(t *testing.T) {
		s := signIn(t, f, nil)
		tampered := s.idToken[:len(s.idToken)-6] + "AAAAAA"
		for name, q := range map[string]url.Values{
			"unregistered URI":         {"client_id": {f.public}, "post_logout_redirect_uri": {"https://evil.example/"}},
			"URI of another port":      {"client_id": {f.public}, "post_logout_redirect_uri": {"http://127.0.0.1:8080/signed-out"}},
			"URI without a client":     {"post_logout_redirect_uri": {signedOutURI}},
			"unknown client":           {"client_id": {"nobody"}, "post_logout_redirect_uri": {signedOutURI}},
			"client_id not the hint's": {"id_token_hint": {s.idToken}, "client_id": {f.web}},
			"tampered hint":            {"id_token_hint": {tampered}, "post_logout_redirect_uri": {signedOutURI}},
			"an access token as hint":  {"id_token_hint": {s.at}},
			"state too long":           {"state": {strings.Repeat("s", 1025)}},
		} {
			p := s.b.do("GET", logoutURL(f, q), nil)
			if p.status != http.StatusBadRequest || p.header.Get("Location") != "" || !strings.Contains(p.body, "invalid_request") {
				t.Errorf("%s: %d Location %q; want the 400 error page", name, p.status, p.header.Get("Location"))
			}
		}
		if !s.stillSignedIn(t, f) {
			t.Errorf("a refused logout request signed the browser out")
		}
	})

	t.Run("a code issued before the sign-out is refused", func(t *testing.T) {
		s := signIn(t, f, nil)
		cfg := f.publicConfig("5000", "openid", "read")
		verifier := oauth2.GenerateVerifier()
		code, _ := callback(t, s.b.authorize(cfg.AuthCodeURL("s", oauth2.S256ChallengeOption(verifier))), "s", f.issuer)
		if p := s.b.do("GET", logoutURL(f, url.Values{"id_token_hint": {s.idToken}}), nil); p.status != http.StatusOK {
			t.Fatalf("logout: %d", p.status)
		}
		// The grant the exchange makes is born revoked, which the same
		// batch reads back: no tokens, and the code is spent.
		exchange := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "code_verifier": {verifier},
			"redirect_uri": {cfg.RedirectURL}, "client_id": {f.public}}
		mustOAuthError(t, "exchange after the sign-out", tokenRequest(t, f, exchange), http.StatusBadRequest, "invalid_grant")
		mustOAuthError(t, "the same code again", tokenRequest(t, f, exchange), http.StatusBadRequest, "invalid_grant")
	})

	t.Run("POST", func(t *testing.T) {
		s := signIn(t, f, nil)
		form := url.Values{"id_token_hint": {s.idToken}, "post_logout_redirect_uri": {signedOutURI}}
		p := s.b.do("POST", f.issuer+"/logout", form)
		if p.status != http.StatusSeeOther || p.header.Get("Location") != signedOutURI {
			t.Errorf("POST logout: %d Location %q; want 303 to %s", p.status, p.header.Get("Location"), signedOutURI)
		}
		if s.stillSignedIn(t, f) {
			t.Errorf("still signed in after a POST logout")
		}
	})

	// A cross-site POST carries no SameSite=Lax cookie: the request goes
	// on as a GET, which does (TestChromiumCrossSiteLogout in a browser).
	t.Run("POST without the session cookie is sent on as a GET", func(t *testing.T) {
		s := signIn(t, f, nil)
		form := url.Values{"id_token_hint": {s.idToken}, "post_logout_redirect_uri": {signedOutURI}, "state": {"bye 2"}}
		p := newBrowser(t, "", "").do("POST", f.issuer+"/logout", form)
		loc, err := url.Parse(p.header.Get("Location"))
		if p.status != http.StatusSeeOther || err != nil || loc.Path != "/t/"+f.tenant+"/logout" || loc.Query().Encode() != form.Encode() {
			t.Fatalf("POST logout without a cookie: %d Location %q; want 303 to /t/%s/logout with the parameters in the query",
				p.status, p.header.Get("Location"), f.tenant)
		}
		if !s.stillSignedIn(t, f) {
			t.Fatalf("the POST without a cookie signed the browser out")
		}
		g := s.b.do("GET", target.url+loc.String(), nil)
		if g.status != http.StatusSeeOther || g.header.Get("Location") != signedOutURI+"?state=bye+2" {
			t.Errorf("the GET it leads to: %d Location %q; want 303 to %s?state=bye+2", g.status, g.header.Get("Location"), signedOutURI)
		}
		if s.stillSignedIn(t, f) {
			t.Errorf("still signed in after the POST's GET")
		}
		if a, r := s.grantActive(t, f); a || r {
			t.Errorf("after sign-out: access token active %v, refresh works %v; want neither", a, r)
		}
		// The GET answers as it would have: no loop, and the bounds hold.
		if p := newBrowser(t, "", "").do("GET", target.url+loc.String(), nil); p.status != http.StatusSeeOther || p.header.Get("Location") != signedOutURI+"?state=bye+2" {
			t.Errorf("the GET without a session: %d Location %q", p.status, p.header.Get("Location"))
		}
		long := url.Values{"client_id": {f.public}, "state": {strings.Repeat("s", 1025)}}
		if p := newBrowser(t, "", "").do("POST", f.issuer+"/logout", long); p.status != http.StatusBadRequest || p.header.Get("Location") != "" {
			t.Errorf("POST with a state too long: %d Location %q; want the 400 error page", p.status, p.header.Get("Location"))
		}
	})

	t.Run("a cookie of an ended session is cleared", func(t *testing.T) {
		for _, method := range []string{"GET", "POST"} {
			s := signIn(t, f, nil)
			mustStatus(t, "an admin ends the session", adminDo(t, "DELETE", f.userPath("/sessions/"+s.sid), nil), http.StatusNoContent)
			var p page
			if method == "GET" {
				p = s.b.do("GET", logoutURL(f, url.Values{"client_id": {f.public}}), nil)
			} else {
				p = s.b.do("POST", f.issuer+"/logout", url.Values{"client_id": {f.public}})
			}
			if p.status != http.StatusOK || !sessionCookieCleared(p, f) {
				t.Errorf("%s logout with the cookie of an ended session: %d, Set-Cookie %q; want the signed-out page clearing the session cookie",
					method, p.status, p.header.Values("Set-Cookie"))
			}
		}
	})
}

// sessionCookieCleared reports whether p clears f's session cookie.
func sessionCookieCleared(p page, f *fixture) bool {
	for _, c := range (&http.Response{Header: p.header}).Cookies() {
		if c.Name == "edgeauth-session-"+f.tenant && c.Value == "" && c.MaxAge < 0 {
			return true
		}
	}
	return false
}

// TestLogoutHintWithoutSid: an ID token without sid (the device flow's)
// does not show that the request comes from the browser's session, so the
// user is asked (RP-Initiated Logout 1.0 §2: the OP MUST ask when the ID
// token does not belong to the current OP session with the RP).
func TestLogoutHintWithoutSid(t *testing.T) {
	f, cfg := deviceFixture(t)
	da := deviceAuth(t, f, cfg)
	b, _, done := approveDevice(t, f, da.VerificationURIComplete, "approve")
	if done.status != http.StatusOK {
		t.Fatalf("device approval: %d", done.status)
	}
	ctx, cancel := context.WithTimeout(oauthCtx(), 30*time.Second)
	defer cancel()
	tok, err := cfg.DeviceAccessToken(ctx, da)
	if err != nil {
		t.Fatalf("DeviceAccessToken: %v", err)
	}
	hint, _ := tok.Extra("id_token").(string)
	noteSecret(hint)
	noteSecret(tok.RefreshToken)
	if parts := strings.Split(hint, "."); len(parts) != 3 || strings.Contains(mustDecodeSegment(t, parts[1]), `"sid"`) {
		t.Fatalf("the device flow's ID token %q; want one without sid", hint)
	}
	s := signedIn{b: b}
	p := b.do("GET", logoutURL(f, url.Values{"id_token_hint": {hint}}), nil)
	if p.status != http.StatusOK || !strings.Contains(p.body, `value="logout"`) {
		t.Errorf("a hint of the signed-in user without sid: %d %.200s; want the confirmation page", p.status, p.body)
	}
	if !s.stillSignedIn(t, f) {
		t.Fatalf("a hint without sid signed the browser out without asking")
	}
	if r := b.submit(p, url.Values{"decision": {"logout"}}); r.status != http.StatusOK || s.stillSignedIn(t, f) {
		t.Errorf("confirmed: %d, still signed in %v; want the signed-out page and no session", r.status, s.stillSignedIn(t, f))
	}
}

func mustDecodeSegment(t *testing.T, seg string) string {
	t.Helper()
	raw, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		t.Fatalf("JWT segment: %v", err)
	}
	return string(raw)
}

// TestLogoutHintOfDeletedClient: an ID token of a client deleted since is
// still a hint, of no known client: no post_logout_redirect_uri can be
// checked, so none is followed, and the user is asked as without a
// client.
func TestLogoutHintOfDeletedClient(t *testing.T) {
	f := newFixture(t)
	clients := "/admin/v1/tenants/" + f.tenant + "/clients"
	mustStatus(t, "create a client", adminDo(t, "POST", clients, map[string]any{
		"client_id": "gone", "token_endpoint_auth_method": "none", "first_party": true,
		"redirect_uris": []string{"http://127.0.0.1/callback"}, "post_logout_redirect_uris": []string{signedOutURI},
		"grant_types": []string{"authorization_code"}, "scope": "openid"}), http.StatusCreated)
	cfg := f.publicConfig("5000", "openid")
	cfg.ClientID = "gone"
	s := signInTo(t, f, newBrowser(t, f.username, f.password), cfg)
	mustStatus(t, "delete the client", adminDo(t, "DELETE", clients+"/gone", nil), http.StatusNoContent)

	q := url.Values{"id_token_hint": {s.idToken}, "post_logout_redirect_uri": {signedOutURI}, "state": {"st"}}
	p := s.b.do("GET", logoutURL(f, q), nil)
	if p.status != http.StatusOK || p.header.Get("Location") != "" || !strings.Contains(p.body, `value="logout"`) {
		t.Fatalf("a hint of a deleted client: %d Location %q; want the confirmation page", p.status, p.header.Get("Location"))
	}
	if r := s.b.submit(p, url.Values{"decision": {"logout"}}); r.status != http.StatusOK || r.header.Get("Location") != "" {
		t.Errorf("confirmed: %d Location %q; want the signed-out page, no redirect", r.status, r.header.Get("Location"))
	}
	if s.stillSignedIn(t, f) {
		t.Errorf("still signed in after a confirmed logout")
	}
	if p := s.b.do("GET", logoutURL(f, q), nil); p.status != http.StatusOK || p.header.Get("Location") != "" {
		t.Errorf("without a session: %d Location %q; want the signed-out page, no redirect", p.status, p.header.Get("Location"))
	}
}

// TestLogoutSelfRegisteredClient: a dynamically registered client's
// post-logout URI, vetted by nobody, is followed only with an ID token
// issued to that client for the user whose session the request ends, so
// a logout URL anyone can write does not make edgeauth an open redirector
// (RFC 9700 §4.11.2).
func TestLogoutSelfRegisteredClient(t *testing.T) {
	f := newFixture(t)
	setSettings(t, f.tenant, map[string]any{"registration": "open"})
	r := registerReq(t, f.tenant, map[string]any{"redirect_uris": []string{"http://127.0.0.1/cb"}, "token_endpoint_auth_method": "none",
		"client_name": "Your Bank", "post_logout_redirect_uris": []string{"https://attacker.example/landing"}}, "")
	mustStatus(t, "register", r, http.StatusCreated)
	dyn := r.field("client_id")

	// The attacker signs in to their own client as themselves and
	// publishes a logout link with their ID token.
	mustStatus(t, "create the attacker's user", adminDo(t, "POST", "/admin/v1/tenants/"+f.tenant+"/users",
		map[string]any{"username": "mallory", "password": f.password}), http.StatusCreated)
	mb := newBrowser(t, "mallory", f.password)
	mb.decision = "approve"
	dynCfg := f.publicConfig("5000", "openid")
	dynCfg.ClientID, dynCfg.RedirectURL = dyn, "http://127.0.0.1/cb"
	mallory := signInTo(t, f, mb, dynCfg)
	link := logoutURL(f, url.Values{"id_token_hint": {mallory.idToken}, "post_logout_redirect_uri": {"https://attacker.example/landing"}})
	if p := newBrowser(t, "", "").do("GET", link, nil); p.status != http.StatusOK || p.header.Get("Location") != "" {
		t.Errorf("the attacker's link in a browser without a session: %d Location %q; want the signed-out page, no redirect",
			p.status, p.header.Get("Location"))
	}
	victim := signIn(t, f, nil)
	asked := victim.b.do("GET", link, nil)
	if asked.status != http.StatusOK || !strings.Contains(asked.body, `value="logout"`) {
		t.Fatalf("the attacker's link in another user's browser: %d Location %q; want the confirmation page", asked.status, asked.header.Get("Location"))
	}
	// Nor does the page say that the name its registrant chose asks.
	if strings.Contains(asked.body, "Your Bank") {
		t.Errorf("the confirmation page for another user names the self-registered client: %s", asked.body)
	}
	if r := victim.b.submit(asked, url.Values{"decision": {"logout"}}); r.status != http.StatusOK || r.header.Get("Location") != "" {
		t.Errorf("another user confirmed the attacker's link: %d Location %q; want the signed-out page, no redirect",
			r.status, r.header.Get("Location"))
	}
	// The hint's own user, in the session it names, goes back to the client.
	if p := mb.do("GET", link, nil); p.status != http.StatusSeeOther || p.header.Get("Location") != "https://attacker.example/landing" {
		t.Errorf("the link in its own user's session: %d Location %q; want 303 to the registered URI", p.status, p.header.Get("Location"))
	}

	s := signIn(t, f, nil)
	q := url.Values{"client_id": {dyn}, "post_logout_redirect_uri": {"https://attacker.example/landing"}}
	p := s.b.do("GET", logoutURL(f, q), nil)
	if p.status != http.StatusOK || !strings.Contains(p.body, `value="logout"`) || strings.Contains(p.body, "Your Bank") {
		t.Fatalf("logout for a self-registered client: %d %s; want the confirmation page, without the client's name", p.status, p.body)
	}
	done := s.b.submit(p, url.Values{"decision": {"logout"}})
	if done.status != http.StatusOK || done.header.Get("Location") != "" {
		t.Errorf("confirmed logout for a self-registered client without a hint: %d Location %q; want the signed-out page, no redirect",
			done.status, done.header.Get("Location"))
	}
	// Not signed in any more: the same request is not redirected either.
	if p := s.b.do("GET", logoutURL(f, q), nil); p.header.Get("Location") != "" {
		t.Errorf("logout without a session for a self-registered client: redirected to %q", p.header.Get("Location"))
	}
}
