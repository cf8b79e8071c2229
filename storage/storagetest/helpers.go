package storagetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/edgeauth/edgeauth/storage"
	"github.com/google/go-cmp/cmp"
)

// concurrency is how many goroutines race in the single-use tests.
const concurrency = 50

// base is the suite's fixed clock: a whole second, in UTC.
var base = time.Date(2025, 3, 14, 15, 9, 26, 0, time.UTC)

// zoned returns base+d in a non-UTC zone with sub-second noise, so that a
// round-trip has to normalize it.
func zoned(d time.Duration) time.Time {
	return base.Add(d).Add(987654321 * time.Nanosecond).In(time.FixedZone("UTC+5:30", 5*3600+1800))
}

// norm is what a store must return for t: UTC, truncated to the second.
func norm(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.Truncate(time.Second).UTC()
}

// suffix returns 8 random hex digits.
func suffix() string {
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

// randBytes returns n random bytes.
func randBytes(n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return b
}

// allBytes returns the 256 byte values, including NUL and invalid UTF-8.
func allBytes() []byte {
	b := make([]byte, 256)
	for i := range b {
		b[i] = byte(i)
	}
	return b
}

// newTenant creates a tenant with a fresh id and deletes it when t ends.
func newTenant(t *testing.T, s storage.Store) string {
	t.Helper()
	id := "st-" + suffix()
	if err := s.CreateTenant(context.Background(), storage.Tenant{ID: id, Name: id, CreatedAt: base, UpdatedAt: base}); err != nil {
		t.Fatalf("CreateTenant(%q) = %v; want nil", id, err)
	}
	t.Cleanup(func() {
		err := s.DeleteTenant(context.Background(), id)
		if err != nil && !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("cleanup: DeleteTenant(%q) = %v", id, err)
		}
	})
	return id
}

// newClient creates a minimal client in tenant and returns its id.
func newClient(t *testing.T, s storage.Store, tenant string) string {
	t.Helper()
	id := "client-" + suffix()
	c := storage.Client{TenantID: tenant, ID: id, Name: id, CreatedAt: base, UpdatedAt: base}
	if err := s.CreateClient(context.Background(), c); err != nil {
		t.Fatalf("CreateClient(%q, %q) = %v; want nil", tenant, id, err)
	}
	return id
}

// newUser creates a minimal user in tenant and returns its id.
func newUser(t *testing.T, s storage.Store, tenant string) string {
	t.Helper()
	id := "user-" + suffix()
	u := storage.User{TenantID: tenant, ID: id, Username: id, CreatedAt: base, UpdatedAt: base}
	if err := s.CreateUser(context.Background(), u); err != nil {
		t.Fatalf("CreateUser(%q, %q) = %v; want nil", tenant, id, err)
	}
	return id
}

// race runs f concurrently in n goroutines and returns their errors.
func race(n int, f func(i int) error) []error {
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			errs[i] = f(i)
		}()
	}
	close(start)
	wg.Wait()
	return errs
}

// checkRace asserts that exactly one of errs is nil and all others are
// loser (compared with errors.Is). It returns the winner's index.
func checkRace(t *testing.T, call string, errs []error, loser error) int {
	t.Helper()
	winner, nils, losers := -1, 0, 0
	for i, err := range errs {
		switch {
		case err == nil:
			nils++
			winner = i
		case errors.Is(err, loser):
			losers++
		default:
			t.Errorf("%s in goroutine %d = %v; want nil or %v", call, i, err, loser)
		}
	}
	if nils != 1 || losers != len(errs)-1 {
		t.Errorf("%s from %d goroutines: %d nil, %d %v; want 1 nil, %d %v",
			call, len(errs), nils, losers, loser, len(errs)-1, loser)
	}
	return winner
}

// checkErr asserts errors.Is(err, want); want nil means err must be nil.
func checkErr(t *testing.T, call string, err, want error) {
	t.Helper()
	if want == nil {
		if err != nil {
			t.Errorf("%s = %v; want nil", call, err)
		}
		return
	}
	if !errors.Is(err, want) {
		t.Errorf("%s = %v; want %v", call, err, want)
	}
}

// checkTimes asserts that every named time is zero or in UTC without a
// sub-second part. cmp compares times with Equal, which ignores both.
func checkTimes(t *testing.T, what string, times map[string]time.Time) {
	t.Helper()
	for name, tm := range times {
		if tm.IsZero() {
			continue
		}
		if tm.Location() != time.UTC || tm.Nanosecond() != 0 {
			t.Errorf("%s: %s = %v (location %v); want UTC, whole seconds", what, name, tm, tm.Location())
		}
	}
}

func call(name string, args ...any) string {
	s := name + "("
	for i, a := range args {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprintf("%q", a)
	}
	return s + ")"
}

// checkEvents fails t unless the tenant's audit log holds exactly events
// with the subjects want, oldest first.
func checkEvents(t *testing.T, s storage.Store, tenant, when string, want ...string) {
	t.Helper()
	events, err := s.ListAudit(context.Background(), storage.AuditQuery{TenantID: tenant, Limit: len(want) + 10})
	if err != nil {
		t.Fatalf("ListAudit(%q) %s = %v; want nil", tenant, when, err)
	}
	got := []string{}
	for i := len(events) - 1; i >= 0; i-- {
		got = append(got, events[i].Subject)
	}
	if want == nil {
		want = []string{}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("audit subjects %s mismatch (-want +got):\n%s", when, diff)
	}
}

// userByName is the user side of GetLoginState, ErrNotFound for none.
func userByName(s storage.Store, tenant, username string) (storage.User, error) {
	return loginSide(s, tenant, username, "ip-none", func(st storage.LoginState) *storage.User { return st.User })
}

// streakOf is the streak of username from source that GetLoginState
// reads ("*": the streak of every source), ErrNotFound for none.
func streakOf(s storage.Store, tenant, username, source string) (storage.LoginFailures, error) {
	if source == "*" {
		return loginSide(s, tenant, username, "ip-none", func(st storage.LoginState) *storage.LoginFailures { return st.AllFailures })
	}
	return loginSide(s, tenant, username, source, func(st storage.LoginState) *storage.LoginFailures { return st.Failures })
}

func loginSide[T any](s storage.Store, tenant, username, source string, side func(storage.LoginState) *T) (T, error) {
	var zero T
	st, err := s.GetLoginState(context.Background(), tenant, username, source)
	if err != nil {
		return zero, err
	}
	if p := side(st); p != nil {
		return *p, nil
	}
	return zero, storage.ErrNotFound
}
