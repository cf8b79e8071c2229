package storagetest

import (
	"context"
	"testing"
	"time"

	"github.com/edgeauth/edgeauth/storage"
	"github.com/google/go-cmp/cmp"
)

func testCodes(t *testing.T, s storage.Store) {
	ctx := context.Background()

	t.Run("RedeemOnce", func(t *testing.T) {
		tenant, other := newTenant(t, s), newTenant(t, s)
		hash := allBytes() // NUL and invalid UTF-8 must survive as a key
		r := storage.Redemption{TenantID: tenant, CodeHash: hash, ClientID: "c1",
			RedeemedAt: zoned(0), ExpiresAt: zoned(10 * time.Minute)}
		checkErr(t, "RedeemCode", s.RedeemCode(ctx, r), nil)
		got, err := s.GetRedemption(ctx, tenant, hash)
		if err != nil {
			t.Fatalf("GetRedemption = %v; want nil", err)
		}
		want := r
		want.RedeemedAt, want.ExpiresAt = norm(r.RedeemedAt), norm(r.ExpiresAt)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("GetRedemption mismatch (-want +got):\n%s", diff)
		}
		checkTimes(t, "GetRedemption", map[string]time.Time{"RedeemedAt": got.RedeemedAt, "ExpiresAt": got.ExpiresAt})

		again := r
		again.ClientID = "c2"
		checkErr(t, "RedeemCode again", s.RedeemCode(ctx, again), storage.ErrAlreadyExists)
		if got, _ := s.GetRedemption(ctx, tenant, hash); got.ClientID != "c1" {
			t.Errorf("GetRedemption after a second RedeemCode: ClientID = %q; want %q (the first)", got.ClientID, "c1")
		}
		// The same hash in another tenant is another code.
		checkErr(t, "RedeemCode in another tenant", s.RedeemCode(ctx, storage.Redemption{TenantID: other, CodeHash: hash, ClientID: "c1"}), nil)

		_, err = s.GetRedemption(ctx, tenant, randBytes(32))
		checkErr(t, "GetRedemption of an unredeemed code", err, storage.ErrNotFound)
	})

	t.Run("ConcurrentRedeem", func(t *testing.T) {
		tenant := newTenant(t, s)
		hash := randBytes(32)
		errs := race(concurrency, func(i int) error {
			return s.RedeemCode(ctx, storage.Redemption{TenantID: tenant, CodeHash: hash, ClientID: "c1",
				RedeemedAt: base.Add(time.Duration(i) * time.Second)})
		})
		winner := checkRace(t, "RedeemCode", errs, storage.ErrAlreadyExists)
		got, err := s.GetRedemption(ctx, tenant, hash)
		if err != nil {
			t.Fatalf("GetRedemption = %v; want nil", err)
		}
		if want := base.Add(time.Duration(winner) * time.Second); winner >= 0 && !got.RedeemedAt.Equal(want) {
			t.Errorf("GetRedemption().RedeemedAt = %v; want %v (the winner's)", got.RedeemedAt, want)
		}
	})
}
