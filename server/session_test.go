//go:build !js

package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/edgeauth/edgeauth/server"
	"github.com/edgeauth/edgeauth/storage/kv"
)

// TestSignOutHoldsEverywhere: two servers on one database, each with its
// own KV and record cache, stand for two Cloudflare locations (KV
// eventually consistent between them, D1 not). A session started at one
// works at the other, and once signed out at one it works at neither:
// the check that decides it reads SQL, never KV or a cache.
func TestSignOutHoldsEverywhere(t *testing.T) {
	store := newTestStore(t)
	cfg := func() server.Config {
		return server.Config{AdminToken: strings.Repeat("a", 32), Sealer: testSealer(), Store: store, KV: kv.NewMemory(time.Now)}
	}
	a, b := startServer(t, cfg()), startServer(t, cfg())
	a.mustAdmin("POST", "/admin/v1/tenants", `{"id":"acme"}`, 201)
	a.mustAdmin("POST", "/admin/v1/tenants/acme/clients", `{"client_id":"app","token_endpoint_auth_method":"none","first_party":true,
		"redirect_uris":["http://127.0.0.1/cb"],"grant_types":["authorization_code"],"scope":"openid"}`, 201)
	a.mustAdmin("POST", "/admin/v1/tenants/acme/users", `{"username":"alice","password":"correct horse"}`, 201)

	// Sign in at a.
	form := "application/x-www-form-urlencoded"
	r := a.do("GET", authorizePath("app"), "", "")
	page := a.do("GET", r.loc, "", "")
	r = a.do("POST", "/t/acme/login", form, pageForm(page.body, url.Values{"username": {"alice"}, "password": {"correct horse"}}).Encode())
	if !strings.Contains(r.loc, "code=") {
		t.Fatalf("sign-in at a: %d %q", r.status, r.loc)
	}
	var cookie string
	for _, c := range a.hc.Jar.Cookies(mustURL(t, a.base)) {
		if strings.HasPrefix(c.Name, "edgeauth-session-") {
			cookie = c.Name + "=" + c.Value
		}
	}
	if cookie == "" {
		t.Fatal("no session cookie after signing in")
	}
	atB := func() result { return b.do("GET", authorizePath("app"), "", "", "Cookie", cookie) }
	if r := atB(); !strings.Contains(r.loc, "code=") {
		t.Fatalf("the session at b: %d %q; want a code (the session is in SQL, not in a's KV)", r.status, r.loc)
	}

	// Sign out at a (the confirmation page, then its form).
	page = a.do("GET", "/t/acme/logout?client_id=app", "", "")
	if page.status != http.StatusOK {
		t.Fatalf("logout page at a: %d %s", page.status, page.body)
	}
	r = a.do("POST", "/t/acme/logout", form, pageForm(page.body, url.Values{"decision": {"logout"}}).Encode())
	if r.status != http.StatusOK || !strings.Contains(r.body, "You are signed out") {
		t.Fatalf("logout at a: %d %.200s", r.status, r.body)
	}
	if r := atB(); !strings.HasPrefix(r.loc, "/t/acme/login?") {
		t.Errorf("the signed-out session at b: %d %q; want the login page", r.status, r.loc)
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
