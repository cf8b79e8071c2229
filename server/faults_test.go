//go:build !js

package server_test

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/edgeauth/edgeauth/ratelimit"
	"github.com/edgeauth/edgeauth/server"
	"github.com/edgeauth/edgeauth/storage"
	"github.com/edgeauth/edgeauth/storage/kv"
	"github.com/edgeauth/edgeauth/storage/storagefault"
)

// TestStorageFaults sweeps one storage failure across every storage call
// of each step of the main flows: tenant, client and user creation, the
// client_credentials grant, the browser flow (authorize, login, token),
// refresh, sign-out and the device flow. Each failing step must answer an error (5xx, never a 2xx that
// hides it, never a panic); afterwards the same step, retried without
// faults, must succeed: nothing was left half-written that blocks it.
func TestStorageFaults(t *testing.T) {
	in := &storagefault.Injector{}
	admin := strings.Repeat("a", 32)
	ls := startServer(t, server.Config{AdminToken: admin, Sealer: testSealer(),
		Store: storagefault.Store{Store: newTestStore(t), In: in}, KV: storagefault.KV{KV: kv.NewMemory(time.Now), In: in},
		Limiter: ratelimit.NewMemoryLimiter(map[ratelimit.Rule]ratelimit.Rate{}, nil), // the sweep signs in hundreds of times
		// Without the record cache every read is a store call that can fail.
		CacheTTL: -1,
		DeriveKey: func(pw, salt []byte, iter, n int) ([]byte, error) { // fast: the sweep runs many logins
			h := sha256.Sum256(append(append([]byte{}, pw...), salt...))
			return h[:n], nil
		}})
	do := ls.do
	field := func(body, name string) string {
		var m map[string]any
		json.Unmarshal([]byte(body), &m)
		s, _ := m[name].(string)
		return s
	}
	adminJSON := ls.admin
	form := "application/x-www-form-urlencoded"
	verifier := testVerifier

	// sweep runs step with a failure at every call it makes, then again
	// without, and checks the rules above. ok tells a successful run.
	sweep := func(name string, step func() result, ok func(result) bool, undo func()) {
		t.Helper()
		in.Arm(0)
		clean := step()
		if !ok(clean) {
			t.Fatalf("%s without faults: %d %.300s", name, clean.status, clean.body)
		}
		calls := in.Calls()
		undo()
		for n := int64(1); n <= calls; n++ {
			in.Arm(n)
			r := step()
			in.Arm(0)
			if r.status < 500 && !ok(r) {
				t.Errorf("%s, storage call %d of %d failing: %d %.200s; want a 5xx (or the step succeeding)", name, n, calls, r.status, r.body)
			}
			if ok(r) {
				undo()
			}
			if r2 := step(); !ok(r2) {
				t.Errorf("%s, retry after call %d of %d failed: %d %.200s", name, n, calls, r2.status, r2.body)
			}
			undo()
		}
		t.Logf("%s: %d storage calls, each failed once", name, calls)
	}
	is := func(code int) func(result) bool { return func(r result) bool { return r.status == code } }
	nop := func() {}

	sweep("create tenant", func() result { return adminJSON("POST", "/admin/v1/tenants", `{"id":"acme"}`) }, is(201),
		func() { adminJSON("DELETE", "/admin/v1/tenants/acme", "") })
	adminJSON("POST", "/admin/v1/tenants", `{"id":"acme"}`)
	sweep("create client", func() result {
		return adminJSON("POST", "/admin/v1/tenants/acme/clients", `{"client_id":"svc","grant_types":["client_credentials"],"scope":"read"}`)
	}, is(201), func() { adminJSON("DELETE", "/admin/v1/tenants/acme/clients/svc", "") })
	svc := adminJSON("POST", "/admin/v1/tenants/acme/clients", `{"client_id":"svc","grant_types":["client_credentials"],"scope":"read"}`)
	secret := field(svc.body, "client_secret")
	adminJSON("POST", "/admin/v1/tenants/acme/clients", `{"client_id":"app","token_endpoint_auth_method":"none","first_party":true,"redirect_uris":["http://127.0.0.1/cb"],"grant_types":["authorization_code","refresh_token"],"scope":"read"}`)
	var userID string
	sweep("create user", func() result {
		r := adminJSON("POST", "/admin/v1/tenants/acme/users", `{"username":"alice","password":"correct horse"}`)
		userID = field(r.body, "id")
		return r
	}, is(201), func() { adminJSON("DELETE", "/admin/v1/tenants/acme/users/"+userID, "") })
	adminJSON("POST", "/admin/v1/tenants/acme/users", `{"username":"alice","password":"correct horse"}`)

	sweep("client_credentials", func() result {
		return do("POST", "/t/acme/token", form, "grant_type=client_credentials&client_id=svc&client_secret="+secret)
	}, is(200), nop)

	// The browser flow, one request at a time.
	authorizePath := authorizePath("app")
	logout := ls.forgetCookies
	sweep("authorize", func() result { return do("GET", authorizePath, "", "") }, func(r result) bool {
		return r.status == 303 && strings.Contains(r.loc, "/t/acme/login?req=")
	}, logout)
	var code string
	login := func() result {
		code = ""
		r := do("GET", authorizePath, "", "")
		if u, err := url.Parse(r.loc); err == nil && u.Query().Get("code") != "" {
			code = u.Query().Get("code") // still signed in: no login page
			return r
		}
		if r.status != 303 || !strings.HasPrefix(r.loc, "/t/acme/login?") {
			return r
		}
		page := do("GET", r.loc, "", "")
		if page.status != 200 {
			return page
		}
		f := pageForm(page.body, url.Values{"username": {"alice"}, "password": {"correct horse"}})
		r = do("POST", "/t/acme/login", form, f.Encode())
		if u, err := url.Parse(r.loc); err == nil {
			code = u.Query().Get("code")
		}
		return r
	}
	sweep("authorize and login", login, func(r result) bool { return r.status == 303 && code != "" && strings.Contains(r.loc, "code=") }, logout)
	exchange := func() result {
		return do("POST", "/t/acme/token", form, url.Values{"grant_type": {"authorization_code"}, "code": {code}, "code_verifier": {verifier},
			"redirect_uri": {testRedirect}, "client_id": {"app"}}.Encode())
	}
	var refresh string
	// A code works once: the step of this sweep is "sign in and exchange".
	sweep("code exchange", func() result {
		logout()
		if r := login(); r.status != 303 || code == "" {
			return r
		}
		r := exchange()
		refresh = field(r.body, "refresh_token")
		return r
	}, is(200), nop)
	// The same code retried after a failed exchange: nothing may spend the
	// code before the last step that can fail.
	newCode := func() { logout(); login() }
	newCode()
	sweep("code exchange, same code retried", exchange, is(200), newCode)
	sweep("refresh", func() result {
		r := do("POST", "/t/acme/token", form, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}, "client_id": {"app"}}.Encode())
		if r.status == 200 {
			refresh = field(r.body, "refresh_token")
		}
		return r
	}, is(200), nop)
	// Signing out: the confirmation form posted. A failure leaves the
	// session working (the retry ends it), never half-ended.
	var confirm url.Values
	signedIn := func() {
		newCode()
		page := do("GET", "/t/acme/logout?client_id=app", "", "")
		confirm = pageForm(page.body, url.Values{"decision": {"logout"}})
	}
	signedIn()
	sweep("logout", func() result { return do("POST", "/t/acme/logout", form, confirm.Encode()) }, func(r result) bool {
		return r.status == 200 && strings.Contains(r.body, "You are signed out")
	}, signedIn)
	do("POST", "/t/acme/logout", form, confirm.Encode())
	if r := do("GET", authorizePath, "", ""); !strings.HasPrefix(r.loc, "/t/acme/login?") {
		t.Errorf("after the logout sweep a logout left the browser signed in: %d %q", r.status, r.loc)
	}

	// The device flow (RFC 8628): the device authorization, then "type the
	// code, sign in, approve and poll" as one step (a device code is
	// redeemed once), then the poll of an approved code retried after a
	// failed one: nothing may spend the device code before the last step
	// that can fail.
	adminJSON("PATCH", "/admin/v1/tenants/acme", `{"settings":{"device_poll_interval":1}}`)
	adminJSON("POST", "/admin/v1/tenants/acme/clients", `{"client_id":"tv","token_endpoint_auth_method":"none","grant_types":["urn:ietf:params:oauth:grant-type:device_code","refresh_token"],"scope":"read"}`)
	var deviceCode string
	deviceAuth := func() result {
		r := do("POST", "/t/acme/device_authorization", form, "client_id=tv")
		deviceCode = field(r.body, "device_code")
		return r
	}
	sweep("device authorization", deviceAuth, is(200), nop)
	poll := func() result {
		return do("POST", "/t/acme/token", form, url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:device_code"}, "device_code": {deviceCode}, "client_id": {"tv"}}.Encode())
	}
	approveDevice := func() result {
		r := deviceAuth()
		if r.status != 200 {
			return r
		}
		r = do("GET", "/t/acme/device?user_code="+url.QueryEscape(field(r.body, "user_code")), "", "")
		if r.status == 303 && strings.HasPrefix(r.loc, "/t/acme/login?") {
			page := do("GET", r.loc, "", "")
			if page.status != 200 {
				return page
			}
			r = do("POST", "/t/acme/login", form, pageForm(page.body, url.Values{"username": {"alice"}, "password": {"correct horse"}}).Encode())
		}
		if r.status != 303 || !strings.HasPrefix(r.loc, "/t/acme/device?req=") {
			return r
		}
		page := do("GET", r.loc, "", "")
		if page.status != 200 {
			return page
		}
		r = do("POST", "/t/acme/device", form, pageForm(page.body, url.Values{"decision": {"approve"}}).Encode())
		if r.status != 200 || !strings.Contains(r.body, "Device connected") {
			return r
		}
		return poll()
	}
	sweep("device flow", approveDevice, is(200), logout)
	newApproved := func() {
		logout()
		approveDevice()
		// A fresh approved code: approveDevice polled its own once.
		r := deviceAuth()
		userCode := field(r.body, "user_code")
		r = do("GET", "/t/acme/device?user_code="+url.QueryEscape(userCode), "", "")
		page := do("GET", r.loc, "", "")
		do("POST", "/t/acme/device", form, pageForm(page.body, url.Values{"decision": {"approve"}}).Encode())
	}
	newApproved()
	sweep("device poll, same code retried", poll, is(200), newApproved)

	// Revoking the signing key (compromise), failing at every call: the
	// answer is a 204 or a 5xx, and once the revocation has answered 204,
	// or a retry has (204, or 404: the key is already gone), the key is not
	// in the JWKS and the tenant can still sign tokens. No undo: each round
	// revokes the key signing at that moment.
	currentKID := func() string {
		var list struct {
			Keys []struct{ KID, Use, State string } `json:"keys"`
		}
		json.Unmarshal([]byte(adminJSON("GET", "/admin/v1/tenants/acme/keys", "").body), &list)
		for _, k := range list.Keys {
			if k.Use == "access" && k.State == "current" {
				return k.KID
			}
		}
		t.Fatalf("no current access-token key")
		return ""
	}
	revoke := func(n int64) (first, retry int, calls int64) {
		kid := currentKID()
		do("GET", "/t/acme/jwks.json", "", "") // the document, with kid, is in KV
		in.Arm(n)
		first = adminJSON("DELETE", "/admin/v1/tenants/acme/keys/"+kid, "").status
		calls = in.Calls()
		in.Arm(0)
		retry = first
		if first != 204 {
			retry = adminJSON("DELETE", "/admin/v1/tenants/acme/keys/"+kid, "").status
		}
		if jw := do("GET", "/t/acme/jwks.json", "", ""); jw.status != 200 || strings.Contains(jw.body, kid) {
			t.Errorf("revocation, storage call %d failing (%d, retry %d): JWKS %d still lists the key: %.200s", n, first, retry, jw.status, jw.body)
		}
		if r := do("POST", "/t/acme/token", form, "grant_type=client_credentials&client_id=svc&client_secret="+secret); r.status != 200 {
			t.Errorf("revocation, storage call %d failing (%d, retry %d): no token afterwards: %d %.200s", n, first, retry, r.status, r.body)
		}
		return first, retry, calls
	}
	first, _, calls := revoke(0)
	if first != 204 {
		t.Fatalf("revocation without faults: %d", first)
	}
	for n := int64(1); n <= calls; n++ {
		first, retry, _ := revoke(n)
		if first != 204 && first < 500 || retry != 204 && retry != 404 {
			t.Errorf("revocation, storage call %d of %d failing: %d, retry %d; want 204 or a 5xx, then 204 or 404", n, calls, first, retry)
		}
	}
	t.Logf("key revocation: %d storage calls, each failed once", calls)
}

