//go:build !js

package server_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/edgeauth/edgeauth/server"
	"github.com/edgeauth/edgeauth/storage"
	"github.com/edgeauth/edgeauth/storage/kv"
)

// failIDKeys fails the creation of ID-token keys once armed.
type failIDKeys struct {
	storage.Store
	armed bool
}

func (s *failIDKeys) CreateKey(ctx context.Context, k storage.SigningKey) error {
	if s.armed && k.Use == storage.UseIDToken {
		return errors.New("injected fault")
	}
	return s.Store.CreateKey(ctx, k)
}

// TestScheduledPublishesAPartialRotation: when the cron makes a new next
// access-token key and then fails on the ID-token keys, the JWKS is still
// republished with the new key: its promotion counts from its creation,
// so it must be published from then on.
func TestScheduledPublishesAPartialRotation(t *testing.T) {
	ctx := context.Background()
	store := &failIDKeys{Store: newTestStore(t)}
	admin := strings.Repeat("a", 32)
	srv, err := server.New(server.Config{BaseURL: "http://127.0.0.1:1", AdminToken: admin, Sealer: testSealer(),
		Store: store, KV: kv.NewMemory(time.Now)})
	if err != nil {
		t.Fatal(err)
	}
	do := func(method, path, body string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, path, strings.NewReader(body))
		r.Header.Set("Authorization", "Bearer "+admin)
		r.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, r)
		return w
	}
	if w := do("POST", "/admin/v1/tenants", `{"id":"acme"}`); w.Code != http.StatusCreated {
		t.Fatalf("create tenant: %d %s", w.Code, w.Body)
	}
	// The JWKS as it is, put in KV by its first reader.
	if w := do("GET", "/t/acme/jwks.json", ""); w.Code != http.StatusOK {
		t.Fatalf("JWKS: %d", w.Code)
	}
	// Both next keys gone: the cron makes one of each, the access-token
	// one first.
	keys, err := store.ListKeys(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if k.State == storage.KeyNext {
			if err := store.DeleteKey(ctx, "acme", k.KID); err != nil {
				t.Fatal(err)
			}
		}
	}
	store.armed = true
	if err := srv.RunScheduled(ctx); err == nil {
		t.Fatal("RunScheduled = nil; want the injected fault")
	}
	keys, _ = store.ListKeys(ctx, "acme")
	next := ""
	for _, k := range keys {
		if k.State == storage.KeyNext && k.Use == storage.UseAccessToken {
			next = k.KID
		}
	}
	if next == "" {
		t.Fatal("the cron made no next access-token key")
	}
	if w := do("GET", "/t/acme/jwks.json", ""); !strings.Contains(w.Body.String(), next) {
		t.Errorf("the JWKS lacks the new next key %s after the failed run: %s", next, w.Body)
	}
}

// fullTenant answers every registration as a tenant at its bound of
// dynamic clients does.
type fullTenant struct{ storage.Store }

func (fullTenant) RegisterClient(context.Context, storage.Client, int) error {
	return storage.ErrConflict
}

// TestRegistrationAtTheBound: a tenant with as many self-registered
// clients as it takes (authz.MaxDynamicClients) answers an open
// registration 403 access_denied, as RFC 7591 §3.2.2 allows, never a 5xx.
func TestRegistrationAtTheBound(t *testing.T) {
	admin := strings.Repeat("a", 32)
	srv, err := server.New(server.Config{BaseURL: "http://127.0.0.1:1", AdminToken: admin, Sealer: testSealer(),
		Store: fullTenant{newTestStore(t)}, KV: kv.NewMemory(time.Now)})
	if err != nil {
		t.Fatal(err)
	}
	do := func(path, token, body string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("POST", path, strings.NewReader(body))
		if token != "" {
			r.Header.Set("Authorization", "Bearer "+token)
		}
		r.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, r)
		return w
	}
	if w := do("/admin/v1/tenants", admin, `{"id":"acme","settings":{"registration":"open"}}`); w.Code != http.StatusCreated {
		t.Fatalf("create tenant: %d %s", w.Code, w.Body)
	}
	w := do("/t/acme/register", "", `{"client_name":"x","redirect_uris":["https://app.example/cb"]}`)
	if w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), `"error":"access_denied"`) {
		t.Errorf("registration at the bound: %d %s; want 403 access_denied", w.Code, w.Body)
	}
}
