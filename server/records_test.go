//go:build !js

package server_test

import (
	"crypto/sha256"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/edgeauth/edgeauth/server"
	"github.com/edgeauth/edgeauth/storage/kv"
)

// TestRecordsExpireOnTheirOwn: a pending authorization request and a
// session end at their own time even when KV still returns them (its
// expiry is a TTL, not a promise): here KV's clock never moves.
func TestRecordsExpireOnTheirOwn(t *testing.T) {
	base := time.Unix(1_800_000_000, 0)
	var offset atomic.Int64
	admin := strings.Repeat("a", 32)
	ls := startServer(t, server.Config{AdminToken: admin, Sealer: testSealer(), Store: newTestStore(t),
		KV:  kv.NewMemory(func() time.Time { return base }),
		Now: func() time.Time { return base.Add(time.Duration(offset.Load())) },
		DeriveKey: func(pw, salt []byte, iter, n int) ([]byte, error) {
			h := sha256.Sum256(append(append([]byte{}, pw...), salt...))
			return h[:n], nil
		}})
	for _, req := range [][2]string{
		{"/admin/v1/tenants", `{"id":"acme"}`},
		{"/admin/v1/tenants/acme/clients", `{"client_id":"app","token_endpoint_auth_method":"none","first_party":true,"redirect_uris":["http://127.0.0.1/cb"],"grant_types":["authorization_code"]}`},
		{"/admin/v1/tenants/acme/users", `{"username":"alice","password":"the right one"}`},
	} {
		ls.mustAdmin("POST", req[0], req[1], 201)
	}
	authorize := authorizePath("app")

	loginPage := ls.do("GET", authorize, "", "").loc
	if !strings.Contains(loginPage, "/login?req=") {
		t.Fatalf("authorize: %q; want the login page", loginPage)
	}
	offset.Store(int64(11 * time.Minute))
	if r := ls.do("GET", loginPage, "", ""); r.status != 400 {
		t.Errorf("the login page of a request 11 minutes old: %d; want 400, expired (it lives 10)", r.status)
	}

	page := ls.do("GET", ls.do("GET", authorize, "", "").loc, "", "")
	form := pageForm(page.body, url.Values{"username": {"alice"}, "password": {"the right one"}})
	if r := ls.do("POST", "/t/acme/login", "application/x-www-form-urlencoded", form.Encode()); !strings.Contains(r.loc, "code=") {
		t.Fatalf("sign-in: %d %q", r.status, r.loc)
	}
	if r := ls.do("GET", authorize, "", ""); !strings.Contains(r.loc, "code=") {
		t.Fatalf("signed in: %q; want a code", r.loc)
	}
	offset.Add(int64(13 * time.Hour))
	if r := ls.do("GET", authorize, "", ""); !strings.Contains(r.loc, "/login?req=") {
		t.Errorf("13 hours after signing in: %q; want the login page (a session lasts 12)", r.loc)
	}
}
