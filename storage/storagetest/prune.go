package storagetest

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/edgeauth/edgeauth/storage"
	"github.com/google/go-cmp/cmp"
)

// testPrune checks PruneExpired: exactly the redemptions and refresh
// families that expired before the cut go, of every tenant; revoked
// families that have not expired, rows expiring at the cut itself and rows
// without an expiry stay; pruning again deletes nothing.
func testPrune(t *testing.T, s storage.Store) {
	ctx := context.Background()
	// PruneExpired acts on every tenant. Use times long before anything
	// else the suite writes (its rows expire around base, or never), at a
	// random offset, as the audit test does.
	old := time.Unix(1e9+rand.Int64N(1e8), 0).UTC()
	cut := old.Add(time.Hour)

	// Leftovers of an earlier run that died before its cleanup would make
	// the counts below inexact: prune them first.
	if _, _, err := s.PruneExpired(ctx, cut); err != nil {
		t.Fatalf("PruneExpired before the test = %v; want nil", err)
	}

	tenant, other := newTenant(t, s), newTenant(t, s)
	client, user := newClient(t, s, tenant), newUser(t, s, tenant)
	family := func(id string, expires, revoked time.Time) storage.RefreshFamily {
		return storage.RefreshFamily{TenantID: tenant, ID: id, ClientID: client, UserID: user, Scope: "openid",
			TokenHash: randBytes(32), CreatedAt: old.Add(-time.Hour), RotatedAt: old.Add(-time.Hour),
			ExpiresAt: expires, RevokedAt: revoked}
	}

	// Redemptions, as sign-ins write them: the expired one issued the
	// expired family.
	type redemption struct {
		r      storage.Redemption
		family *storage.RefreshFamily
		gone   bool
	}
	expiredFam := family("fam-expired", old, time.Time{})
	redemptions := []redemption{
		{storage.Redemption{TenantID: tenant, CodeHash: randBytes(32), ClientID: client, FamilyID: expiredFam.ID,
			RedeemedAt: old.Add(-time.Hour), ExpiresAt: old}, &expiredFam, true},
		{storage.Redemption{TenantID: other, CodeHash: randBytes(32), ClientID: "c1",
			RedeemedAt: old.Add(-time.Hour), ExpiresAt: cut.Add(-time.Second)}, nil, true},
		{storage.Redemption{TenantID: tenant, CodeHash: randBytes(32), ClientID: client,
			RedeemedAt: old, ExpiresAt: cut}, nil, false}, // expires at the cut: not before it
		{storage.Redemption{TenantID: tenant, CodeHash: randBytes(32), ClientID: client,
			RedeemedAt: old, ExpiresAt: cut.Add(time.Hour)}, nil, false},
		{storage.Redemption{TenantID: tenant, CodeHash: randBytes(32), ClientID: client,
			RedeemedAt: old}, nil, false}, // no expiry
	}
	for _, r := range redemptions {
		checkErr(t, "RedeemCode", s.RedeemCode(ctx, r.r, r.family, nil), nil)
	}

	families := []struct {
		f    storage.RefreshFamily
		gone bool
	}{
		{expiredFam, true},
		{family("fam-expired-revoked", cut.Add(-time.Second), old), true},
		{family("fam-live", cut.Add(time.Hour), time.Time{}), false},
		{family("fam-at-cut", cut, time.Time{}), false},
		{family("fam-revoked", cut.Add(time.Hour), old), false}, // revoked, not expired: stays
		{family("fam-no-expiry", time.Time{}, old), false},
	}
	for _, f := range families[1:] { // the first was created by RedeemCode
		checkErr(t, call("CreateRefreshFamily", f.f.ID), s.CreateRefreshFamily(ctx, f.f), nil)
	}
	// What the store holds before pruning: what the kept rows must still be.
	before := map[string]storage.RefreshFamily{}
	for _, f := range families {
		got, err := s.GetRefreshFamily(ctx, tenant, f.f.ID)
		if err != nil {
			t.Fatalf("GetRefreshFamily(%q) before pruning = %v; want nil", f.f.ID, err)
		}
		before[f.f.ID] = got
	}

	check := func(t *testing.T, when string) {
		t.Helper()
		for i, r := range redemptions {
			got, err := s.GetRedemption(ctx, r.r.TenantID, r.r.CodeHash)
			if r.gone {
				checkErr(t, "GetRedemption of an expired code "+when, err, storage.ErrNotFound)
				continue
			}
			if err != nil {
				t.Errorf("GetRedemption %d %s = %v; want nil", i, when, err)
				continue
			}
			want := r.r
			want.RedeemedAt, want.ExpiresAt = norm(want.RedeemedAt), norm(want.ExpiresAt)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("GetRedemption %d %s mismatch (-want +got):\n%s", i, when, diff)
			}
		}
		for _, f := range families {
			got, err := s.GetRefreshFamily(ctx, tenant, f.f.ID)
			_, _, grantErr := s.GetRefreshGrant(ctx, tenant, f.f.ID)
			if f.gone {
				checkErr(t, call("GetRefreshFamily", f.f.ID)+" "+when, err, storage.ErrNotFound)
				checkErr(t, call("GetRefreshGrant", f.f.ID)+" "+when, grantErr, storage.ErrNotFound)
				continue
			}
			if err != nil || grantErr != nil {
				t.Errorf("%s, GetRefreshGrant %s = %v, %v; want nil, nil", call("GetRefreshFamily", f.f.ID), when, err, grantErr)
				continue
			}
			if diff := cmp.Diff(before[f.f.ID], got); diff != "" {
				t.Errorf("%s %s mismatch (-want +got):\n%s", call("GetRefreshFamily", f.f.ID), when, diff)
			}
		}
	}

	r, f, err := s.PruneExpired(ctx, cut)
	if err != nil {
		t.Fatalf("PruneExpired = %v; want nil", err)
	}
	if r != 2 || f != 2 {
		t.Errorf("PruneExpired = %d redemptions, %d families; want 2, 2", r, f)
	}
	check(t, "after PruneExpired")

	// Pruning again is harmless: nothing left to delete, nothing else lost.
	r, f, err = s.PruneExpired(ctx, cut)
	if err != nil || r != 0 || f != 0 {
		t.Errorf("PruneExpired again = %d, %d, %v; want 0, 0, nil", r, f, err)
	}
	check(t, "after PruneExpired twice")

	// A family that is gone can no longer be revoked or rotated: the
	// answer callers of a replayed code or a reused token already accept.
	checkErr(t, "RevokeRefreshFamily of a pruned family", s.RevokeRefreshFamily(ctx, tenant, expiredFam.ID, cut), storage.ErrNotFound)
	_, _, err = s.RotateRefreshToken(ctx, storage.Rotation{TenantID: tenant, FamilyID: expiredFam.ID, OldHash: expiredFam.TokenHash, NewHash: randBytes(32), At: old.Add(-time.Minute)})
	checkErr(t, "RotateRefreshToken of a pruned family", err, storage.ErrNotFound)
}
