package storagetest

import (
	"context"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/edgeauth/edgeauth/storage"
	"github.com/google/go-cmp/cmp"
)

func testLockouts(t *testing.T, s storage.Store) {
	ctx := context.Background()
	window := time.Hour
	fail := func(tenant, username, source string, at time.Time) (storage.LoginStreaks, error) {
		return s.RecordLoginFailure(ctx, storage.LoginAttempt{TenantID: tenant, Username: username, Source: source, At: at, Window: window})
	}

	t.Run("Streak", func(t *testing.T) {
		tenant := newTenant(t, s)
		_, err := streakOf(s, tenant, "alice", "ip-a")
		checkErr(t, call("GetLoginState", tenant, "alice", "ip-a")+".Failures before any", err, storage.ErrNotFound)
		for i, at := range []time.Duration{0, time.Minute, 2 * time.Minute} {
			st, err := fail(tenant, "alice", "ip-a", base.Add(at))
			want := storage.LoginFailures{Count: int64(i + 1), Last: norm(base.Add(at))}
			if err != nil || st.Source != want || st.All != want {
				t.Fatalf("RecordLoginFailure #%d = %+v, %v; want count %d at %v in both streaks", i+1, st, err, i+1, base.Add(at))
			}
		}
		if f, err := streakOf(s, tenant, "alice", "ip-a"); err != nil || f.Count != 3 || !f.Last.Equal(norm(base.Add(2*time.Minute))) {
			t.Errorf("GetLoginState().Failures = %+v, %v; want count 3, the last at %v", f, err, base.Add(2*time.Minute))
		}
		// Another source has a streak of its own, and adds to every
		// source's.
		st, err := fail(tenant, "alice", "ip-b", base.Add(3*time.Minute))
		if err != nil || st.Source.Count != 1 || st.All.Count != 4 {
			t.Errorf("a failure from another source = %+v, %v; want its own streak 1, every source's 4", st, err)
		}
		if f, err := streakOf(s, tenant, "alice", "*"); err != nil || f.Count != 4 {
			t.Errorf("GetLoginState().AllFailures = %+v, %v; want count 4", f, err)
		}
		if f, err := streakOf(s, tenant, "alice", "ip-c"); err == nil {
			t.Errorf("a source that never failed has a streak: %+v", f)
		}
		// Another username and another tenant are separate streaks.
		if st, _ := fail(tenant, "bob", "ip-a", base); st.Source.Count != 1 || st.All.Count != 1 {
			t.Errorf("bob's first failure counted %+v; want 1 in both streaks", st)
		}
		// After a quiet window a streak starts again.
		if st, _ := fail(tenant, "alice", "ip-a", base.Add(3*time.Minute+window+time.Second)); st.Source.Count != 1 || st.All.Count != 1 {
			t.Errorf("a failure after a quiet window counted %+v; want 1 in both streaks", st)
		}
		checkErr(t, call("ResetLoginFailures", tenant, "alice"), s.ResetLoginFailures(ctx, tenant, "alice"), nil)
		for _, source := range []string{"ip-a", "ip-b", "*"} {
			_, err = streakOf(s, tenant, "alice", source)
			checkErr(t, call("GetLoginState", tenant, "alice", source)+" after reset", err, storage.ErrNotFound)
		}
		checkErr(t, call("ResetLoginFailures", tenant, "alice")+" again", s.ResetLoginFailures(ctx, tenant, "alice"), nil)
		_, err = fail("st-missing-"+suffix(), "alice", "ip-a", base)
		checkErr(t, "RecordLoginFailure of a missing tenant", err, storage.ErrNotFound)
		if _, err := fail(tenant, "alice", "*", base); err == nil {
			t.Errorf("RecordLoginFailure from the reserved source %q = nil; want an error", "*")
		}
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
			if _, err := fail(tenant, name, "ip-a", at); err != nil {
				t.Fatalf("RecordLoginFailure(%s) = %v", name, err)
			}
		}
		if n, err := s.PruneLoginFailures(ctx, old.Add(time.Hour)); n != 2 || err != nil {
			t.Errorf("PruneLoginFailures = %d, %v; want 2 (gone's two streaks), nil", n, err)
		}
		for name, want := range map[string]bool{"gone": false, "at-cut": true, "kept": true} {
			for _, source := range []string{"ip-a", "*"} {
				_, err := streakOf(s, tenant, name, source)
				if got := err == nil; got != want {
					t.Errorf("streak of %s from %s after pruning: present %v; want %v", name, source, got, want)
				}
			}
		}
		if n, err := s.PruneLoginFailures(ctx, old.Add(time.Hour)); n != 0 || err != nil {
			t.Errorf("PruneLoginFailures again = %d, %v; want 0, nil", n, err)
		}
	})

	// GetLoginState reads the user and both streaks of a username at once;
	// each may be missing on its own, and a missing tenant is no error.
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
			if _, err := fail(tenant, name, "ip-a", base); err != nil {
				t.Fatalf("RecordLoginFailure(%q) = %v", name, err)
			}
		}
		wantCarol := carol
		wantCarol.CreatedAt, wantCarol.UpdatedAt = norm(carol.CreatedAt), norm(carol.UpdatedAt)
		streak := &storage.LoginFailures{Count: 1, Last: norm(base)}
		tests := []struct {
			tenant, username, source string
			want                     storage.LoginState
		}{
			{tenant, "carol", "ip-a", storage.LoginState{User: &wantCarol, Failures: streak, AllFailures: streak}},
			{tenant, "carol", "ip-b", storage.LoginState{User: &wantCarol, AllFailures: streak}},
			{tenant, "ghost", "ip-a", storage.LoginState{Failures: streak, AllFailures: streak}},
			{tenant, "dave", "ip-a", storage.LoginState{User: &storage.User{TenantID: tenant, ID: "u-dave", Username: "dave"}}},
			{tenant, "nobody", "ip-a", storage.LoginState{}},
			{other, "carol", "ip-a", storage.LoginState{}},
			{"st-missing-" + suffix(), "carol", "ip-a", storage.LoginState{}},
		}
		for _, tt := range tests {
			got, err := s.GetLoginState(ctx, tt.tenant, tt.username, tt.source)
			if err != nil {
				t.Errorf("%s = %v; want nil", call("GetLoginState", tt.tenant, tt.username, tt.source), err)
				continue
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("%s mismatch (-want +got):\n%s", call("GetLoginState", tt.tenant, tt.username, tt.source), diff)
			}
		}
	})

	// Concurrent failures each take their own place in every streak they
	// count in: from one source, and from many sources in the streak of
	// every source.
	t.Run("Concurrent", func(t *testing.T) {
		tenant := newTenant(t, s)
		one, all := make([]int64, concurrency), make([]int64, concurrency)
		errs := race(concurrency, func(i int) error {
			st, err := fail(tenant, "alice", "ip-a", base)
			one[i] = st.Source.Count
			return err
		})
		errs = append(errs, race(concurrency, func(i int) error {
			st, err := fail(tenant, "alice", "ip-"+strconv.Itoa(i+1), base)
			all[i] = st.All.Count
			return err
		})...)
		for i, err := range errs {
			if err != nil {
				t.Fatalf("RecordLoginFailure #%d = %v", i, err)
			}
		}
		slices.Sort(one)
		slices.Sort(all)
		for i := range concurrency {
			if one[i] != int64(i+1) {
				t.Fatalf("%d concurrent failures from one source counted %v; want each of 1..%d once", concurrency, one, concurrency)
			}
			if all[i] != int64(concurrency+i+1) {
				t.Fatalf("%d concurrent failures from as many sources counted %v in every source's streak; want each of %d..%d once", concurrency, all, concurrency+1, 2*concurrency)
			}
		}
	})
}
