package storagetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/edgeauth/edgeauth/storage"
	"github.com/google/go-cmp/cmp"
)

func testDevices(t *testing.T, s storage.Store) {
	ctx := context.Background()
	// newDevice stores a pending device authorization of client in tenant,
	// expiring 10 minutes after base, polled every 5 seconds.
	newDevice := func(t *testing.T, tenant, client string) storage.DeviceAuthorization {
		t.Helper()
		d := storage.DeviceAuthorization{TenantID: tenant, DeviceHash: randBytes(32), UserCode: "BCDF" + suffix()[:4],
			ClientID: client, Scope: "openid read", Resources: []string{"https://api.example.com"}, Status: storage.DevicePending,
			Interval: 5, CreatedAt: base, ExpiresAt: base.Add(10 * time.Minute)}
		if err := s.CreateDeviceAuthorization(ctx, d); err != nil {
			t.Fatalf("CreateDeviceAuthorization = %v; want nil", err)
		}
		return d
	}
	get := func(t *testing.T, d storage.DeviceAuthorization) storage.DeviceAuthorization {
		t.Helper()
		got, err := s.GetDeviceAuthorization(ctx, d.TenantID, d.UserCode)
		if err != nil {
			t.Fatalf("GetDeviceAuthorization(%q) = %v; want nil", d.UserCode, err)
		}
		return got
	}
	approve := func(d storage.DeviceAuthorization, user string, at time.Time) storage.DeviceDecision {
		return storage.DeviceDecision{TenantID: d.TenantID, UserCode: d.UserCode, ClientID: d.ClientID, Approve: true,
			UserID: user, AuthTime: base, At: at}
	}
	poll := func(d storage.DeviceAuthorization, at time.Time) storage.DevicePoll {
		return storage.DevicePoll{TenantID: d.TenantID, DeviceHash: d.DeviceHash, ClientID: d.ClientID, At: at,
			Leeway: time.Second, SlowDown: 5 * time.Second}
	}

	t.Run("RoundTrip", func(t *testing.T) {
		tenant := newTenant(t, s)
		client := newClient(t, s, tenant)
		in := storage.DeviceAuthorization{TenantID: tenant, DeviceHash: allBytes(), UserCode: "BCDFGHJK", ClientID: client,
			Scope: "openid read", Resources: []string{"https://api.example.com", "urn:x"}, Status: storage.DevicePending,
			Interval: 5, CreatedAt: zoned(0), ExpiresAt: zoned(10 * time.Minute)}
		checkErr(t, "CreateDeviceAuthorization", s.CreateDeviceAuthorization(ctx, in), nil)
		got := get(t, in)
		want := in
		want.CreatedAt, want.ExpiresAt = norm(in.CreatedAt), norm(in.ExpiresAt)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("GetDeviceAuthorization mismatch (-want +got):\n%s", diff)
		}
		checkTimes(t, "GetDeviceAuthorization", map[string]time.Time{"CreatedAt": got.CreatedAt, "ExpiresAt": got.ExpiresAt})

		again := in
		again.DeviceHash = randBytes(32)
		checkErr(t, "CreateDeviceAuthorization with a taken user code", s.CreateDeviceAuthorization(ctx, again), storage.ErrAlreadyExists)
		again = in
		again.UserCode = "XXXXXXXX"
		checkErr(t, "CreateDeviceAuthorization with a taken device hash", s.CreateDeviceAuthorization(ctx, again), storage.ErrAlreadyExists)
		again.DeviceHash, again.ClientID = randBytes(32), "no-such-client"
		checkErr(t, "CreateDeviceAuthorization of an unknown client", s.CreateDeviceAuthorization(ctx, again), storage.ErrNotFound)
		_, err := s.GetDeviceAuthorization(ctx, tenant, "ZZZZZZZZ")
		checkErr(t, "GetDeviceAuthorization of an unknown code", err, storage.ErrNotFound)
		// The same user code in another tenant is another request.
		other := newTenant(t, s)
		in.TenantID, in.ClientID = other, newClient(t, s, other)
		checkErr(t, "CreateDeviceAuthorization in another tenant", s.CreateDeviceAuthorization(ctx, in), nil)
	})

	t.Run("DecideOnce", func(t *testing.T) {
		tenant := newTenant(t, s)
		client, user := newClient(t, s, tenant), newUser(t, s, tenant)
		d := newDevice(t, tenant, client)
		errs := race(concurrency, func(i int) error {
			dec := approve(d, user, base.Add(time.Minute))
			dec.Approve = i%2 == 0
			return s.DecideDeviceAuthorization(ctx, dec)
		})
		w := checkRace(t, "DecideDeviceAuthorization", errs, storage.ErrConflict)
		got := get(t, d)
		if want := map[bool]storage.DeviceStatus{true: storage.DeviceApproved, false: storage.DeviceDenied}[w%2 == 0]; got.Status != want || got.UserID != user || !got.AuthTime.Equal(base) {
			t.Errorf("after the race: status %q user %q auth time %v; want %q %q %v (the winner's)", got.Status, got.UserID, got.AuthTime, want, user, base)
		}
		other := approve(d, user, base)
		other.ClientID = "another-client"
		checkErr(t, "DecideDeviceAuthorization for another client", s.DecideDeviceAuthorization(ctx, other), storage.ErrNotFound)
		other = approve(d, user, base)
		other.UserCode = "ZZZZZZZZ"
		checkErr(t, "DecideDeviceAuthorization of an unknown code", s.DecideDeviceAuthorization(ctx, other), storage.ErrNotFound)
	})

	t.Run("DecideRefusesExpiredAndUnknownUser", func(t *testing.T) {
		tenant := newTenant(t, s)
		client, user := newClient(t, s, tenant), newUser(t, s, tenant)
		d := newDevice(t, tenant, client)
		checkErr(t, "DecideDeviceAuthorization at its expiry", s.DecideDeviceAuthorization(ctx, approve(d, user, d.ExpiresAt)), storage.ErrConflict)
		checkErr(t, "DecideDeviceAuthorization by an unknown user", s.DecideDeviceAuthorization(ctx, approve(d, "no-such-user", base)), storage.ErrNotFound)
		if got := get(t, d); got.Status != storage.DevicePending || got.UserID != "" {
			t.Errorf("after refused decisions: status %q user %q; want pending, none", got.Status, got.UserID)
		}
	})

	t.Run("PollSlowsDown", func(t *testing.T) {
		tenant := newTenant(t, s)
		client := newClient(t, s, tenant)
		d := newDevice(t, tenant, client)
		steps := []struct {
			at       time.Duration
			slowed   bool
			interval int64
		}{
			{0, false, 5},                 // the first poll is never too soon
			{4 * time.Second, false, 5},   // 4 s: within the 1 s leeway of 5 s
			{7 * time.Second, true, 10},   // 3 s after: too soon; 10 s from now on
			{16 * time.Second, false, 10}, // 9 s: on time with the leeway
			{17 * time.Second, true, 15},
		}
		for _, st := range steps {
			got, err := s.PollDeviceAuthorization(ctx, poll(d, base.Add(st.at)))
			if err != nil {
				t.Fatalf("PollDeviceAuthorization at +%v = %v; want nil", st.at, err)
			}
			if got.SlowedDown != st.slowed || got.Interval != st.interval || !got.LastPoll.Equal(base.Add(st.at)) || got.Status != storage.DevicePending {
				t.Errorf("PollDeviceAuthorization at +%v: slowed %v interval %d last poll %v status %q; want %v %d %v pending",
					st.at, got.SlowedDown, got.Interval, got.LastPoll, got.Status, st.slowed, st.interval, base.Add(st.at))
			}
		}
		p := poll(d, base)
		p.ClientID = "another-client"
		_, err := s.PollDeviceAuthorization(ctx, p)
		checkErr(t, "PollDeviceAuthorization by another client", err, storage.ErrNotFound)
		p = poll(d, base)
		p.DeviceHash = randBytes(32)
		_, err = s.PollDeviceAuthorization(ctx, p)
		checkErr(t, "PollDeviceAuthorization of an unknown device code", err, storage.ErrNotFound)
	})

	t.Run("ConcurrentPollsAreSlowedDown", func(t *testing.T) {
		tenant := newTenant(t, s)
		d := newDevice(t, tenant, newClient(t, s, tenant))
		slowed := make([]bool, concurrency)
		errs := race(concurrency, func(i int) error {
			got, err := s.PollDeviceAuthorization(ctx, poll(d, base))
			slowed[i] = got.SlowedDown
			return err
		})
		n := 0
		for i, err := range errs {
			checkErr(t, "PollDeviceAuthorization", err, nil)
			if !slowed[i] {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%d concurrent polls: %d on time; want 1 (each sees the polls before it)", concurrency, n)
		}
	})

	family := func(tenant, client, user, id string) *storage.RefreshFamily {
		return &storage.RefreshFamily{TenantID: tenant, ID: id, ClientID: client, UserID: user,
			Scope: "openid read", TokenHash: randBytes(32), CreatedAt: base, RotatedAt: base, ExpiresAt: base.Add(time.Hour)}
	}
	redemption := func(d storage.DeviceAuthorization, user, fid string, at time.Time) storage.DeviceRedemption {
		return storage.DeviceRedemption{TenantID: d.TenantID, DeviceHash: d.DeviceHash, ClientID: d.ClientID, At: at,
			Family: family(d.TenantID, d.ClientID, user, fid), Issued: &storage.AuditEvent{TenantID: d.TenantID, Time: base, Event: "token.issued", Subject: fid}}
	}

	t.Run("RedeemOnce", func(t *testing.T) {
		tenant := newTenant(t, s)
		client, user := newClient(t, s, tenant), newUser(t, s, tenant)
		d := newDevice(t, tenant, client)
		at := base.Add(time.Minute)
		checkErr(t, "RedeemDeviceAuthorization while pending", s.RedeemDeviceAuthorization(ctx, redemption(d, user, "pending", at)), storage.ErrConflict)
		checkErr(t, "DecideDeviceAuthorization", s.DecideDeviceAuthorization(ctx, approve(d, user, at)), nil)
		errs := race(concurrency, func(i int) error {
			return s.RedeemDeviceAuthorization(ctx, redemption(d, user, fmt.Sprintf("fam%02d", i), at))
		})
		w := checkRace(t, "RedeemDeviceAuthorization", errs, storage.ErrConflict)
		winner := fmt.Sprintf("fam%02d", w)
		got := get(t, d)
		if got.Status != storage.DeviceRedeemed || got.FamilyID != winner {
			t.Errorf("after the race: status %q family %q; want redeemed, %q", got.Status, got.FamilyID, winner)
		}
		for i := range concurrency {
			fid := fmt.Sprintf("fam%02d", i)
			_, err := s.GetRefreshFamily(ctx, tenant, fid)
			if i == w {
				checkErr(t, "GetRefreshFamily of the winner", err, nil)
			} else {
				checkErr(t, "GetRefreshFamily of a loser", err, storage.ErrNotFound)
			}
		}
		checkEvents(t, s, tenant, "after the race", winner)
		checkErr(t, "RedeemDeviceAuthorization again", s.RedeemDeviceAuthorization(ctx, redemption(d, user, "again", at)), storage.ErrConflict)
		other := redemption(d, user, "other", at)
		other.ClientID = "another-client"
		checkErr(t, "RedeemDeviceAuthorization by another client", s.RedeemDeviceAuthorization(ctx, other), storage.ErrNotFound)
	})

	// A user disabled between the approval and the redemption: the
	// approval is denied with the disabling, so the redemption stores
	// nothing.
	t.Run("RedeemOfADisabledUser", func(t *testing.T) {
		tenant := newTenant(t, s)
		client, user := newClient(t, s, tenant), newUser(t, s, tenant)
		d := newDevice(t, tenant, client)
		checkErr(t, "DecideDeviceAuthorization", s.DecideDeviceAuthorization(ctx, approve(d, user, base)), nil)
		checkErr(t, "SetUserDisabled", s.SetUserDisabled(ctx, tenant, user, true, base), nil)
		checkErr(t, "RedeemDeviceAuthorization", s.RedeemDeviceAuthorization(ctx, redemption(d, user, "disabled", base)), storage.ErrConflict)
		_, err := s.GetRefreshFamily(ctx, tenant, "disabled")
		checkErr(t, "GetRefreshFamily", err, storage.ErrNotFound)
		checkEvents(t, s, tenant, "after the redemption of a disabled user")
		if got := get(t, d); got.Status != storage.DeviceDenied {
			t.Errorf("status %q; want denied", got.Status)
		}
	})

	// Disabling the user denies what it approved and no device redeemed:
	// enabling it again does not bring that back.
	t.Run("DisablingTheUserDeniesItsApprovals", func(t *testing.T) {
		tenant := newTenant(t, s)
		client, user := newClient(t, s, tenant), newUser(t, s, tenant)
		approved, redeemed := newDevice(t, tenant, client), newDevice(t, tenant, client)
		checkErr(t, "DecideDeviceAuthorization", s.DecideDeviceAuthorization(ctx, approve(approved, user, base)), nil)
		checkErr(t, "DecideDeviceAuthorization", s.DecideDeviceAuthorization(ctx, approve(redeemed, user, base)), nil)
		checkErr(t, "RedeemDeviceAuthorization", s.RedeemDeviceAuthorization(ctx, redemption(redeemed, user, "kept", base)), nil)
		checkErr(t, "SetUserDisabled(true)", s.SetUserDisabled(ctx, tenant, user, true, base), nil)
		checkErr(t, "SetUserDisabled(false)", s.SetUserDisabled(ctx, tenant, user, false, base), nil)
		if got := get(t, approved); got.Status != storage.DeviceDenied {
			t.Errorf("an approval of the disabled user: status %q; want denied", got.Status)
		}
		if got := get(t, redeemed); got.Status != storage.DeviceRedeemed {
			t.Errorf("a redeemed one: status %q; want still redeemed", got.Status)
		}
		checkErr(t, "RedeemDeviceAuthorization after the user was enabled", s.RedeemDeviceAuthorization(ctx, redemption(approved, user, "late", base)), storage.ErrConflict)
	})

	t.Run("RedeemRefusesDeniedAndExpired", func(t *testing.T) {
		tenant := newTenant(t, s)
		client, user := newClient(t, s, tenant), newUser(t, s, tenant)
		denied, late := newDevice(t, tenant, client), newDevice(t, tenant, client)
		dec := approve(denied, user, base)
		dec.Approve = false
		checkErr(t, "DecideDeviceAuthorization (deny)", s.DecideDeviceAuthorization(ctx, dec), nil)
		checkErr(t, "RedeemDeviceAuthorization of a denied one", s.RedeemDeviceAuthorization(ctx, redemption(denied, user, "denied", base)), storage.ErrConflict)
		checkErr(t, "DecideDeviceAuthorization", s.DecideDeviceAuthorization(ctx, approve(late, user, base)), nil)
		checkErr(t, "RedeemDeviceAuthorization at its expiry", s.RedeemDeviceAuthorization(ctx, redemption(late, user, "late", late.ExpiresAt)), storage.ErrConflict)
		for _, fid := range []string{"denied", "late"} {
			_, err := s.GetRefreshFamily(ctx, tenant, fid)
			checkErr(t, "GetRefreshFamily of a refused redemption", err, storage.ErrNotFound)
		}
		checkEvents(t, s, tenant, "after refused redemptions")
		if got := get(t, late); got.Status != storage.DeviceApproved {
			t.Errorf("after a refused redemption: status %q; want approved", got.Status)
		}
	})

	t.Run("PruneAndCascade", func(t *testing.T) {
		tenant := newTenant(t, s)
		client, user := newClient(t, s, tenant), newUser(t, s, tenant)
		old, live := newDevice(t, tenant, client), newDevice(t, tenant, client)
		old.DeviceHash, old.UserCode, old.ExpiresAt = randBytes(32), "OLD"+suffix()[:5], base.Add(-time.Second)
		checkErr(t, "CreateDeviceAuthorization (expired)", s.CreateDeviceAuthorization(ctx, old), nil)
		n, err := s.PruneDeviceAuthorizations(ctx, base)
		checkErr(t, "PruneDeviceAuthorizations", err, nil)
		if n < 1 {
			t.Errorf("PruneDeviceAuthorizations = %d; want at least the expired one", n)
		}
		_, err = s.GetDeviceAuthorization(ctx, tenant, old.UserCode)
		checkErr(t, "GetDeviceAuthorization of a pruned one", err, storage.ErrNotFound)
		get(t, live)

		// Deleting the user that decided, or the client, deletes them.
		checkErr(t, "DecideDeviceAuthorization", s.DecideDeviceAuthorization(ctx, approve(live, user, base)), nil)
		checkErr(t, "DeleteUser", s.DeleteUser(ctx, tenant, user), nil)
		_, err = s.GetDeviceAuthorization(ctx, tenant, live.UserCode)
		checkErr(t, "GetDeviceAuthorization after its user was deleted", err, storage.ErrNotFound)
		pending := newDevice(t, tenant, client)
		checkErr(t, "DeleteClient", s.DeleteClient(ctx, tenant, client), nil)
		_, err = s.GetDeviceAuthorization(ctx, tenant, pending.UserCode)
		checkErr(t, "GetDeviceAuthorization after its client was deleted", err, storage.ErrNotFound)
	})
}
