package e2e

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/oauth2"
)

// userPath is the admin API path of f's user, plus rest.
func (f *fixture) userPath(rest string) string {
	return "/admin/v1/tenants/" + f.tenant + "/users/" + f.userID + rest
}

// TestAdminSessionsGrantsConsents: an admin lists a user's sessions,
// grants and consents, revokes one or all of them, and disables and
// enables the user; each takes effect at once, and is audited.
func TestAdminSessionsGrantsConsents(t *testing.T) {
	f := newFixture(t)
	mustStatus(t, "web stands for the issuer", adminDo(t, "PATCH", "/admin/v1/tenants/"+f.tenant+"/clients/"+f.web,
		map[string]any{"introspection_audiences": []string{f.issuer}}), http.StatusOK)
	// Two browsers: one signs in to the public client, one to the web
	// client (with consent).
	native := signIn(t, f, nil)
	webBrowser := newBrowser(t, f.username, f.password)
	webBrowser.decision = "approve"
	cfg := f.webConfig("openid", "read")
	verifier := oauth2.GenerateVerifier()
	code, _ := callback(t, webBrowser.authorize(cfg.AuthCodeURL("s", oauth2.S256ChallengeOption(verifier))), "s", f.issuer)
	webTok := tokenRequest(t, f, url.Values{"grant_type": {"authorization_code"}, "code": {code}, "code_verifier": {verifier},
		"redirect_uri": {webRedirect}}, "Authorization", basicAuth(f.web, f.webSecret))
	mustStatus(t, "web exchange", webTok, http.StatusOK)
	active := func(at string) bool {
		var out struct{ Active bool }
		introspect(t, f, at, f.web, f.webSecret).decode(t, &out)
		return out.Active
	}

	var sessions struct {
		Sessions []struct{ ID, ExpiresAt string } `json:"sessions"`
	}
	r := adminDo(t, "GET", f.userPath("/sessions"), nil)
	mustStatus(t, "list sessions", r, http.StatusOK)
	r.decode(t, &sessions)
	if len(sessions.Sessions) != 2 {
		t.Fatalf("sessions: %s; want 2", r.body)
	}
	var gl struct {
		Grants []map[string]any `json:"grants"`
	}
	r = adminDo(t, "GET", f.userPath("/grants"), nil)
	mustStatus(t, "list grants", r, http.StatusOK)
	r.decode(t, &gl)
	clients := map[string]bool{}
	for _, g := range gl.Grants {
		clients[g["client_id"].(string)] = true
		for _, k := range []string{"id", "scope", "resources", "created_at", "last_used_at", "session_id", "refresh_token"} {
			if _, ok := g[k]; !ok {
				t.Errorf("a grant lacks %q: %v", k, g)
			}
		}
	}
	if len(gl.Grants) != 2 || !clients[f.public] || !clients[f.web] {
		t.Errorf("grants: %s; want one of each client", r.body)
	}
	var cl struct {
		Consents []struct {
			ClientID string `json:"client_id"`
			Scope    string `json:"scope"`
		} `json:"consents"`
	}
	r = adminDo(t, "GET", f.userPath("/consents"), nil)
	mustStatus(t, "list consents", r, http.StatusOK)
	r.decode(t, &cl)
	if len(cl.Consents) != 1 || cl.Consents[0].ClientID != f.web || cl.Consents[0].Scope != "openid read" {
		t.Errorf("consents: %s; want the web client's", r.body)
	}

	// Revoking the native browser's session ends it, with its grant; the
	// web browser stays signed in.
	mustStatus(t, "revoke a session", adminDo(t, "DELETE", f.userPath("/sessions/"+native.sid), nil), http.StatusNoContent)
	mustStatus(t, "revoke it again", adminDo(t, "DELETE", f.userPath("/sessions/"+native.sid), nil), http.StatusNotFound)
	if native.stillSignedIn(t, f) {
		t.Errorf("the revoked session still works")
	}
	if a, _ := native.grantActive(t, f); a {
		t.Errorf("the revoked session's access token is still active")
	}
	if !active(webTok.field("access_token")) {
		t.Errorf("the other session's grant was revoked too")
	}

	// Revoking the consent revokes the web client's grant.
	mustStatus(t, "revoke the consent", adminDo(t, "DELETE", f.userPath("/consents/"+f.web), nil), http.StatusNoContent)
	mustStatus(t, "revoke it again", adminDo(t, "DELETE", f.userPath("/consents/"+f.web), nil), http.StatusNotFound)
	if active(webTok.field("access_token")) {
		t.Errorf("the web client's access token is active after its consent was revoked")
	}

	// Disable: sessions and grants end; the right password is told the
	// account is disabled, a wrong one is not.
	again := signIn(t, f, nil)
	r = adminDo(t, "POST", f.userPath("/disable"), nil)
	mustStatus(t, "disable", r, http.StatusOK)
	if !strings.Contains(string(r.body), `"disabled":true`) {
		t.Errorf("disable answered %s; want the user with disabled true", r.body)
	}
	if again.stillSignedIn(t, f) {
		t.Errorf("a disabled user's session still works")
	}
	if a, rf := again.grantActive(t, f); a || rf {
		t.Errorf("a disabled user's grant: access token active %v, refresh works %v", a, rf)
	}
	wrong := newBrowser(t, f.username, "not the password")
	wrong.authorize(f.publicConfig("5000", "read").AuthCodeURL("s", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())))
	if strings.Contains(wrong.last.body, "disabled") || !strings.Contains(wrong.last.body, "Wrong username or password") {
		t.Errorf("a wrong password of a disabled user: the page says %.300s; want the usual answer", wrong.last.body)
	}
	right := newBrowser(t, f.username, f.password)
	if u := right.authorize(f.publicConfig("5000", "read").AuthCodeURL("s", oauth2.S256ChallengeOption(oauth2.GenerateVerifier()))); u != nil {
		t.Errorf("a disabled user signed in: %v", u)
	}
	if right.last.status != http.StatusForbidden || !strings.Contains(right.last.body, "disabled") {
		t.Errorf("a disabled user's right password: %d %.300s; want 403 saying the account is disabled", right.last.status, right.last.body)
	}
	mustStatus(t, "enable", adminDo(t, "POST", f.userPath("/enable"), nil), http.StatusOK)
	signIn(t, f, nil)

	// All at once.
	signIn(t, f, nil)
	r = adminDo(t, "DELETE", f.userPath("/sessions"), nil)
	mustStatus(t, "revoke every session", r, http.StatusOK)
	var counts map[string]int64
	r.decode(t, &counts)
	if counts["sessions_revoked"] != 2 || counts["grants_revoked"] != 2 {
		t.Errorf("revoke every session: %s; want 2 sessions and their 2 grants", r.body)
	}
	mustStatus(t, "revoke every grant", adminDo(t, "DELETE", f.userPath("/grants"), nil), http.StatusOK)
	mustStatus(t, "revoke every consent", adminDo(t, "DELETE", f.userPath("/consents"), nil), http.StatusOK)

	// Unknown user, session, grant: 404.
	for _, c := range []struct{ method, path string }{
		{"GET", "/admin/v1/tenants/" + f.tenant + "/users/nobody/sessions"},
		{"POST", "/admin/v1/tenants/" + f.tenant + "/users/nobody/disable"},
		{"DELETE", f.userPath("/sessions/nope")},
		{"DELETE", f.userPath("/grants/nope")},
		{"DELETE", f.userPath("/consents/nope")},
	} {
		if r := adminDo(t, c.method, c.path, nil); r.status != http.StatusNotFound {
			t.Errorf("%s %s: %d; want 404", c.method, c.path, r.status)
		}
	}

	var log struct {
		Events []struct{ Event string } `json:"events"`
	}
	adminDo(t, "GET", "/admin/v1/tenants/"+f.tenant+"/audit", nil).decode(t, &log)
	seen := map[string]bool{}
	for _, e := range log.Events {
		seen[e.Event] = true
	}
	for _, e := range []string{"session.revoked", "consent.revoked", "user.disabled", "user.enabled", "grant.revoked", "login.refused"} {
		if !seen[e] {
			t.Errorf("the audit log lacks %s", e)
		}
	}
}