// panicStore panics in GetTenant while armed: a stand-in for any bug.
type panicStore struct {
	storagefault.Store
	armed *bool
}

func (p panicStore) GetTenant(ctx context.Context, id string) (storage.Tenant, error) {
	if *p.armed {
		panic("boom: a bug in a handler")
	}
	return p.Store.GetTenant(ctx, id)
}

// TestPanicIsServerError: a panic in a handler is a 500 server_error (JSON,
// or the HTML error page on the browser endpoints) that tells nothing of
// the panic, and the server keeps serving.
func TestPanicIsServerError(t *testing.T) {
	store, sealer := newTestStore(t), testSealer()
	armed := false
	srv, err := server.New(server.Config{BaseURL: "http://127.0.0.1:1", AdminToken: strings.Repeat("a", 32), Sealer: sealer,
		Store: panicStore{Store: storagefault.Store{Store: store, In: &storagefault.Injector{}}, armed: &armed}, KV: kv.NewMemory(time.Now),
		CacheTTL: -1}) // every request reads the tenant, so every request can panic
	if err != nil {
		t.Fatal(err)
	}
	if err := store.CreateTenant(context.Background(), storage.Tenant{ID: "acme"}); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/t/acme/.well-known/openid-configuration", "/t/acme/authorize?client_id=x"} {
		armed = true
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		if rec.Code != 500 || strings.Contains(rec.Body.String(), "boom") {
			t.Errorf("GET %s with a panic = %d %q; want 500 without the panic's text", path, rec.Code, rec.Body)
		}
		armed = false
		rec = httptest.NewRecorder()
		srv.ServeHTTP(rec, httptest.NewRequest("GET", "/t/acme/.well-known/openid-configuration", nil))
		if rec.Code != 200 {
			t.Errorf("after the panic: %d; want the server to keep serving", rec.Code)
		}
	}
}
