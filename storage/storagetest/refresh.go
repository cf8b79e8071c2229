package storagetest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/edgeauth/edgeauth/storage"
	"github.com/google/go-cmp/cmp"
)

func testRefresh(t *testing.T, s storage.Store) {
	ctx := context.Background()

	// setup makes a tenant, client and user, and a family with token hash h0
	// that expires an hour after base.
	setup := func(t *testing.T) (storage.RefreshFamily, []byte) {
		tenant := newTenant(t, s)
		f := storage.RefreshFamily{
			TenantID: tenant, ID: "fam-" + suffix(), ClientID: newClient(t, s, tenant), UserID: newUser(t, s, tenant),
			Scope: "openid offline_access", Resource: "https://api.example.com", AuthTime: base.Add(-time.Minute),
			TokenHash: randBytes(32), CreatedAt: base, ExpiresAt: base.Add(time.Hour),
		}
		if err := s.CreateRefreshFamily(ctx, f); err != nil {
			t.Fatalf("CreateRefreshFamily(%q) = %v; want nil", f.ID, err)
		}
		return f, f.TokenHash
	}

	t.Run("Grants", func(t *testing.T) { testGrants(t, s) })
	t.Run("BornRevoked", func(t *testing.T) { testBornRevoked(t, s) })

	t.Run("RoundTrip", func(t *testing.T) {
		tenant := newTenant(t, s)
		client, user := newClient(t, s, tenant), "user-"+suffix()
		// Every user field set, so GetRefreshGrant's join reads them all.
		if err := s.CreateUser(ctx, storage.User{TenantID: tenant, ID: user, Username: "name-" + user, Email: user + "@example.com",
			PasswordHash: "$pbkdf2-sha512$i=1$c2FsdA$a2V5", Roles: []string{"admin", "dev"}, CreatedAt: zoned(0), UpdatedAt: zoned(time.Second)}); err != nil {
			t.Fatalf("CreateUser = %v", err)
		}
		tests := []struct {
			name string
			in   storage.RefreshFamily
		}{
			{"user grant, every time set", storage.RefreshFamily{
				TenantID: tenant, ID: "f1", ClientID: client, UserID: user, Scope: "openid", Resource: "https://r",
				AuthTime: zoned(-time.Hour), TokenHash: allBytes(), Generation: 7, CreatedAt: zoned(0),
				RotatedAt: zoned(time.Minute), ExpiresAt: zoned(24 * time.Hour), RevokedAt: zoned(2 * time.Minute),
				SessionID: "sess-1",
			}},
			{"client grant, zero times", storage.RefreshFamily{
				TenantID: tenant, ID: "f2", ClientID: client, TokenHash: randBytes(32),
			}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if err := s.CreateRefreshFamily(ctx, tt.in); err != nil {
					t.Fatalf("CreateRefreshFamily(%q) = %v; want nil", tt.in.ID, err)
				}
				got, err := s.GetRefreshFamily(ctx, tenant, tt.in.ID)
				if err != nil {
					t.Fatalf("GetRefreshFamily(%q) = %v; want nil", tt.in.ID, err)
				}
				want := tt.in
				want.AuthTime, want.CreatedAt, want.RotatedAt = norm(want.AuthTime), norm(want.CreatedAt), norm(want.RotatedAt)
				want.ExpiresAt, want.RevokedAt = norm(want.ExpiresAt), norm(want.RevokedAt)
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("GetRefreshFamily(%q) mismatch (-want +got):\n%s", tt.in.ID, diff)
				}
				checkTimes(t, call("GetRefreshFamily", tt.in.ID), map[string]time.Time{
					"AuthTime": got.AuthTime, "CreatedAt": got.CreatedAt, "RotatedAt": got.RotatedAt,
					"ExpiresAt": got.ExpiresAt, "RevokedAt": got.RevokedAt})

				// GetRefreshGrant: the same family, and its user read in the
				// same query (nil for a family without one).
				fam, u, err := s.GetRefreshGrant(ctx, tenant, tt.in.ID)
				if err != nil {
					t.Fatalf("GetRefreshGrant(%q) = %v; want nil", tt.in.ID, err)
				}
				if diff := cmp.Diff(want, fam); diff != "" {
					t.Errorf("GetRefreshGrant(%q) family mismatch (-want +got):\n%s", tt.in.ID, diff)
				}
				if tt.in.UserID == "" {
					if u != nil {
						t.Errorf("GetRefreshGrant(%q) user = %+v; want nil", tt.in.ID, u)
					}
					return
				}
				wantUser, err := s.GetUser(ctx, tenant, tt.in.UserID)
				if err != nil {
					t.Fatalf("GetUser(%q) = %v", tt.in.UserID, err)
				}
				if u == nil {
					t.Fatalf("GetRefreshGrant(%q) user = nil; want %q", tt.in.ID, tt.in.UserID)
				}
				if diff := cmp.Diff(wantUser, *u); diff != "" {
					t.Errorf("GetRefreshGrant(%q) user mismatch (-GetUser +got):\n%s", tt.in.ID, diff)
				}
			})
		}
	})

	t.Run("Errors", func(t *testing.T) {
		f, _ := setup(t)
		dup := f
		dup.TokenHash = randBytes(32)
		checkErr(t, call("CreateRefreshFamily", f.ID)+" again", s.CreateRefreshFamily(ctx, dup), storage.ErrAlreadyExists)
		_, err := s.GetRefreshFamily(ctx, f.TenantID, "nope")
		checkErr(t, call("GetRefreshFamily", "nope"), err, storage.ErrNotFound)
		_, _, err = s.GetRefreshGrant(ctx, f.TenantID, "nope")
		checkErr(t, call("GetRefreshGrant", "nope"), err, storage.ErrNotFound)
		_, _, err = s.RotateRefreshToken(ctx, storage.Rotation{TenantID: f.TenantID, FamilyID: "nope", OldHash: f.TokenHash, NewHash: randBytes(32), At: base})
		checkErr(t, call("RotateRefreshToken", "nope"), err, storage.ErrNotFound)
		checkErr(t, call("RevokeRefreshFamily", "nope"), s.RevokeRefreshFamily(ctx, f.TenantID, "nope", base), storage.ErrNotFound)
	})

	t.Run("Rotate", func(t *testing.T) {
		f, h0 := setup(t)
		h1, h2 := randBytes(32), randBytes(32)
		now := zoned(time.Minute)
		issued := &storage.AuditEvent{TenantID: f.TenantID, Time: now, Event: "token.issued", Actor: f.ClientID, Subject: "first"}
		rotated, owner, err := s.RotateRefreshToken(ctx, storage.Rotation{TenantID: f.TenantID, FamilyID: f.ID, OldHash: h0, NewHash: h1, At: now, Issued: issued})
		if err != nil {
			t.Fatalf("RotateRefreshToken(h0 -> h1) = %v; want nil", err)
		}
		want := f
		want.TokenHash, want.Generation, want.RotatedAt = h1, 1, norm(now)
		stored, err := s.GetRefreshFamily(ctx, f.TenantID, f.ID)
		if err != nil {
			t.Fatalf("GetRefreshFamily(%q) = %v; want nil", f.ID, err)
		}
		if diff := cmp.Diff(want, stored); diff != "" {
			t.Errorf("GetRefreshFamily after rotation mismatch (-want +got):\n%s", diff)
		}
		// What the rotation read back is the grant as GetRefreshGrant reads
		// it now: the rotated family and its user.
		grantFam, grantUser, err := s.GetRefreshGrant(ctx, f.TenantID, f.ID)
		if err != nil {
			t.Fatalf("GetRefreshGrant(%q) = %v; want nil", f.ID, err)
		}
		if diff := cmp.Diff(grantFam, rotated); diff != "" {
			t.Errorf("RotateRefreshToken's family mismatch (-GetRefreshGrant +got):\n%s", diff)
		}
		if grantUser == nil || owner == nil || !cmp.Equal(*grantUser, *owner) {
			t.Errorf("RotateRefreshToken's user = %+v; want GetRefreshGrant's %+v", owner, grantUser)
		}
		checkTimes(t, "GetRefreshFamily after rotation", map[string]time.Time{"RotatedAt": stored.RotatedAt, "ExpiresAt": stored.ExpiresAt})
		checkEvents(t, s, f.TenantID, "after the rotation", "first")

		// Reuse of h0 is a stale hash: conflict, and nothing changes, the
		// audit log included.
		stale := &storage.AuditEvent{TenantID: f.TenantID, Time: now, Event: "token.issued", Subject: "stale"}
		_, _, err = s.RotateRefreshToken(ctx, storage.Rotation{TenantID: f.TenantID, FamilyID: f.ID, OldHash: h0, NewHash: h2, At: now, Issued: stale})
		checkErr(t, "RotateRefreshToken with the stale h0", err, storage.ErrConflict)
		if stored, _ := s.GetRefreshFamily(ctx, f.TenantID, f.ID); !bytes.Equal(stored.TokenHash, h1) || stored.Generation != 1 {
			t.Errorf("after a stale rotation: hash changed = %v, generation = %d; want unchanged, 1",
				!bytes.Equal(stored.TokenHash, h1), stored.Generation)
		}
		checkEvents(t, s, f.TenantID, "after a stale rotation", "first")
		_, _, err = s.RotateRefreshToken(ctx, storage.Rotation{TenantID: f.TenantID, FamilyID: f.ID, OldHash: nil, NewHash: h2, At: now})
		checkErr(t, "RotateRefreshToken with a nil old hash", err, storage.ErrConflict)
		if _, _, err := s.RotateRefreshToken(ctx, storage.Rotation{TenantID: f.TenantID, FamilyID: f.ID, OldHash: h1, NewHash: h1, At: now}); err == nil {
			t.Errorf("RotateRefreshToken(h1 -> h1) = nil; want an error (the new hash must differ)")
		}

		if _, _, err := s.RotateRefreshToken(ctx, storage.Rotation{TenantID: f.TenantID, FamilyID: f.ID, OldHash: h1, NewHash: h2, At: now.Add(time.Minute)}); err != nil {
			t.Errorf("RotateRefreshToken(h1 -> h2) = %v; want nil", err)
		}
		checkEvents(t, s, f.TenantID, "after a rotation without an event", "first")
	})

	// ClientID binds the rotation to the family's client: another client's
	// use is a conflict and changes nothing, the audit log included.
	t.Run("OtherClient", func(t *testing.T) {
		f, h0 := setup(t)
		other := newClient(t, s, f.TenantID)
		ev := &storage.AuditEvent{TenantID: f.TenantID, Time: base, Event: "token.issued", Subject: "other"}
		_, _, err := s.RotateRefreshToken(ctx, storage.Rotation{TenantID: f.TenantID, FamilyID: f.ID, ClientID: other, OldHash: h0, NewHash: randBytes(32), At: base.Add(time.Minute), Issued: ev})
		checkErr(t, "RotateRefreshToken by another client", err, storage.ErrConflict)
		if stored, _ := s.GetRefreshFamily(ctx, f.TenantID, f.ID); !bytes.Equal(stored.TokenHash, h0) || stored.Generation != 0 {
			t.Errorf("after another client's rotation: generation %d; want the family unchanged", stored.Generation)
		}
		checkEvents(t, s, f.TenantID, "after another client's rotation")
		if _, _, err := s.RotateRefreshToken(ctx, storage.Rotation{TenantID: f.TenantID, FamilyID: f.ID, ClientID: f.ClientID, OldHash: h0, NewHash: randBytes(32), At: base.Add(time.Minute)}); err != nil {
			t.Errorf("RotateRefreshToken by the family's client = %v; want nil", err)
		}
	})

	// IssuedFromFamily: the caller has not read the family, so the event's
	// subject and the scope in its detail come from the family.
	t.Run("IssuedFromFamily", func(t *testing.T) {
		f, h0 := setup(t)
		ev := &storage.AuditEvent{TenantID: f.TenantID, Time: base, Event: "token.issued", Actor: f.ClientID,
			Detail: `{"grant_type":"refresh_token","jti":"j1"}`}
		if _, _, err := s.RotateRefreshToken(ctx, storage.Rotation{TenantID: f.TenantID, FamilyID: f.ID, OldHash: h0, NewHash: randBytes(32), At: base.Add(time.Minute), Issued: ev, IssuedFromFamily: true}); err != nil {
			t.Fatalf("RotateRefreshToken = %v; want nil", err)
		}
		events, err := s.ListAudit(ctx, storage.AuditQuery{TenantID: f.TenantID, Limit: 10})
		if err != nil || len(events) != 1 {
			t.Fatalf("ListAudit = %d events, %v; want 1", len(events), err)
		}
		got := events[0]
		var detail map[string]any
		if err := json.Unmarshal([]byte(got.Detail), &detail); err != nil {
			t.Fatalf("event detail %q: %v", got.Detail, err)
		}
		wantDetail := map[string]any{"grant_type": "refresh_token", "jti": "j1", "scope": f.Scope}
		if got.Subject != f.UserID || got.Actor != f.ClientID || got.Event != "token.issued" || !cmp.Equal(wantDetail, detail) {
			t.Errorf("event = %s by %q about %q, detail %v; want token.issued by %q about %q, detail %v",
				got.Event, got.Actor, got.Subject, detail, f.ClientID, f.UserID, wantDetail)
		}
	})

	t.Run("Expired", func(t *testing.T) {
		tests := []struct {
			name string
			now  time.Time
			want error
		}{
			{"one second before expiry", base.Add(time.Hour - time.Second), nil},
			{"at expiry", base.Add(time.Hour), storage.ErrConflict},
			{"after expiry", base.Add(2 * time.Hour), storage.ErrConflict},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				f, h0 := setup(t)
				_, _, err := s.RotateRefreshToken(ctx, storage.Rotation{TenantID: f.TenantID, FamilyID: f.ID, OldHash: h0, NewHash: randBytes(32), At: tt.now})
				checkErr(t, "RotateRefreshToken "+tt.name, err, tt.want)
			})
		}
	})

	t.Run("Revoke", func(t *testing.T) {
		f, h0 := setup(t)
		first := zoned(time.Minute)
		checkErr(t, "RevokeRefreshFamily", s.RevokeRefreshFamily(ctx, f.TenantID, f.ID, first), nil)
		checkErr(t, "RevokeRefreshFamily again", s.RevokeRefreshFamily(ctx, f.TenantID, f.ID, base.Add(time.Hour)), nil)
		got, err := s.GetRefreshFamily(ctx, f.TenantID, f.ID)
		if err != nil {
			t.Fatalf("GetRefreshFamily(%q) = %v; want nil", f.ID, err)
		}
		if !got.RevokedAt.Equal(norm(first)) {
			t.Errorf("GetRefreshFamily(%q).RevokedAt = %v; want %v (the first revocation)", f.ID, got.RevokedAt, norm(first))
		}
		_, _, err = s.RotateRefreshToken(ctx, storage.Rotation{TenantID: f.TenantID, FamilyID: f.ID, OldHash: h0, NewHash: randBytes(32), At: base.Add(2 * time.Minute), Issued: &storage.AuditEvent{TenantID: f.TenantID, Time: base, Event: "token.issued"}})
		checkErr(t, "RotateRefreshToken of a revoked family", err, storage.ErrConflict)
		checkEvents(t, s, f.TenantID, "after rotating a revoked family")
	})

	// Concurrent uses of one token each rotate to a new hash of their own
	// or, as edgeauth's tokens of a generation are one string, to the same
	// one: either way one wins, and only its event is written.
	for _, same := range []bool{false, true} {
		t.Run("ConcurrentRotate/sameNewHash="+fmt.Sprint(same), func(t *testing.T) { concurrentRotate(t, s, setup, same) })
	}

	t.Run("DeleteCascades", func(t *testing.T) {
		tests := []struct {
			name string
			del  func(f storage.RefreshFamily) error
		}{
			{"DeleteClient", func(f storage.RefreshFamily) error { return s.DeleteClient(ctx, f.TenantID, f.ClientID) }},
			{"DeleteUser", func(f storage.RefreshFamily) error { return s.DeleteUser(ctx, f.TenantID, f.UserID) }},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				f, _ := setup(t)
				c := storage.Consent{TenantID: f.TenantID, UserID: f.UserID, ClientID: f.ClientID, Scope: "openid"}
				if err := s.PutConsent(ctx, c); err != nil {
					t.Fatalf("PutConsent = %v; want nil", err)
				}
				if err := tt.del(f); err != nil {
					t.Fatalf("%s = %v; want nil", tt.name, err)
				}
				_, err := s.GetRefreshFamily(ctx, f.TenantID, f.ID)
				checkErr(t, "GetRefreshFamily after "+tt.name, err, storage.ErrNotFound)
				_, err = s.GetConsent(ctx, f.TenantID, f.UserID, f.ClientID)
				checkErr(t, "GetConsent after "+tt.name, err, storage.ErrNotFound)
			})
		}
	})
}

