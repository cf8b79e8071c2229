package storagetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/edgeauth/edgeauth/storage"
	"github.com/google/go-cmp/cmp"
)

func testKeys(t *testing.T, s storage.Store) {
	ctx := context.Background()

	newKey := func(tenant, kid string, created time.Time) storage.SigningKey {
		return storage.SigningKey{
			TenantID: tenant, KID: kid, Alg: "ES256", Use: storage.UseAccessToken, State: storage.KeyNext,
			PublicJWK: []byte(`{"kty":"EC","crv":"P-256","x":"…","y":"…"}`), PrivateSealed: allBytes(), CreatedAt: created,
		}
	}

	t.Run("CreateList", func(t *testing.T) {
		tenant, other := newTenant(t, s), newTenant(t, s)
		got, err := s.ListKeys(ctx, tenant)
		if err != nil || len(got) != 0 {
			t.Fatalf("ListKeys(%q) of a new tenant = %v, %v; want no keys, nil", tenant, got, err)
		}
		k3 := newKey(tenant, "k3", zoned(2*time.Hour))
		k3.State, k3.ActivatedAt, k3.RetiredAt = storage.KeyRetired, zoned(3*time.Hour), zoned(4*time.Hour)
		k3.Use, k3.Alg = storage.UseIDToken, "RS256"
		k2b := newKey(tenant, "k2b", base.Add(time.Hour))
		k2a := newKey(tenant, "k2a", base.Add(time.Hour))
		k2a.State, k2a.ActivatedAt = storage.KeyCurrent, zoned(time.Hour)
		k1 := newKey(tenant, "k1", base)
		k1.State, k1.RetiredAt = storage.KeyRetired, zoned(5*time.Hour) // one next key per use
		k1.PublicJWK, k1.PrivateSealed = nil, []byte{}                  // both come back nil
		for _, k := range []storage.SigningKey{k3, k2b, k2a, k1, newKey(other, "k0", base)} {
			if err := s.CreateKey(ctx, k); err != nil {
				t.Fatalf("CreateKey(%q, %q) = %v; want nil", k.TenantID, k.KID, err)
			}
		}
		got, err = s.ListKeys(ctx, tenant)
		if err != nil {
			t.Fatalf("ListKeys(%q) = %v; want nil", tenant, err)
		}
		// Ordered by CreatedAt, then KID; times normalized; empty bytes nil.
		k1.PrivateSealed, k1.RetiredAt = nil, norm(k1.RetiredAt)
		k2a.ActivatedAt = norm(k2a.ActivatedAt)
		k3.CreatedAt, k3.ActivatedAt, k3.RetiredAt = norm(k3.CreatedAt), norm(k3.ActivatedAt), norm(k3.RetiredAt)
		want := []storage.SigningKey{k1, k2a, k2b, k3}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("ListKeys(%q) mismatch (-want +got):\n%s", tenant, diff)
		}
		for _, k := range got {
			checkTimes(t, call("ListKeys", tenant)+" key "+k.KID, map[string]time.Time{
				"CreatedAt": k.CreatedAt, "ActivatedAt": k.ActivatedAt, "RetiredAt": k.RetiredAt})
		}
	})

	t.Run("Errors", func(t *testing.T) {
		tenant := newTenant(t, s)
		if err := s.CreateKey(ctx, newKey(tenant, "k1", base)); err != nil {
			t.Fatalf("CreateKey(%q) = %v; want nil", "k1", err)
		}
		missingTenant := "st-missing-" + suffix()
		tests := []struct {
			name string
			err  error
			want error
		}{
			{call("CreateKey", tenant, "k1"), s.CreateKey(ctx, newKey(tenant, "k1", base)), storage.ErrAlreadyExists},
			{"CreateKey of a second next key", s.CreateKey(ctx, newKey(tenant, "k2", base)), storage.ErrAlreadyExists},
			{call("CreateKey", missingTenant, "k1"), s.CreateKey(ctx, newKey(missingTenant, "k1", base)), storage.ErrNotFound},
			{"SetKeyState of a missing key", s.SetKeyState(ctx, tenant, "nope", storage.KeyNext, storage.KeyCurrent, base), storage.ErrNotFound},
			{"SetKeyState with the wrong from", s.SetKeyState(ctx, tenant, "k1", storage.KeyCurrent, storage.KeyRetired, base), storage.ErrConflict},
			{call("DeleteKey", tenant, "nope"), s.DeleteKey(ctx, tenant, "nope"), storage.ErrNotFound},
		}
		for _, tt := range tests {
			checkErr(t, tt.name, tt.err, tt.want)
		}
	})

	t.Run("Lifecycle", func(t *testing.T) {
		tenant := newTenant(t, s)
		k := newKey(tenant, "k1", base)
		if err := s.CreateKey(ctx, k); err != nil {
			t.Fatalf("CreateKey(%q) = %v; want nil", k.KID, err)
		}
		steps := []struct {
			from, to storage.KeyState
			at       time.Time
			want     func(k *storage.SigningKey)
		}{
			{storage.KeyNext, storage.KeyCurrent, zoned(time.Hour), func(k *storage.SigningKey) {
				k.State, k.ActivatedAt = storage.KeyCurrent, norm(zoned(time.Hour))
			}},
			{storage.KeyCurrent, storage.KeyRetired, zoned(2 * time.Hour), func(k *storage.SigningKey) {
				k.State, k.RetiredAt = storage.KeyRetired, norm(zoned(2*time.Hour))
			}},
		}
		want := k
		for _, st := range steps {
			name := fmt.Sprintf("SetKeyState(%q, %s -> %s)", k.KID, st.from, st.to)
			if err := s.SetKeyState(ctx, tenant, k.KID, st.from, st.to, st.at); err != nil {
				t.Fatalf("%s = %v; want nil", name, err)
			}
			st.want(&want)
			got, err := s.ListKeys(ctx, tenant)
			if err != nil {
				t.Fatalf("ListKeys(%q) = %v; want nil", tenant, err)
			}
			if diff := cmp.Diff([]storage.SigningKey{want}, got); diff != "" {
				t.Errorf("ListKeys after %s mismatch (-want +got):\n%s", name, diff)
			}
		}
		checkErr(t, call("DeleteKey", tenant, k.KID), s.DeleteKey(ctx, tenant, k.KID), nil)
		got, err := s.ListKeys(ctx, tenant)
		if err != nil || len(got) != 0 {
			t.Errorf("ListKeys(%q) after DeleteKey = %v, %v; want no keys, nil", tenant, got, err)
		}
		checkErr(t, call("DeleteKey", tenant, k.KID)+" again", s.DeleteKey(ctx, tenant, k.KID), storage.ErrNotFound)
	})

	t.Run("ConcurrentSetKeyState", func(t *testing.T) {
		tenant := newTenant(t, s)
		if err := s.CreateKey(ctx, newKey(tenant, "k1", base)); err != nil {
			t.Fatalf("CreateKey(%q) = %v; want nil", "k1", err)
		}
		errs := race(concurrency, func(i int) error {
			return s.SetKeyState(ctx, tenant, "k1", storage.KeyNext, storage.KeyCurrent, base.Add(time.Duration(i)*time.Second))
		})
		winner := checkRace(t, "SetKeyState(next -> current)", errs, storage.ErrConflict)
		got, err := s.ListKeys(ctx, tenant)
		if err != nil || len(got) != 1 {
			t.Fatalf("ListKeys(%q) = %v, %v; want one key", tenant, got, err)
		}
		if winner >= 0 {
			want := base.Add(time.Duration(winner) * time.Second)
			if got[0].State != storage.KeyCurrent || !got[0].ActivatedAt.Equal(want) {
				t.Errorf("key after race = state %q, activated %v; want %q, %v (the winner's)",
					got[0].State, got[0].ActivatedAt, storage.KeyCurrent, want)
			}
		}
	})

	t.Run("ConcurrentCreateNextKey", func(t *testing.T) {
		tenant := newTenant(t, s)
		errs := race(concurrency, func(i int) error {
			return s.CreateKey(ctx, newKey(tenant, fmt.Sprintf("n%d", i), base))
		})
		checkRace(t, "CreateKey(next)", errs, storage.ErrAlreadyExists)
		// A next key of the other use is independent.
		id := newKey(tenant, "id-next", base)
		id.Use = storage.UseIDToken
		checkErr(t, "CreateKey(next of another use)", s.CreateKey(ctx, id), nil)
	})
}
