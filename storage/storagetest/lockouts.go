package storagetest

import (
	"context"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/edgeauth/edgeauth/storage"
	"github.com/google/go-cmp/cmp"
)

func testLockouts(t *testing.T, s storage.Store) {
	ctx := context.Background()
	window := time.Hour

	t.Run("Streak", func(t *testing.T) {
		tenant := newTenant(t, s)
		_, err := streakOf(s, tenant, "alice")
		checkErr(t, call("GetLoginState", tenant, "alice")+".Failures before any", err, storage.ErrNotFound)
		for i, at := range []time.Duration{0, time.Minute, 2 * time.Minute} {
			f, err := s.RecordLoginFailure(ctx, tenant, "alice", base.Add(at), window)
			if err != nil || f.Count != int64(i+1) || !f.Last.Equal(norm(base.Add(at))) {
				t.Fatalf("RecordLoginFailure #%d = %+v, %v; want count %d at %v", i+1, f, err, i+1, base.Add(at))
			}
		}
		if f, err := streakOf(s, tenant, "alice"); err != nil || f.Count != 3 || !f.Last.Equal(norm(base.Add(2*time.Minute))) {
			t.Errorf("GetLoginState().Failures = %+v, %v; want count 3, the last at %v", f, err, base.Add(2*time.Minute))
		}
		// Another username and another tenant are separate streaks.
		if f, _ := s.RecordLoginFailure(ctx, tenant, "bob", base, window); f.Count != 1 {
			t.Errorf("bob's first failure counted %d; want 1", f.Count)
		}
		// After a quiet window the streak starts again.
		if f, _ := s.RecordLoginFailure(ctx, tenant, "alice", base.Add(2*time.Minute+window+time.Second), window); f.Count != 1 {
			t.Errorf("a failure after a quiet window counted %d; want 1", f.Count)
		}
		checkErr(t, call("ResetLoginFailures", tenant, "alice"), s.ResetLoginFailures(ctx, tenant, "alice"), nil)
		_, err = streakOf(s, tenant, "alice")
		checkErr(t, call("GetLoginState", tenant, "alice")+".Failures after reset", err, storage.ErrNotFound)
		checkErr(t, call("ResetLoginFailures", tenant, "alice")+" again", s.ResetLoginFailures(ctx, tenant, "alice"), nil)
		_, err = s.RecordLoginFailure(ctx, "st-missing-"+suffix(), "alice", base, window)
		checkErr(t, "RecordLoginFailure of a missing tenant", err, storage.ErrNotFound)
	})

	// PruneLoginFailures acts on every tenant: times long before anything
	// else the suite writes, at a random offset, as the audit test does.
	t.Run("Prune", func(t *testing.T) {
		tenant := newTenant(t, s)
		old := time.Unix(1e9+rand.Int64N(1e8), 0).UTC()
		if _, err := s.PruneLoginFailures(ctx, old.Add(time.Hour)); err != nil { // leftovers of an earlier run
			t.Fatalf("PruneLoginFailures before the test = %v; want nil", err)
		}
		for name, at := range map[string]time.Time{"gone": old, "at-cut": old.Add(time.Hour), "kept": old.Add(2 * time.Hour)} {
			if _, err := s.RecordLoginFailure(ctx, tenant, name, at, window); err != nil {
				t.Fatalf("RecordLoginFailure(%s) = %v", name, err)
			}
		}
		if n, err := s.PruneLoginFailures(ctx, old.Add(time.Hour)); n != 1 || err != nil {
			t.Errorf("PruneLoginFailures = %d, %v; want 1, nil", n, err)
		}
		for name, want := range map[string]bool{"gone": false, "at-cut": true, "kept": true} {
			_, err := streakOf(s, tenant, name)
			if got := err == nil; got != want {
				t.Errorf("streak of %s after pruning: present %v; want %v", name, got, want)
			}
		}
		if n, err := s.PruneLoginFailures(ctx, old.Add(time.Hour)); n != 0 || err != nil {
			t.Errorf("PruneLoginFailures again = %d, %v; want 0, nil", n, err)
		}
	})

	// GetLoginState reads both sides of a username at once; each may be
	// missing on its own, and a missing tenant is no error.
	t.Run("LoginState", func(t *testing.T) {
		tenant, other := newTenant(t, s), newTenant(t, s)
		carol := storage.User{TenantID: tenant, ID: "u-carol", Username: "carol", Email: "c@example.com",
			PasswordHash: "$pbkdf2-sha512$i=1$c2FsdA$a2V5", Roles: []string{"admin"}, CreatedAt: zoned(0), UpdatedAt: zoned(time.Second)}
		for _, u := range []storage.User{carol, {TenantID: tenant, ID: "u-dave", Username: "dave"}} {
			if err := s.CreateUser(ctx, u); err != nil {
				t.Fatalf("CreateUser(%q) = %v", u.ID, err)
			}
		}
		for _, name := range []string{"carol", "ghost"} {
			if _, err := s.RecordLoginFailure(ctx, tenant, name, base, window); err != nil {
				t.Fatalf("RecordLoginFailure(%q) = %v", name, err)
			}
		}
		wantCarol := carol
		wantCarol.CreatedAt, wantCarol.UpdatedAt = norm(carol.CreatedAt), norm(carol.UpdatedAt)
		streak := &storage.LoginFailures{Count: 1, Last: norm(base)}
		tests := []struct {
			tenant, username string
			want             storage.LoginState
		}{
			{tenant, "carol", storage.LoginState{User: &wantCarol, Failures: streak}},
			{tenant, "ghost", storage.LoginState{Failures: streak}},
			{tenant, "dave", storage.LoginState{User: &storage.User{TenantID: tenant, ID: "u-dave", Username: "dave"}}},
			{tenant, "nobody", storage.LoginState{}},
			{other, "carol", storage.LoginState{}},
			{"st-missing-" + suffix(), "carol", storage.LoginState{}},
		}
		for _, tt := range tests {
			got, err := s.GetLoginState(ctx, tt.tenant, tt.username)
			if err != nil {
				t.Errorf("%s = %v; want nil", call("GetLoginState", tt.tenant, tt.username), err)
				continue
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("%s mismatch (-want +got):\n%s", call("GetLoginState", tt.tenant, tt.username), diff)
			}
		}
	})

	t.Run("Concurrent", func(t *testing.T) {
		tenant := newTenant(t, s)
		counts := make([]int64, concurrency)
		errs := race(concurrency, func(i int) error {
			f, err := s.RecordLoginFailure(ctx, tenant, "alice", base, window)
			counts[i] = f.Count
			return err
		})
		for i, err := range errs {
			if err != nil {
				t.Fatalf("RecordLoginFailure #%d = %v", i, err)
			}
		}
		slices.Sort(counts)
		for i, c := range counts {
			if c != int64(i+1) {
				t.Fatalf("%d concurrent failures counted %v; want each of 1..%d once", concurrency, counts, concurrency)
			}
		}
	})
}