// concurrentRotate races concurrency rotations of one token, to distinct
// new hashes or (same) to one.
func concurrentRotate(t *testing.T, s storage.Store, setup func(*testing.T) (storage.RefreshFamily, []byte), same bool) {
	ctx := context.Background()
	f, h0 := setup(t)
	next := make([][]byte, concurrency)
	shared := randBytes(32)
	for i := range next {
		next[i] = randBytes(32)
		if same {
			next[i] = shared
		}
	}
	errs := race(concurrency, func(i int) error {
		_, _, err := s.RotateRefreshToken(ctx, storage.Rotation{TenantID: f.TenantID, FamilyID: f.ID, OldHash: h0, NewHash: next[i], At: base.Add(time.Minute), Issued: &storage.AuditEvent{TenantID: f.TenantID, Time: base, Event: "token.issued", Subject: fmt.Sprint(i)}})
		return err
	})
	winner := checkRace(t, "RotateRefreshToken", errs, storage.ErrConflict)
	if winner < 0 {
		return
	}
	got, err := s.GetRefreshFamily(ctx, f.TenantID, f.ID)
	if err != nil {
		t.Fatalf("GetRefreshFamily(%q) = %v; want nil", f.ID, err)
	}
	if !bytes.Equal(got.TokenHash, next[winner]) || got.Generation != 1 {
		t.Errorf("family after race: generation %d, hash is the winner's: %v; want 1, true",
			got.Generation, bytes.Equal(got.TokenHash, next[winner]))
	}
	checkEvents(t, s, f.TenantID, "after the race", fmt.Sprint(winner))
}

