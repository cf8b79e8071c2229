package main

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

var hiddenField = regexp.MustCompile(`<input type="hidden" name="(\w+)" value="([^"]*)"`)

// signIn plays a browser signing in to tenant through client (a public
// client with the loopback redirect URI http://127.0.0.1/cb and the
// openid scope) as username, approving the consent page if it comes, and
// exchanges the code: afterwards the user has a session and a grant. It
// returns the token response.
func signIn(t *testing.T, base, tenant, client, username, password string) map[string]any {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	verifier := strings.Repeat("v", 43)
	sum := sha256.Sum256([]byte(verifier))
	redirect := "http://127.0.0.1:9/cb"
	q := url.Values{"response_type": {"code"}, "client_id": {client}, "redirect_uri": {redirect}, "state": {"s"}, "scope": {"openid"},
		"code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"}}
	get := func(u string) (*http.Response, string) {
		t.Helper()
		resp, err := hc.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	resp, _ := get(base + "/t/" + tenant + "/authorize?" + q.Encode())
	_, page := get(base + resp.Header.Get("Location"))
	form := url.Values{"username": {username}, "password": {password}}
	for _, m := range hiddenField.FindAllStringSubmatch(page, -1) {
		form.Set(m[1], html.UnescapeString(m[2]))
	}
	resp, err := hc.PostForm(base+"/t/"+tenant+"/login", form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if next := resp.Header.Get("Location"); strings.HasPrefix(next, "/t/"+tenant+"/consent?") {
		_, page := get(base + next)
		form := url.Values{"decision": {"approve"}}
		for _, m := range hiddenField.FindAllStringSubmatch(page, -1) {
			form.Set(m[1], html.UnescapeString(m[2]))
		}
		if resp, err = hc.PostForm(base+"/t/"+tenant+"/consent", form); err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || loc.Query().Get("code") == "" {
		t.Fatalf("sign-in: %s to %q; want a redirect with a code", resp.Status, resp.Header.Get("Location"))
	}
	resp, err = hc.PostForm(base+"/t/"+tenant+"/token", url.Values{"grant_type": {"authorization_code"}, "code": {loc.Query().Get("code")},
		"code_verifier": {verifier}, "redirect_uri": {redirect}, "client_id": {client}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tok map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || resp.StatusCode != 200 {
		t.Fatalf("token exchange: %s, %v", resp.Status, err)
	}
	return tok
}

// introspectActive asks the tenant's introspection endpoint about token
// as a confidential client.
func introspectActive(t *testing.T, base, tenant, client, secret, token string) bool {
	t.Helper()
	req, _ := http.NewRequest("POST", base+"/t/"+tenant+"/introspect", strings.NewReader(url.Values{"token": {token}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(client, secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct{ Active bool }
	json.NewDecoder(resp.Body).Decode(&out)
	return out.Active
}

// TestAdminSignInEndToEnd drives the edgeauth command, as separate
// processes, against the native server: create a tenant, a client and a
// user, sign the user in through the browser flow, list the session and
// the grant, revoke the session (its grant goes with it), disable and
// enable the user, and read it all in the audit log.
func TestAdminSignInEndToEnd(t *testing.T) {
	s := startServer(t)
	env := s.env()
	must := func(stdin string, args ...string) result {
		t.Helper()
		r := runMain(t, env, stdin, args...)
		if r.code != 0 {
			t.Fatalf("edgeauth admin %s: %v", strings.Join(args, " "), r)
		}
		return r
	}
	must("", "tenants", "create", "acme", "--session-ttl", "8h")
	must("", "clients", "create", "--tenant", "acme", "--id", "cli", "--public", "--first-party",
		"--redirect-uri", "http://127.0.0.1/cb", "--post-logout-redirect-uri", "http://127.0.0.1/bye", "--scope", "openid")
	rs := jsonOf[map[string]any](t, must("", "clients", "create", "--tenant", "acme", "--id", "rs", "--grant-type", "client_credentials",
		"--introspection-audience", s.url+"/t/acme", "-o", "json"))
	user := jsonOf[map[string]any](t, must("correct horse battery\n", "users", "create", "--tenant", "acme", "--username", "alice", "--password-stdin", "-o", "json"))
	uid := user["id"].(string)

	tok := signIn(t, s.url, "acme", "cli", "alice", "correct horse battery")
	at := tok["access_token"].(string)
	if !introspectActive(t, s.url, "acme", "rs", rs["client_secret"].(string), at) {
		t.Fatalf("a fresh access token is inactive")
	}

	r := must("", "sessions", "list", "--tenant", "acme", "--user", uid)
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "ID ") {
		t.Fatalf("sessions list: %q; want a header and one session", r.stdout)
	}
	sid := strings.Fields(lines[1])[0]
	grants := jsonOf[struct {
		Grants []struct {
			ClientID  string `json:"client_id"`
			SessionID string `json:"session_id"`
		} `json:"grants"`
	}](t, must("", "grants", "list", "--tenant", "acme", "--user", uid, "-o", "json"))
	if len(grants.Grants) != 1 || grants.Grants[0].ClientID != "cli" || grants.Grants[0].SessionID != sid {
		t.Errorf("grants list: %+v; want cli's grant, given in session %s", grants, sid)
	}

	r = must("", "sessions", "revoke", "--tenant", "acme", "--user", uid, sid)
	if !strings.Contains(r.stdout, "Revoked session") {
		t.Errorf("sessions revoke printed %q", r.stdout)
	}
	if r := must("", "sessions", "list", "--tenant", "acme", "--user", uid); strings.Contains(r.stdout, sid) {
		t.Errorf("the revoked session is still listed:\n%s", r.stdout)
	}
	if introspectActive(t, s.url, "acme", "rs", rs["client_secret"].(string), at) {
		t.Errorf("the revoked session's access token is still active")
	}
	if r := runMain(t, env, "", "sessions", "revoke", "--tenant", "acme", "--user", uid, sid); r.code != 1 || !strings.Contains(r.stderr, "not found") {
		t.Errorf("revoking it again: %v; want exit 1, not found", r)
	}

	signIn(t, s.url, "acme", "cli", "alice", "correct horse battery")
	r = must("", "users", "disable", "--tenant", "acme", uid)
	if !regexp.MustCompile(`(?m)^disabled +true$`).MatchString(r.stdout) || !strings.Contains(r.stderr, "sessions and grants are revoked") {
		t.Errorf("users disable: %v", r)
	}
	if r := must("", "sessions", "list", "--tenant", "acme", "--user", uid, "-o", "json"); !strings.Contains(r.stdout, `"sessions":[]`) {
		t.Errorf("a disabled user's sessions: %s; want none", r.stdout)
	}
	must("", "users", "enable", "--tenant", "acme", uid)

	r = must("", "audit", "list", "--tenant", "acme", "-o", "json")
	var log struct {
		Events []struct{ Event string } `json:"events"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &log); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, e := range log.Events {
		seen[e.Event] = true
	}
	for _, e := range []string{"login.succeeded", "token.issued", "session.revoked", "user.disabled", "user.enabled"} {
		if !seen[e] {
			t.Errorf("the audit log lacks %s", e)
		}
	}

	// Mistakes: neither an id nor --all, both, and a post-logout URI with
	// a fragment are refused before anything is sent.
	for _, c := range []struct {
		args []string
		msg  string
	}{
		{[]string{"sessions", "revoke", "--tenant", "acme", "--user", uid}, "give the session's id (SESSION_ID) or --all"},
		{[]string{"grants", "revoke", "--tenant", "acme", "--user", uid, "x", "--all"}, "give a grant id or --all, not both"},
		{[]string{"consents", "list", "--tenant", "acme"}, "--user is required"},
		{[]string{"clients", "update", "--tenant", "acme", "cli", "--post-logout-redirect-uri", "http://127.0.0.1/bye#x"}, "must not contain a fragment"},
	} {
		if r := runMain(t, env, "", c.args...); r.code != 2 || !strings.Contains(r.stderr, c.msg) {
			t.Errorf("edgeauth admin %s: %v; want exit 2 saying %q", strings.Join(c.args, " "), r, c.msg)
		}
	}
}
