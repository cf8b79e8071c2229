package storagetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/edgeauth/edgeauth/storage"
	"github.com/google/go-cmp/cmp"
)

func testTenants(t *testing.T, s storage.Store) {
	ctx := context.Background()

	t.Run("RoundTrip", func(t *testing.T) {
		id := newTenant(t, s)
		if err := s.DeleteTenant(ctx, id); err != nil {
			t.Fatalf("DeleteTenant(%q) = %v; want nil", id, err)
		}
		in := storage.Tenant{
			ID:   id,
			Name: "Acme, \"Inc.\" — ünïcode",
			Settings: storage.TenantSettings{
				AccessTokenTTL:   300,
				RefreshTokenTTL:  86400,
				Registration:     "token",
				AllowedResources: []string{"https://api.example.com", "https://mcp.example.com/mcp"},
				DefaultAudience:  "https://api.example.com",
				RotationPeriod:   7776000,
				SigningAlg:       "EdDSA",
			},
			CreatedAt: zoned(0),
			UpdatedAt: zoned(time.Hour),
		}
		if err := s.CreateTenant(ctx, in); err != nil {
			t.Fatalf("CreateTenant(%q) = %v; want nil", id, err)
		}
		got, err := s.GetTenant(ctx, id)
		if err != nil {
			t.Fatalf("GetTenant(%q) = %v; want nil", id, err)
		}
		want := in
		want.CreatedAt, want.UpdatedAt = norm(in.CreatedAt), norm(in.UpdatedAt)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("GetTenant(%q) mismatch (-want +got):\n%s", id, diff)
		}
		checkTimes(t, call("GetTenant", id), map[string]time.Time{"CreatedAt": got.CreatedAt, "UpdatedAt": got.UpdatedAt})
	})

	t.Run("List", func(t *testing.T) {
		prefix := "st-list-" + suffix() + "-"
		for _, n := range []string{"c", "a", "b"} {
			id := prefix + n
			if err := s.CreateTenant(ctx, storage.Tenant{ID: id, CreatedAt: base, UpdatedAt: base}); err != nil {
				t.Fatalf("CreateTenant(%q) = %v; want nil", id, err)
			}
			t.Cleanup(func() { s.DeleteTenant(context.Background(), id) })
		}
		page, err := s.ListTenants(ctx, prefix, 2)
		if err != nil {
			t.Fatalf("ListTenants(%q, 2) = %v; want nil", prefix, err)
		}
		if got := tenantIDs(page); !cmp.Equal(got, []string{prefix + "a", prefix + "b"}) {
			t.Errorf("ListTenants(%q, 2) = %v; want [%sa %sb]", prefix, got, prefix, prefix)
		}
		page, err = s.ListTenants(ctx, prefix+"b", 1)
		if err != nil || len(page) != 1 || page[0].ID != prefix+"c" {
			t.Errorf("ListTenants(%q, 1) = %v, %v; want [%sc]", prefix+"b", tenantIDs(page), err, prefix)
		}
	})

	t.Run("ZeroValues", func(t *testing.T) {
		id := newTenant(t, s)
		in := storage.Tenant{ID: id}
		if err := s.UpdateTenant(ctx, in); err != nil {
			t.Fatalf("UpdateTenant(%q) = %v; want nil", id, err)
		}
		got, err := s.GetTenant(ctx, id)
		if err != nil {
			t.Fatalf("GetTenant(%q) = %v; want nil", id, err)
		}
		// CreatedAt is not touched by UpdateTenant; the version counts it.
		want := storage.Tenant{ID: id, CreatedAt: base, Version: 1}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("GetTenant(%q) mismatch (-want +got):\n%s", id, diff)
		}
		if !got.UpdatedAt.IsZero() {
			t.Errorf("GetTenant(%q).UpdatedAt = %v; want zero time", id, got.UpdatedAt)
		}
	})

	t.Run("Update", func(t *testing.T) {
		id := newTenant(t, s)
		up := storage.Tenant{
			ID:        id,
			Name:      "renamed",
			Settings:  storage.TenantSettings{Registration: "open", AllowedResources: []string{}},
			CreatedAt: base.Add(999 * time.Hour), // ignored
			UpdatedAt: zoned(2 * time.Hour),
		}
		if err := s.UpdateTenant(ctx, up); err != nil {
			t.Fatalf("UpdateTenant(%q) = %v; want nil", id, err)
		}
		got, err := s.GetTenant(ctx, id)
		if err != nil {
			t.Fatalf("GetTenant(%q) = %v; want nil", id, err)
		}
		// An empty list comes back nil; the version counts the update.
		want := storage.Tenant{ID: id, Name: "renamed", Settings: storage.TenantSettings{Registration: "open"},
			CreatedAt: base, UpdatedAt: norm(up.UpdatedAt), Version: 1}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("GetTenant(%q) after update mismatch (-want +got):\n%s", id, diff)
		}
	})

	// Two changes from one read: the second is a conflict and changes
	// nothing; from a new read it succeeds. Of N at once, one wins.
	t.Run("UpdateIsCompareAndSet", func(t *testing.T) {
		id := newTenant(t, s)
		read, err := s.GetTenant(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		first, second := read, read
		first.Name, second.Name = "first", "second"
		checkErr(t, call("UpdateTenant", id)+" first", s.UpdateTenant(ctx, first), nil)
		checkErr(t, call("UpdateTenant", id)+" from the same read", s.UpdateTenant(ctx, second), storage.ErrConflict)
		if got, _ := s.GetTenant(ctx, id); got.Name != "first" || got.Version != read.Version+1 {
			t.Errorf("after a lost compare-and-set: name %q version %d; want first, %d", got.Name, got.Version, read.Version+1)
		}
		again, _ := s.GetTenant(ctx, id)
		again.Name = "second"
		checkErr(t, call("UpdateTenant", id)+" from a new read", s.UpdateTenant(ctx, again), nil)
		read, _ = s.GetTenant(ctx, id)
		const n = 20
		errs := make(chan error, n)
		for i := range n {
			go func() { u := read; u.Name = fmt.Sprint("racer ", i); errs <- s.UpdateTenant(ctx, u) }()
		}
		won := 0
		for range n {
			switch err := <-errs; {
			case err == nil:
				won++
			case !errors.Is(err, storage.ErrConflict):
				t.Errorf("UpdateTenant race: %v; want nil or ErrConflict", err)
			}
		}
		if won != 1 {
			t.Errorf("%d of %d updates from one read won; want 1", won, n)
		}
	})

	t.Run("Errors", func(t *testing.T) {
		id := newTenant(t, s)
		missing := "st-missing-" + suffix()
		tests := []struct {
			name string
			err  error
			want error
		}{
			{call("CreateTenant", id), s.CreateTenant(ctx, storage.Tenant{ID: id}), storage.ErrAlreadyExists},
			{call("UpdateTenant", missing), s.UpdateTenant(ctx, storage.Tenant{ID: missing}), storage.ErrNotFound},
			{call("DeleteTenant", missing), s.DeleteTenant(ctx, missing), storage.ErrNotFound},
			{call("GetTenant", missing), func() error { _, err := s.GetTenant(ctx, missing); return err }(), storage.ErrNotFound},
		}
		for _, tt := range tests {
			checkErr(t, tt.name, tt.err, tt.want)
		}
	})

	t.Run("Delete", func(t *testing.T) {
		id := newTenant(t, s)
		checkErr(t, call("DeleteTenant", id), s.DeleteTenant(ctx, id), nil)
		_, err := s.GetTenant(ctx, id)
		checkErr(t, call("GetTenant", id)+" after delete", err, storage.ErrNotFound)
		checkErr(t, call("DeleteTenant", id)+" again", s.DeleteTenant(ctx, id), storage.ErrNotFound)
	})

	t.Run("ConcurrentCreate", func(t *testing.T) {
		id := "st-" + suffix()
		t.Cleanup(func() { _ = s.DeleteTenant(context.Background(), id) })
		errs := race(concurrency, func(i int) error {
			return s.CreateTenant(ctx, storage.Tenant{ID: id, Name: "racer"})
		})
		checkRace(t, call("CreateTenant", id), errs, storage.ErrAlreadyExists)
	})
}

func tenantIDs(ts []storage.Tenant) []string {
	var out []string
	for _, t := range ts {
		out = append(out, t.ID)
	}
	return out
}