// testGrants: a user's live families listed and revoked.
func testGrants(t *testing.T, s storage.Store) {
	ctx := context.Background()
	tenant := newTenant(t, s)
	c1, c2 := newClient(t, s, tenant), newClient(t, s, tenant)
	user, other := newUser(t, s, tenant), newUser(t, s, tenant)
	for _, f := range []storage.RefreshFamily{
		{ID: "old", ClientID: c1, UserID: user, CreatedAt: base, ExpiresAt: base.Add(time.Hour)},
		{ID: "new", ClientID: c2, UserID: user, CreatedAt: base.Add(time.Second), ExpiresAt: base.Add(time.Hour)},
		{ID: "expired", ClientID: c1, UserID: user, CreatedAt: base, ExpiresAt: base.Add(time.Minute)},
		{ID: "revoked", ClientID: c1, UserID: user, CreatedAt: base, ExpiresAt: base.Add(time.Hour), RevokedAt: base},
		{ID: "others", ClientID: c1, UserID: other, CreatedAt: base, ExpiresAt: base.Add(time.Hour)},
		{ID: "noexpiry", ClientID: c2, UserID: user, CreatedAt: base.Add(-time.Second)},
	} {
		f.TenantID, f.TokenHash = tenant, randBytes(32)
		if err := s.CreateRefreshFamily(ctx, f); err != nil {
			t.Fatalf("CreateRefreshFamily(%q) = %v", f.ID, err)
		}
	}
	at := base.Add(2 * time.Minute)
	listed := func() []string {
		t.Helper()
		fs, err := s.ListGrants(ctx, tenant, user, at)
		if err != nil {
			t.Fatalf("ListGrants = %v", err)
		}
		ids := []string{}
		for _, f := range fs {
			ids = append(ids, f.ID)
		}
		return ids
	}
	if got, want := listed(), []string{"new", "old", "noexpiry"}; !cmp.Equal(got, want) {
		t.Errorf("ListGrants = %q; want %q (live ones, newest first)", got, want)
	}
	for _, tt := range []struct {
		q    storage.GrantQuery
		want int64
	}{
		{storage.GrantQuery{TenantID: tenant, ID: "old", UserID: other}, 0}, // not other's
		{storage.GrantQuery{TenantID: tenant, ID: "old", UserID: user}, 1},
		{storage.GrantQuery{TenantID: tenant, ID: "old"}, 0}, // revoked already
		{storage.GrantQuery{TenantID: tenant, ID: "expired"}, 0},
		{storage.GrantQuery{TenantID: tenant, UserID: user, ClientID: c2}, 2},
	} {
		n, err := s.RevokeGrants(ctx, tt.q, at)
		if err != nil || n != tt.want {
			t.Errorf("RevokeGrants(%+v) = %d, %v; want %d, nil", tt.q, n, err, tt.want)
		}
	}
	if got := listed(); len(got) != 0 {
		t.Errorf("ListGrants after revoking = %q; want none", got)
	}
	if f, err := s.GetRefreshFamily(ctx, tenant, "old"); err != nil || !f.RevokedAt.Equal(at) {
		t.Errorf("GetRefreshFamily(old).RevokedAt = %v, %v; want %v", f.RevokedAt, err, at)
	}
	if fs, err := s.ListGrants(ctx, tenant, other, at); err != nil || len(fs) != 1 {
		t.Errorf("the other user's grants = %d, %v; want 1 untouched", len(fs), err)
	}
	if _, err := s.RevokeGrants(ctx, storage.GrantQuery{TenantID: tenant}, at); err == nil {
		t.Errorf("RevokeGrants without a user or an id = nil; want an error")
	}
}

