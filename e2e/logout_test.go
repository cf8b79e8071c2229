package e2e

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

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
	cfg := f.publicConfig("5000", "openid", "read")
	verifier := oauth2.GenerateVerifier()
	code, errCode := callback(t, b.authorize(cfg.AuthCodeURL("s", oauth2.S256ChallengeOption(verifier))), "s", f.issuer)
	if code == "" {
		t.Fatalf("no code: %s", errCode)
	}
	tok := tokenRequest(t, f, url.Values{"grant_type": {"authorization_code"}, "code": {code}, "code_verifier": {verifier},
		"redirect_uri": {cfg.RedirectURL}, "client_id": {f.public}})
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
}

// TestLogoutSelfRegisteredClient: a dynamically registered client's
// post-logout URI, vetted by nobody, is followed only with an ID token
// issued to that client, so a logout URL anyone can write does not make
// edgeauth an open redirector (RFC 9700 §4.11.2).
func TestLogoutSelfRegisteredClient(t *testing.T) {
	f := newFixture(t)
	setSettings(t, f.tenant, map[string]any{"registration": "open"})
	r := registerReq(t, f.tenant, map[string]any{"redirect_uris": []string{"http://127.0.0.1/cb"}, "token_endpoint_auth_method": "none",
		"post_logout_redirect_uris": []string{"https://attacker.example/landing"}}, "")
	mustStatus(t, "register", r, http.StatusCreated)
	dyn := r.field("client_id")
	s := signIn(t, f, nil)
	q := url.Values{"client_id": {dyn}, "post_logout_redirect_uri": {"https://attacker.example/landing"}}
	p := s.b.do("GET", logoutURL(f, q), nil)
	if p.status != http.StatusOK || !strings.Contains(p.body, `value="logout"`) {
		t.Fatalf("logout for a self-registered client: %d; want the confirmation page", p.status)
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
