package storagetest

import (
	"context"
	"fmt"
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
		checkErr(t, "RedeemCode", s.RedeemCode(ctx, r, nil, nil), nil)
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
		checkErr(t, "RedeemCode again", s.RedeemCode(ctx, again, nil, nil), storage.ErrAlreadyExists)
		if got, _ := s.GetRedemption(ctx, tenant, hash); got.ClientID != "c1" {
			t.Errorf("GetRedemption after a second RedeemCode: ClientID = %q; want %q (the first)", got.ClientID, "c1")
		}
		// The same hash in another tenant is another code.
		checkErr(t, "RedeemCode in another tenant", s.RedeemCode(ctx, storage.Redemption{TenantID: other, CodeHash: hash, ClientID: "c1"}, nil, nil), nil)

		_, err = s.GetRedemption(ctx, tenant, randBytes(32))
		checkErr(t, "GetRedemption of an unredeemed code", err, storage.ErrNotFound)
	})

	// family returns a refresh family of the tenant's client and user.
	family := func(tenant, client, user, id string) *storage.RefreshFamily {
		return &storage.RefreshFamily{TenantID: tenant, ID: id, ClientID: client, UserID: user,
			Scope: "openid", TokenHash: randBytes(32), CreatedAt: base, ExpiresAt: base.Add(time.Hour)}
	}
	issued := func(tenant, subject string) *storage.AuditEvent {
		return &storage.AuditEvent{TenantID: tenant, Time: base, Event: "token.issued", Subject: subject}
	}

	t.Run("RedeemWithFamilyAndEvent", func(t *testing.T) {
		tenant := newTenant(t, s)
		client, user := newClient(t, s, tenant), newUser(t, s, tenant)
		r := storage.Redemption{TenantID: tenant, CodeHash: randBytes(32), ClientID: client, FamilyID: "fam1", RedeemedAt: base}
		f := family(tenant, client, user, "fam1")
		checkErr(t, "RedeemCode with a family and an event", s.RedeemCode(ctx, r, f, issued(tenant, "first")), nil)
		got, err := s.GetRefreshFamily(ctx, tenant, "fam1")
		if err != nil {
			t.Fatalf("GetRefreshFamily after RedeemCode = %v; want nil", err)
		}
		want := *f
		want.CreatedAt, want.ExpiresAt = norm(f.CreatedAt), norm(f.ExpiresAt)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("family stored by RedeemCode mismatch (-want +got):\n%s", diff)
		}
		checkEvents(t, s, tenant, "after RedeemCode", "first")

		// A replay stores neither its family nor its event.
		again := r
		again.FamilyID = "fam2"
		err = s.RedeemCode(ctx, again, family(tenant, client, user, "fam2"), issued(tenant, "replay"))
		checkErr(t, "RedeemCode replayed", err, storage.ErrAlreadyExists)
		_, err = s.GetRefreshFamily(ctx, tenant, "fam2")
		checkErr(t, "GetRefreshFamily of the replay's family", err, storage.ErrNotFound)
		checkEvents(t, s, tenant, "after a replay", "first")
	})

	t.Run("RedeemAllOrNothing", func(t *testing.T) {
		tenant := newTenant(t, s)
		client, user := newClient(t, s, tenant), newUser(t, s, tenant)
		r := storage.Redemption{TenantID: tenant, CodeHash: randBytes(32), ClientID: client, FamilyID: "fam1", RedeemedAt: base}
		// A family of a client that does not exist fails its insert, and
		// with it the redemption and the event.
		err := s.RedeemCode(ctx, r, family(tenant, "no-such-client", user, "fam1"), issued(tenant, "orphan"))
		checkErr(t, "RedeemCode with a family of a missing client", err, storage.ErrNotFound)
		_, err = s.GetRedemption(ctx, tenant, r.CodeHash)
		checkErr(t, "GetRedemption after a failed RedeemCode", err, storage.ErrNotFound)
		checkEvents(t, s, tenant, "after a failed RedeemCode")
		// A family id that is taken fails the same way.
		taken := family(tenant, client, user, "taken")
		checkErr(t, "CreateRefreshFamily", s.CreateRefreshFamily(ctx, *taken), nil)
		err = s.RedeemCode(ctx, r, family(tenant, client, user, "taken"), issued(tenant, "dup"))
		checkErr(t, "RedeemCode with a taken family id", err, storage.ErrAlreadyExists)
		_, err = s.GetRedemption(ctx, tenant, r.CodeHash)
		checkErr(t, "GetRedemption after a failed RedeemCode", err, storage.ErrNotFound)
		checkEvents(t, s, tenant, "after a failed RedeemCode")
		// The code is still unspent: redeeming it properly works.
		checkErr(t, "RedeemCode after the failures", s.RedeemCode(ctx, r, family(tenant, client, user, "fam1"), issued(tenant, "ok")), nil)
		checkEvents(t, s, tenant, "after RedeemCode", "ok")
	})

	// A family of a user deleted since fails the redemption on its
	// foreign key: nothing is stored.
	t.Run("RedeemForDeletedUser", func(t *testing.T) {
		tenant := newTenant(t, s)
		client, gone := newClient(t, s, tenant), newUser(t, s, tenant)
		checkErr(t, "DeleteUser", s.DeleteUser(ctx, tenant, gone), nil)
		r := storage.Redemption{TenantID: tenant, CodeHash: randBytes(32), ClientID: client, FamilyID: "famX", RedeemedAt: base}
		checkErr(t, "RedeemCode for a deleted user", s.RedeemCode(ctx, r, family(tenant, client, gone, "famX"), issued(tenant, "gone")), storage.ErrNotFound)
		_, err := s.GetRedemption(ctx, tenant, r.CodeHash)
		checkErr(t, "GetRedemption after it", err, storage.ErrNotFound)
		_, err = s.GetRefreshFamily(ctx, tenant, "famX")
		checkErr(t, "GetRefreshFamily after it", err, storage.ErrNotFound)
		checkEvents(t, s, tenant, "after RedeemCode for a deleted user")
	})

	t.Run("ConcurrentRedeem", func(t *testing.T) {
		tenant := newTenant(t, s)
		client, user := newClient(t, s, tenant), newUser(t, s, tenant)
		hash := randBytes(32)
		errs := race(concurrency, func(i int) error {
			id := fmt.Sprint("fam", i)
			return s.RedeemCode(ctx, storage.Redemption{TenantID: tenant, CodeHash: hash, ClientID: client, FamilyID: id,
				RedeemedAt: base.Add(time.Duration(i) * time.Second)}, family(tenant, client, user, id), issued(tenant, id))
		})
		winner := checkRace(t, "RedeemCode", errs, storage.ErrAlreadyExists)
		got, err := s.GetRedemption(ctx, tenant, hash)
		if err != nil {
			t.Fatalf("GetRedemption = %v; want nil", err)
		}
		if winner < 0 {
			return
		}
		if want := base.Add(time.Duration(winner) * time.Second); !got.RedeemedAt.Equal(want) {
			t.Errorf("GetRedemption().RedeemedAt = %v; want %v (the winner's)", got.RedeemedAt, want)
		}
		// Only the winner's family and event were stored.
		for i := range concurrency {
			id := fmt.Sprint("fam", i)
			_, err := s.GetRefreshFamily(ctx, tenant, id)
			want := storage.ErrNotFound
			if i == winner {
				want = nil
			}
			checkErr(t, call("GetRefreshFamily", id), err, want)
		}
		checkEvents(t, s, tenant, "after the race", fmt.Sprint("fam", winner))
	})
}
