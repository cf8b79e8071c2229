package storagetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/edgeauth/edgeauth/storage"
	"github.com/google/go-cmp/cmp"
)

func testSessions(t *testing.T, s storage.Store) {
	ctx := context.Background()
	// session is a live session of user, created at base+d, for an hour.
	session := func(tenant, user, id string, d time.Duration) storage.Session {
		return storage.Session{TenantID: tenant, ID: id, SecretHash: randBytes(32), UserID: user,
			AuthTime: base.Add(d), CreatedAt: base.Add(d), ExpiresAt: base.Add(d + time.Hour)}
	}
	create := func(t *testing.T, se storage.Session, keep int) {
		t.Helper()
		if err := s.CreateSession(ctx, se, keep); err != nil {
			t.Fatalf("CreateSession(%q) = %v; want nil", se.ID, err)
		}
	}
	ids := func(ss []storage.Session) []string {
		out := []string{}
		for _, x := range ss {
			out = append(out, x.ID)
		}
		return out
	}
	list := func(t *testing.T, tenant, user string, now time.Time) []string {
		t.Helper()
		ss, err := s.ListSessions(ctx, tenant, user, now)
		if err != nil {
			t.Fatalf("ListSessions(%q) = %v; want nil", user, err)
		}
		return ids(ss)
	}

	t.Run("RoundTrip", func(t *testing.T) {
		tenant := newTenant(t, s)
		user := newUser(t, s, tenant)
		in := storage.Session{TenantID: tenant, ID: "s-" + suffix(), SecretHash: allBytes(), UserID: user,
			AuthTime: zoned(-time.Minute), CreatedAt: zoned(0), ExpiresAt: zoned(12 * time.Hour)}
		create(t, in, 10)
		got, u, err := s.GetSession(ctx, tenant, in.ID)
		if err != nil {
			t.Fatalf("GetSession(%q) = %v; want nil", in.ID, err)
		}
		want := in
		want.AuthTime, want.CreatedAt, want.ExpiresAt = norm(in.AuthTime), norm(in.CreatedAt), norm(in.ExpiresAt)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("GetSession(%q) mismatch (-want +got):\n%s", in.ID, diff)
		}
		checkTimes(t, call("GetSession", in.ID), map[string]time.Time{"AuthTime": got.AuthTime, "CreatedAt": got.CreatedAt, "ExpiresAt": got.ExpiresAt})
		// The user read in the same query is the user GetUser reads.
		wantUser, err := s.GetUser(ctx, tenant, user)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(wantUser, u); diff != "" {
			t.Errorf("GetSession(%q) user mismatch (-want +got):\n%s", in.ID, diff)
		}
	})

	t.Run("Errors", func(t *testing.T) {
		tenant, other := newTenant(t, s), newTenant(t, s)
		user := newUser(t, s, tenant)
		create(t, session(tenant, user, "taken", 0), 10)
		tests := []struct {
			name string
			err  error
			want error
		}{
			{"CreateSession with a taken id", s.CreateSession(ctx, session(tenant, user, "taken", time.Second), 10), storage.ErrAlreadyExists},
			{"CreateSession of a missing user", s.CreateSession(ctx, session(tenant, "nobody", "s2", 0), 10), storage.ErrNotFound},
			{"CreateSession in a missing tenant", s.CreateSession(ctx, session("st-missing-"+suffix(), user, "s3", 0), 10), storage.ErrNotFound},
			{call("GetSession", tenant, "nope"), func() error { _, _, err := s.GetSession(ctx, tenant, "nope"); return err }(), storage.ErrNotFound},
			{"GetSession of another tenant's session", func() error { _, _, err := s.GetSession(ctx, other, "taken"); return err }(), storage.ErrNotFound},
		}
		for _, tt := range tests {
			checkErr(t, tt.name, tt.err, tt.want)
		}
		// A failed CreateSession ended no session.
		if got := list(t, tenant, user, base); !cmp.Equal(got, []string{"taken"}) {
			t.Errorf("sessions after the failed creations = %q; want [taken]", got)
		}
	})

	t.Run("Keep", func(t *testing.T) {
		tenant := newTenant(t, s)
		user, other := newUser(t, s, tenant), newUser(t, s, tenant)
		create(t, session(tenant, other, "other", 0), 1)
		// Five sign-ins, the last three in the same second: at most three
		// rows stay, the newest always among them.
		for i, d := range []time.Duration{0, time.Second, 2 * time.Second, 2 * time.Second, 2 * time.Second} {
			create(t, session(tenant, user, fmt.Sprintf("s%d", i), d), 3)
			got := list(t, tenant, user, base)
			if len(got) != min(i+1, 3) || !contains(got, fmt.Sprintf("s%d", i)) {
				t.Errorf("after sign-in %d the sessions are %q; want %d of them, s%d among them", i, got, min(i+1, 3), i)
			}
		}
		if got := list(t, tenant, user, base); contains(got, "s0") || contains(got, "s1") {
			t.Errorf("sessions %q; want the two oldest gone", got)
		}
		if got := list(t, tenant, other, base); !cmp.Equal(got, []string{"other"}) {
			t.Errorf("another user's sessions = %q; want [other] untouched", got)
		}
		create(t, session(tenant, user, "only", 3*time.Second), 1)
		if got := list(t, tenant, user, base); !cmp.Equal(got, []string{"only"}) {
			t.Errorf("after a sign-in that keeps 1: %q; want [only]", got)
		}
	})

	t.Run("List", func(t *testing.T) {
		tenant := newTenant(t, s)
		user := newUser(t, s, tenant)
		create(t, session(tenant, user, "old", 0), 10)
		create(t, session(tenant, user, "new", time.Minute), 10)
		create(t, session(tenant, user, "ended", 2*time.Minute), 10)
		if _, _, err := s.EndSessions(ctx, storage.SessionQuery{TenantID: tenant, ID: "ended"}, base.Add(3*time.Minute)); err != nil {
			t.Fatal(err)
		}
		if got := list(t, tenant, user, base.Add(3*time.Minute)); !cmp.Equal(got, []string{"new", "old"}) {
			t.Errorf("ListSessions = %q; want [new old]: newest first, the ended one left out", got)
		}
		// "old" expires an hour after base: at that instant it is gone.
		if got := list(t, tenant, user, base.Add(time.Hour)); !cmp.Equal(got, []string{"new"}) {
			t.Errorf("ListSessions at old's expiry = %q; want [new]", got)
		}
	})

	t.Run("End", func(t *testing.T) {
		tenant := newTenant(t, s)
		client := newClient(t, s, tenant)
		user, other := newUser(t, s, tenant), newUser(t, s, tenant)
		create(t, session(tenant, user, "a", 0), 10)
		create(t, session(tenant, user, "b", 0), 10)
		create(t, session(tenant, other, "c", 0), 10)
		family := func(id, sess string, expires time.Duration) {
			f := storage.RefreshFamily{TenantID: tenant, ID: id, ClientID: client, UserID: user, SessionID: sess,
				TokenHash: randBytes(32), CreatedAt: base, ExpiresAt: base.Add(expires)}
			if sess == "c" {
				f.UserID = other
			}
			if err := s.CreateRefreshFamily(ctx, f); err != nil {
				t.Fatalf("CreateRefreshFamily(%q) = %v", id, err)
			}
		}
		family("fa", "a", time.Hour)
		family("fa-expired", "a", time.Minute)
		family("fb", "b", time.Hour)
		family("fc", "c", time.Hour)
		family("fnone", "", time.Hour)
		at := base.Add(2 * time.Minute)
		revoked := func(id string) bool {
			f, err := s.GetRefreshFamily(ctx, tenant, id)
			if err != nil {
				t.Fatalf("GetRefreshFamily(%q) = %v", id, err)
			}
			return !f.RevokedAt.IsZero()
		}

		// One session with its grants: its live family only.
		n, g, err := s.EndSessions(ctx, storage.SessionQuery{TenantID: tenant, ID: "a", Grants: true}, at)
		if err != nil || n != 1 || g != 1 {
			t.Errorf("EndSessions(a, grants) = %d, %d, %v; want 1, 1, nil", n, g, err)
		}
		sa, _, err := s.GetSession(ctx, tenant, "a")
		if err != nil || !sa.RevokedAt.Equal(at) {
			t.Errorf("GetSession(a) after EndSessions: RevokedAt %v, %v; want %v", sa.RevokedAt, err, at)
		}
		for id, want := range map[string]bool{"fa": true, "fa-expired": false, "fb": false, "fc": false, "fnone": false} {
			if got := revoked(id); got != want {
				t.Errorf("family %s revoked = %v after ending session a; want %v", id, got, want)
			}
		}
		// Again: nothing left to end.
		if n, g, err := s.EndSessions(ctx, storage.SessionQuery{TenantID: tenant, ID: "a", Grants: true}, at); err != nil || n != 0 || g != 0 {
			t.Errorf("EndSessions(a) again = %d, %d, %v; want 0, 0, nil", n, g, err)
		}
		// Every session of a user, without the grants.
		if n, g, err := s.EndSessions(ctx, storage.SessionQuery{TenantID: tenant, UserID: user}, at); err != nil || n != 1 || g != 0 {
			t.Errorf("EndSessions(user) = %d, %d, %v; want 1 (b), 0, nil", n, g, err)
		}
		if revoked("fb") {
			t.Errorf("family fb revoked by an EndSessions without grants")
		}
		if got := list(t, tenant, other, at); !cmp.Equal(got, []string{"c"}) {
			t.Errorf("the other user's sessions = %q; want [c] untouched", got)
		}
		// A user and an id together: the id must be the user's.
		if n, _, err := s.EndSessions(ctx, storage.SessionQuery{TenantID: tenant, UserID: user, ID: "c"}, at); err != nil || n != 0 {
			t.Errorf("EndSessions(user, another user's id) = %d, %v; want 0, nil", n, err)
		}
		if n, _, err := s.EndSessions(ctx, storage.SessionQuery{TenantID: tenant}, at); err == nil || n != 0 {
			t.Errorf("EndSessions without a user or an id = %d, %v; want an error", n, err)
		}
	})

	t.Run("ConcurrentEnd", func(t *testing.T) {
		tenant := newTenant(t, s)
		user := newUser(t, s, tenant)
		create(t, session(tenant, user, "s", 0), 10)
		counts := make([]int64, concurrency)
		errs := race(concurrency, func(i int) error {
			var err error
			counts[i], _, err = s.EndSessions(ctx, storage.SessionQuery{TenantID: tenant, ID: "s", Grants: true}, base.Add(time.Minute))
			return err
		})
		var sum int64
		for i, err := range errs {
			if err != nil {
				t.Errorf("EndSessions in goroutine %d = %v", i, err)
			}
			sum += counts[i]
		}
		if sum != 1 {
			t.Errorf("%d concurrent EndSessions of one session counted %d; want exactly 1", concurrency, sum)
		}
	})

	t.Run("Prune", func(t *testing.T) {
		tenant := newTenant(t, s)
		user := newUser(t, s, tenant)
		create(t, session(tenant, user, "expired", -2*time.Hour), 10)
		create(t, session(tenant, user, "live", 0), 10)
		n, err := s.PruneSessions(ctx, base)
		if err != nil || n < 1 {
			t.Errorf("PruneSessions = %d, %v; want at least 1, nil", n, err)
		}
		_, _, err = s.GetSession(ctx, tenant, "expired")
		checkErr(t, "GetSession(expired) after PruneSessions", err, storage.ErrNotFound)
		_, _, err = s.GetSession(ctx, tenant, "live")
		checkErr(t, "GetSession(live) after PruneSessions", err, nil)
	})

	t.Run("DeleteUser", func(t *testing.T) {
		tenant := newTenant(t, s)
		user := newUser(t, s, tenant)
		create(t, session(tenant, user, "s", 0), 10)
		if err := s.DeleteUser(ctx, tenant, user); err != nil {
			t.Fatal(err)
		}
		_, _, err := s.GetSession(ctx, tenant, "s")
		checkErr(t, "GetSession after DeleteUser", err, storage.ErrNotFound)
	})
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}
