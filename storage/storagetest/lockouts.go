package storagetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/edgeauth/edgeauth/storage"
)

func testLockouts(t *testing.T, s storage.Store) {
	ctx := context.Background()
	window := time.Hour

	t.Run("Streak", func(t *testing.T) {
		tenant := newTenant(t, s)
		_, err := s.GetLoginFailures(ctx, tenant, "alice")
		checkErr(t, call("GetLoginFailures", tenant, "alice")+" before any", err, storage.ErrNotFound)
		for i, at := range []time.Duration{0, time.Minute, 2 * time.Minute} {
			f, err := s.RecordLoginFailure(ctx, tenant, "alice", base.Add(at), window)
			if err != nil || f.Count != int64(i+1) || !f.Last.Equal(norm(base.Add(at))) {
				t.Fatalf("RecordLoginFailure #%d = %+v, %v; want count %d at %v", i+1, f, err, i+1, base.Add(at))
			}
		}
		if f, err := s.GetLoginFailures(ctx, tenant, "alice"); err != nil || f.Count != 3 {
			t.Errorf("GetLoginFailures = %+v, %v; want count 3", f, err)
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
		_, err = s.GetLoginFailures(ctx, tenant, "alice")
		checkErr(t, call("GetLoginFailures", tenant, "alice")+" after reset", err, storage.ErrNotFound)
		checkErr(t, call("ResetLoginFailures", tenant, "alice")+" again", s.ResetLoginFailures(ctx, tenant, "alice"), nil)
		_, err = s.RecordLoginFailure(ctx, "st-missing-"+suffix(), "alice", base, window)
		checkErr(t, "RecordLoginFailure of a missing tenant", err, storage.ErrNotFound)
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
