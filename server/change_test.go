//go:build !js

package server_test

import (
	"context"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/edgeauth/edgeauth/server"
	"github.com/edgeauth/edgeauth/storage"
	"github.com/edgeauth/edgeauth/storage/kv"
)

// interleaveStore runs between, once, right after the next read of a
// record of kind on ("tenant" or "client"): another change lands between
// that read and the write that follows it.
type interleaveStore struct {
	storage.Store
	mu      sync.Mutex
	on      string
	between func()
}

func (s *interleaveStore) after(kind string) {
	s.mu.Lock()
	var f func()
	if kind == s.on {
		f, s.between = s.between, nil
	}
	s.mu.Unlock()
	if f != nil {
		f()
	}
}

func (s *interleaveStore) GetTenant(ctx context.Context, id string) (storage.Tenant, error) {
	defer s.after("tenant")
	return s.Store.GetTenant(ctx, id)
}

func (s *interleaveStore) GetClient(ctx context.Context, tenantID, id string) (storage.Client, error) {
	defer s.after("client")
	return s.Store.GetClient(ctx, tenantID, id)
}

// TestChangesDoNotUndoEachOther: an admin change that read a record before
// another change of it was stored must not write the old values back. A
// PATCH racing a secret rotation would otherwise bring the replaced (maybe
// compromised) secret back, and a PATCH of the settings racing a new
// registration token the old token.
func TestChangesDoNotUndoEachOther(t *testing.T) {
	store := &interleaveStore{Store: newTestStore(t)}
	ls := startServer(t, server.Config{AdminToken: strings.Repeat("a", 32), Sealer: testSealer(),
		Store: store, KV: kv.NewMemory(time.Now), CacheTTL: -1})
	adminDo := ls.mustAdmin
	do := func(method, path, ctype, body string, header ...string) (int, string) {
		r := ls.do(method, path, ctype, body, header...)
		return r.status, r.body
	}
	adminDo("POST", "/admin/v1/tenants", `{"id":"acme"}`, 201)
	old := field(adminDo("POST", "/admin/v1/tenants/acme/clients", `{"client_id":"svc","grant_types":["client_credentials"],"scope":"read"}`, 201), "client_secret")

	// A PATCH reads the client; a rotation lands; the PATCH writes.
	var rotated string
	store.on, store.between = "client", func() {
		rotated = field(adminDo("POST", "/admin/v1/tenants/acme/clients/svc/secret", "", 200), "client_secret")
	}
	if got := adminDo("PATCH", "/admin/v1/tenants/acme/clients/svc", `{"client_name":"Service"}`, 200); field(got, "client_name") != "Service" {
		t.Errorf("PATCH answered %s; want the new name", got)
	}
	token := func(secret string) int {
		code, _ := do("POST", "/t/acme/token", "application/x-www-form-urlencoded",
			url.Values{"grant_type": {"client_credentials"}, "client_id": {"svc"}, "client_secret": {secret}}.Encode())
		return code
	}
	if token(old) != 401 || token(rotated) != 200 {
		t.Errorf("after a PATCH raced a rotation: old secret %d, rotated secret %d; want 401 and 200", token(old), token(rotated))
	}
	if got := adminDo("GET", "/admin/v1/tenants/acme/clients/svc", "", 200); field(got, "client_name") != "Service" {
		t.Errorf("the PATCH was lost: %s", got)
	}

	// A PATCH of the settings reads the tenant; a new registration token
	// lands; the PATCH writes.
	adminDo("PATCH", "/admin/v1/tenants/acme", `{"settings":{"registration":"token"}}`, 200)
	first := field(adminDo("POST", "/admin/v1/tenants/acme/registration-token", "", 201), "initial_access_token")
	var second string
	store.on, store.between = "tenant", func() {
		second = field(adminDo("POST", "/admin/v1/tenants/acme/registration-token", "", 201), "initial_access_token")
	}
	adminDo("PATCH", "/admin/v1/tenants/acme", `{"name":"Acme"}`, 200)
	register := func(token string) int {
		code, _ := do("POST", "/t/acme/register", "application/json",
			`{"redirect_uris":["https://app.example/cb"],"token_endpoint_auth_method":"none"}`, "Authorization", "Bearer "+token)
		return code
	}
	if register(first) != 401 || register(second) != 201 {
		t.Errorf("after a PATCH raced a new registration token: first token %d, second %d; want 401 and 201", register(first), register(second))
	}
}