// testBornRevoked: a family of an ended session or a disabled user is
// created revoked, by CreateRefreshFamily and by RedeemCode alike; the
// redemption then says so (ErrConflict) and writes no event.
func testBornRevoked(t *testing.T, s storage.Store) {
	ctx := context.Background()
	tenant := newTenant(t, s)
	client := newClient(t, s, tenant)
	user, disabled := newUser(t, s, tenant), newUser(t, s, tenant)
	for _, id := range []string{"live", "ended"} {
		if err := s.CreateSession(ctx, storage.Session{TenantID: tenant, ID: id, SecretHash: randBytes(32), UserID: user,
			AuthTime: base, CreatedAt: base, ExpiresAt: base.Add(time.Hour)}, 10); err != nil {
			t.Fatal(err)
		}
	}
	ended := base.Add(time.Minute)
	if _, _, err := s.EndSessions(ctx, storage.SessionQuery{TenantID: tenant, ID: "ended"}, ended); err != nil {
		t.Fatal(err)
	}
	if err := s.SetUserDisabled(ctx, tenant, disabled, true, base); err != nil {
		t.Fatal(err)
	}
	created := base.Add(2 * time.Minute)
	fam := func(id, user, sess string) storage.RefreshFamily {
		return storage.RefreshFamily{TenantID: tenant, ID: id, ClientID: client, UserID: user, SessionID: sess,
			TokenHash: randBytes(32), CreatedAt: created, ExpiresAt: created.Add(time.Hour)}
	}
	for _, tt := range []struct {
		f      storage.RefreshFamily
		redeem bool
		want   time.Time
	}{
		{fam("in-live", user, "live"), false, time.Time{}},
		{fam("no-session", user, ""), false, time.Time{}},
		{fam("unknown-session", user, "gone"), false, time.Time{}},
		{fam("redeemed-in-live", user, "live"), true, time.Time{}},
		{fam("in-ended", user, "ended"), false, ended},
		{fam("redeemed-in-ended", user, "ended"), true, ended},
		{fam("of-disabled", disabled, ""), false, created},
		{fam("redeemed-of-disabled", disabled, "live"), true, created},
	} {
		var err error
		var want error
		if tt.redeem {
			r := storage.Redemption{TenantID: tenant, CodeHash: randBytes(32), ClientID: client, FamilyID: tt.f.ID,
				RedeemedAt: created, ExpiresAt: created.Add(time.Hour)}
			err = s.RedeemCode(ctx, r, &tt.f, &storage.AuditEvent{TenantID: tenant, Time: created, Event: "token.issued", Subject: tt.f.ID})
			if !tt.want.IsZero() {
				want = storage.ErrConflict
			}
			if _, gerr := s.GetRedemption(ctx, tenant, r.CodeHash); gerr != nil {
				t.Errorf("GetRedemption after redeeming %s = %v; want the code spent", tt.f.ID, gerr)
			}
		} else {
			err = s.CreateRefreshFamily(ctx, tt.f)
		}
		checkErr(t, "creating "+tt.f.ID, err, want)
		got, err := s.GetRefreshFamily(ctx, tenant, tt.f.ID)
		if err != nil || !got.RevokedAt.Equal(tt.want) {
			t.Errorf("family %s: RevokedAt %v, %v; want %v", tt.f.ID, got.RevokedAt, err, tt.want)
		}
	}
	// Only the redemption whose grant is live wrote its event.
	checkEvents(t, s, tenant, "after the redemptions", "redeemed-in-live")
}
