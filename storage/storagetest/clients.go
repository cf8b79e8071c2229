package storagetest

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/edgeauth/edgeauth/storage"
	"github.com/google/go-cmp/cmp"
)

func testClients(t *testing.T, s storage.Store) {
	ctx := context.Background()

	t.Run("RoundTrip", func(t *testing.T) {
		tenant := newTenant(t, s)
		tests := []struct {
			name string
			in   storage.Client
			want func(c storage.Client) storage.Client // from in
		}{
			{
				name: "confidential",
				in: storage.Client{
					TenantID: tenant, ID: "conf", Name: "Confidential ✓",
					SecretHash:              allBytes(),
					RedirectURIs:            []string{"https://app.example.com/cb", "http://127.0.0.1:8080/cb?x=\"1\",2"},
					GrantTypes:              []string{"authorization_code", "refresh_token", "client_credentials"},
					ResponseTypes:           []string{"code"},
					TokenEndpointAuthMethod: "client_secret_basic",
					Scope:                   "openid profile offline_access",
					FirstParty:              true,
					Dynamic:                 true,
					IntrospectionAudiences:  []string{"https://api.example.com", "urn:x:y"},
					PostLogoutRedirectURIs:  []string{"https://app.example.com/bye", "com.example.app:/signed-out"},
					TokenExchangeAudiences:  []string{"https://downstream.example.com", "billing"},
					AccessTokenTTL:          300,
					LogoURI:                 "https://app.example.com/logo.png",
					PolicyURI:               "https://app.example.com/privacy?x=\"1\"",
					TOSURI:                  "http://127.0.0.1:8080/terms",
					CreatedAt:               zoned(0),
					UpdatedAt:               zoned(time.Minute),
				},
				want: func(c storage.Client) storage.Client {
					c.CreatedAt, c.UpdatedAt = norm(c.CreatedAt), norm(c.UpdatedAt)
					return c
				},
			},
			{
				name: "public, empty lists and zero times",
				in: storage.Client{
					TenantID: tenant, ID: "pub", SecretHash: nil,
					RedirectURIs: []string{}, GrantTypes: nil, ResponseTypes: []string{},
					TokenEndpointAuthMethod: "none",
				},
				// Empty lists come back nil; zero times come back zero.
				want: func(c storage.Client) storage.Client {
					c.RedirectURIs, c.ResponseTypes = nil, nil
					return c
				},
			},
			{
				name: "empty secret hash comes back nil",
				in:   storage.Client{TenantID: tenant, ID: "empty-secret", SecretHash: []byte{}},
				want: func(c storage.Client) storage.Client {
					c.SecretHash = nil
					return c
				},
			},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if err := s.CreateClient(ctx, tt.in); err != nil {
					t.Fatalf("CreateClient(%q) = %v; want nil", tt.in.ID, err)
				}
				got, err := s.GetClient(ctx, tenant, tt.in.ID)
				if err != nil {
					t.Fatalf("GetClient(%q) = %v; want nil", tt.in.ID, err)
				}
				if diff := cmp.Diff(tt.want(tt.in), got); diff != "" {
					t.Errorf("GetClient(%q) mismatch (-want +got):\n%s", tt.in.ID, diff)
				}
				checkTimes(t, call("GetClient", tt.in.ID), map[string]time.Time{"CreatedAt": got.CreatedAt, "UpdatedAt": got.UpdatedAt})
			})
		}
	})

	t.Run("List", func(t *testing.T) {
		tenant, other := newTenant(t, s), newTenant(t, s)
		got, err := s.ListClients(ctx, tenant)
		if err != nil || len(got) != 0 {
			t.Fatalf("ListClients(%q) of a new tenant = %v, %v; want no clients, nil", tenant, got, err)
		}
		for _, id := range []string{"c", "a", "b"} {
			if err := s.CreateClient(ctx, storage.Client{TenantID: tenant, ID: id, GrantTypes: []string{id}}); err != nil {
				t.Fatalf("CreateClient(%q) = %v; want nil", id, err)
			}
		}
		// Same id in another tenant: allowed, and not listed.
		if err := s.CreateClient(ctx, storage.Client{TenantID: other, ID: "a"}); err != nil {
			t.Fatalf("CreateClient(%q, %q) = %v; want nil", other, "a", err)
		}
		got, err = s.ListClients(ctx, tenant)
		if err != nil {
			t.Fatalf("ListClients(%q) = %v; want nil", tenant, err)
		}
		want := []storage.Client{
			{TenantID: tenant, ID: "a", GrantTypes: []string{"a"}},
			{TenantID: tenant, ID: "b", GrantTypes: []string{"b"}},
			{TenantID: tenant, ID: "c", GrantTypes: []string{"c"}},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("ListClients(%q) mismatch (-want +got):\n%s", tenant, diff)
		}
	})

	t.Run("Update", func(t *testing.T) {
		tenant := newTenant(t, s)
		orig := storage.Client{
			TenantID: tenant, ID: "c1", Name: "before", SecretHash: randBytes(32),
			RedirectURIs: []string{"https://a/cb"}, GrantTypes: []string{"authorization_code"},
			TokenEndpointAuthMethod: "client_secret_post", Scope: "a", FirstParty: true,
			CreatedAt: base, UpdatedAt: base,
		}
		if err := s.CreateClient(ctx, orig); err != nil {
			t.Fatalf("CreateClient(%q) = %v; want nil", orig.ID, err)
		}
		tests := []struct {
			name string
			up   storage.Client
		}{
			{"rotate secret and change all", storage.Client{
				TenantID: tenant, ID: "c1", Name: "after", SecretHash: randBytes(32),
				RedirectURIs: []string{"https://b/cb", "https://c/cb"}, GrantTypes: []string{"client_credentials"},
				ResponseTypes: []string{"code"}, TokenEndpointAuthMethod: "client_secret_basic", Scope: "b c",
				FirstParty: false, Dynamic: true, IntrospectionAudiences: []string{"https://b.example"}, AccessTokenTTL: 120, CreatedAt: base.Add(-time.Hour), UpdatedAt: zoned(time.Hour),
			}},
			{"clear secret and lists", storage.Client{
				TenantID: tenant, ID: "c1", Name: "public now", TokenEndpointAuthMethod: "none",
				UpdatedAt: zoned(2 * time.Hour),
			}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				before, err := s.GetClient(ctx, tenant, "c1")
				if err != nil {
					t.Fatal(err)
				}
				tt.up.Version = before.Version // the version it was read at
				if err := s.UpdateClient(ctx, tt.up); err != nil {
					t.Fatalf("UpdateClient(%q) = %v; want nil", tt.up.ID, err)
				}
				got, err := s.GetClient(ctx, tenant, "c1")
				if err != nil {
					t.Fatalf("GetClient(%q) = %v; want nil", "c1", err)
				}
				want := tt.up
				want.CreatedAt = orig.CreatedAt // never updated
				want.UpdatedAt = norm(tt.up.UpdatedAt)
				want.Version = before.Version + 1
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("GetClient(%q) after UpdateClient mismatch (-want +got):\n%s", "c1", diff)
				}
			})
		}
	})

	// Two changes from one read: the second is a conflict and changes
	// nothing (a PATCH must not undo a secret rotation that ran meanwhile).
	t.Run("UpdateIsCompareAndSet", func(t *testing.T) {
		tenant := newTenant(t, s)
		id := newClient(t, s, tenant)
		read, err := s.GetClient(ctx, tenant, id)
		if err != nil {
			t.Fatal(err)
		}
		rotated, patched := read, read
		rotated.SecretHash, patched.Name = randBytes(32), "patched"
		checkErr(t, call("UpdateClient", tenant, id)+" rotation", s.UpdateClient(ctx, rotated), nil)
		checkErr(t, call("UpdateClient", tenant, id)+" from the same read", s.UpdateClient(ctx, patched), storage.ErrConflict)
		if got, _ := s.GetClient(ctx, tenant, id); !bytes.Equal(got.SecretHash, rotated.SecretHash) || got.Name == "patched" || got.Version != read.Version+1 {
			t.Errorf("after a lost compare-and-set: %+v; want the rotation kept, version %d", got, read.Version+1)
		}
	})

	t.Run("Errors", func(t *testing.T) {
		tenant := newTenant(t, s)
		id := newClient(t, s, tenant)
		missingTenant := "st-missing-" + suffix()
		tests := []struct {
			name string
			err  error
			want error
		}{
			{call("CreateClient", tenant, id), s.CreateClient(ctx, storage.Client{TenantID: tenant, ID: id}), storage.ErrAlreadyExists},
			{call("CreateClient", missingTenant, "c"), s.CreateClient(ctx, storage.Client{TenantID: missingTenant, ID: "c"}), storage.ErrNotFound},
			{call("GetClient", tenant, "nope"), func() error { _, err := s.GetClient(ctx, tenant, "nope"); return err }(), storage.ErrNotFound},
			{call("GetClient", missingTenant, id), func() error { _, err := s.GetClient(ctx, missingTenant, id); return err }(), storage.ErrNotFound},
			{call("UpdateClient", tenant, "nope"), s.UpdateClient(ctx, storage.Client{TenantID: tenant, ID: "nope"}), storage.ErrNotFound},
			{call("DeleteClient", tenant, "nope"), s.DeleteClient(ctx, tenant, "nope"), storage.ErrNotFound},
		}
		for _, tt := range tests {
			checkErr(t, tt.name, tt.err, tt.want)
		}
		if _, err := s.GetTenant(ctx, missingTenant); err == nil {
			t.Errorf("CreateClient(%q, ...) created tenant %q", missingTenant, missingTenant)
		}
	})

	// RegisterClient inserts a dynamic client only under its bound, and
	// concurrent registrations never pass it together; clients an admin
	// creates are not counted against it, nor held by it.
	t.Run("RegisterIsBounded", func(t *testing.T) {
		tenant := newTenant(t, s)
		dyn := func(id string) storage.Client {
			return storage.Client{TenantID: tenant, ID: id, Dynamic: true, TokenEndpointAuthMethod: "none", CreatedAt: base, UpdatedAt: base}
		}
		checkErr(t, "CreateClient (an admin's)", s.CreateClient(ctx, storage.Client{TenantID: tenant, ID: "admins"}), nil)
		const max = 3
		errs := race(concurrency, func(i int) error { return s.RegisterClient(ctx, dyn(fmt.Sprintf("dyn%02d", i)), max) })
		ok := 0
		for _, err := range errs {
			if err == nil {
				ok++
			} else {
				checkErr(t, "RegisterClient past the bound", err, storage.ErrConflict)
			}
		}
		if ok != max {
			t.Errorf("%d concurrent registrations under a bound of %d: %d registered; want %d", concurrency, max, ok, max)
		}
		checkErr(t, "RegisterClient of a taken id", s.RegisterClient(ctx, dyn("admins"), max+10), storage.ErrAlreadyExists)
		checkErr(t, "RegisterClient past the bound", s.RegisterClient(ctx, dyn("late"), max), storage.ErrConflict)
		checkErr(t, "CreateClient at the bound", s.CreateClient(ctx, storage.Client{TenantID: tenant, ID: "admins2"}), nil)
		checkErr(t, "RegisterClient under a higher bound", s.RegisterClient(ctx, dyn("late"), max+1), nil)
		if c, err := s.GetClient(ctx, tenant, "late"); err != nil || !c.Dynamic {
			t.Errorf("GetClient(late) = %+v, %v; want the dynamic client", c, err)
		}
		missing := "st-missing-" + suffix()
		checkErr(t, "RegisterClient in a missing tenant", s.RegisterClient(ctx, storage.Client{TenantID: missing, ID: "c", Dynamic: true}, max), storage.ErrNotFound)
	})

	t.Run("Delete", func(t *testing.T) {
		tenant := newTenant(t, s)
		id, keep := newClient(t, s, tenant), newClient(t, s, tenant)
		checkErr(t, call("DeleteClient", tenant, id), s.DeleteClient(ctx, tenant, id), nil)
		_, err := s.GetClient(ctx, tenant, id)
		checkErr(t, call("GetClient", tenant, id)+" after delete", err, storage.ErrNotFound)
		checkErr(t, call("DeleteClient", tenant, id)+" again", s.DeleteClient(ctx, tenant, id), storage.ErrNotFound)
		_, err = s.GetClient(ctx, tenant, keep)
		checkErr(t, call("GetClient", tenant, keep)+" of the other client", err, nil)
	})
}
