//go:build !js

package jwks

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/edgeauth/edgeauth/storage"
	"github.com/edgeauth/edgeauth/storage/sqlstore"
)

// newRotationStore is a real SQLite store (with the one-next-key index
// and compare-and-set semantics the rotation relies on) holding one tenant.
func newRotationStore(t *testing.T, tenant string) storage.Store {
	t.Helper()
	store, db, err := sqlstore.OpenSQLite(filepath.Join(t.TempDir(), "keys.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := store.CreateTenant(context.Background(), storage.Tenant{ID: tenant}); err != nil {
		t.Fatal(err)
	}
	return store
}

var testPolicy = Policy{Alg: ES256, Period: 4 * time.Hour, MaxTokenLifetime: 10 * time.Minute}

// byUseState groups the keys of one use by state.
func byUseState(keys []storage.SigningKey, use storage.KeyUse) map[storage.KeyState][]storage.SigningKey {
	m := map[storage.KeyState][]storage.SigningKey{}
	for _, k := range keys {
		if k.Use == use {
			m[k.State] = append(m[k.State], k)
		}
	}
	return m
}

// TestRotationSchedule runs the cron every five minutes over three
// rotation periods, signing a token at every step, and checks DESIGN.md's
// rules at every step: one current and one next key per use; a key signs
// only after it was published for two cache lifetimes; every key that
// signed a token that is still valid, or was valid within one cache
// lifetime, is still published.
func TestRotationSchedule(t *testing.T) {
	ctx := context.Background()
	store := newRotationStore(t, "acme")
	r := &Rotator{Store: store, Sealer: newTestSealer(t)}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if _, err := r.Bootstrap(ctx, "acme", ES256, t0); err != nil {
		t.Fatal(err)
	}
	cache := testPolicy.CacheLifetime()
	type signed struct {
		kid string
		at  time.Time
	}
	var tokens []signed
	activations := map[string]bool{}
	for now := t0; now.Before(t0.Add(3*testPolicy.Period + 90*time.Minute)); now = now.Add(5 * time.Minute) {
		if _, err := r.Advance(ctx, "acme", testPolicy, now); err != nil {
			t.Fatalf("Advance at %v: %v", now.Sub(t0), err)
		}
		keys, err := store.ListKeys(ctx, "acme")
		if err != nil {
			t.Fatal(err)
		}
		for _, use := range []storage.KeyUse{storage.UseAccessToken, storage.UseIDToken} {
			m := byUseState(keys, use)
			if len(m[storage.KeyCurrent]) != 1 || len(m[storage.KeyNext]) != 1 {
				t.Fatalf("at %v, %s keys: %d current, %d next; want 1 and 1", now.Sub(t0), use, len(m[storage.KeyCurrent]), len(m[storage.KeyNext]))
			}
		}
		cur, _ := Current(keys, storage.UseAccessToken)
		if !activations[cur.KID] && cur.ActivatedAt.After(t0) {
			activations[cur.KID] = true
			if published := cur.ActivatedAt.Sub(cur.CreatedAt); published < 2*cache {
				t.Errorf("key %s signs after %v published; want at least two cache lifetimes (%v)", cur.KID, published, 2*cache)
			}
		}
		tokens = append(tokens, signed{cur.KID, now})
		published := map[string]bool{}
		for _, k := range Published(keys) {
			published[k.KID] = true
		}
		for _, tok := range tokens {
			if now.Before(tok.at.Add(testPolicy.MaxTokenLifetime+cache)) && !published[tok.kid] {
				t.Fatalf("at %v the key of a token signed at %v is gone", now.Sub(t0), tok.at.Sub(t0))
			}
		}
	}
	if len(activations) != 3 {
		t.Errorf("%d rotations in three periods; want 3", len(activations))
	}
	// Retired keys are deleted once their tokens and cached copies expired.
	keys, _ := store.ListKeys(ctx, "acme")
	if n := len(byUseState(keys, storage.UseAccessToken)[storage.KeyRetired]); n != 0 {
		t.Errorf("%d retired access keys remain 90 minutes after the last rotation; want 0 (deleted after %v)", n, testPolicy.MaxTokenLifetime+cache)
	}
}

// TestConcurrentAdvance: twenty cron runs at once when a rotation is due
// end with one current key, one next key, and the old key retired, not lost.
func TestConcurrentAdvance(t *testing.T) {
	ctx := context.Background()
	store := newRotationStore(t, "acme")
	r := &Rotator{Store: store, Sealer: newTestSealer(t)}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	boot, err := r.Bootstrap(ctx, "acme", ES256, t0)
	if err != nil {
		t.Fatal(err)
	}
	due := t0.Add(testPolicy.Period)
	var wg sync.WaitGroup
	errs := make([]error, 20)
	for i := range errs {
		wg.Go(func() { _, errs[i] = r.Advance(ctx, "acme", testPolicy, due) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Advance #%d: %v", i, err)
		}
	}
	keys, _ := store.ListKeys(ctx, "acme")
	m := byUseState(keys, storage.UseAccessToken)
	if len(m[storage.KeyCurrent]) != 1 || len(m[storage.KeyNext]) != 1 || len(m[storage.KeyRetired]) != 1 {
		t.Fatalf("after concurrent rotations: %d current, %d next, %d retired; want 1, 1, 1", len(m[storage.KeyCurrent]), len(m[storage.KeyNext]), len(m[storage.KeyRetired]))
	}
	if m[storage.KeyCurrent][0].KID != boot[1].KID || m[storage.KeyRetired][0].KID != boot[0].KID {
		t.Errorf("the bootstrap's next key should sign and its current key be retired")
	}
}

func TestRotateNowAndRevoke(t *testing.T) {
	ctx := context.Background()
	store := newRotationStore(t, "acme")
	r := &Rotator{Store: store, Sealer: newTestSealer(t)}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	boot, err := r.Bootstrap(ctx, "acme", ES256, t0)
	if err != nil {
		t.Fatal(err)
	}
	// Rotate now: the next key signs at once, even though it was published
	// only a minute ago.
	if err := r.RotateNow(ctx, "acme", testPolicy, t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	keys, _ := store.ListKeys(ctx, "acme")
	cur, _ := Current(keys, storage.UseAccessToken)
	m := byUseState(keys, storage.UseAccessToken)
	if cur.KID != boot[1].KID || len(m[storage.KeyNext]) != 1 || len(m[storage.KeyRetired]) != 1 {
		t.Fatalf("after RotateNow: current %s, %d next, %d retired", cur.KID, len(m[storage.KeyNext]), len(m[storage.KeyRetired]))
	}
	// Revoke the signing key: it is gone, the next one signs, a new next exists.
	next := m[storage.KeyNext][0]
	if err := r.Revoke(ctx, "acme", cur.KID, testPolicy, t0.Add(2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	keys, _ = store.ListKeys(ctx, "acme")
	if slices.ContainsFunc(Published(keys), func(k storage.SigningKey) bool { return k.KID == cur.KID }) {
		t.Errorf("the revoked key is still published")
	}
	cur2, _ := Current(keys, storage.UseAccessToken)
	if cur2.KID != next.KID || len(byUseState(keys, storage.UseAccessToken)[storage.KeyNext]) != 1 {
		t.Errorf("after revoking the signing key: current %s (want %s), next keys %d (want 1)", cur2.KID, next.KID, len(byUseState(keys, storage.UseAccessToken)[storage.KeyNext]))
	}
	if err := r.Revoke(ctx, "acme", "no-such-kid", testPolicy, t0); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("Revoke(unknown kid) = %v; want %v", err, storage.ErrNotFound)
	}
}

// TestAlgorithmChange: a tenant that switches to EdDSA gets an EdDSA next
// key at the following rotation; nothing is replaced early.
func TestAlgorithmChange(t *testing.T) {
	ctx := context.Background()
	store := newRotationStore(t, "acme")
	r := &Rotator{Store: store, Sealer: newTestSealer(t)}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if _, err := r.Bootstrap(ctx, "acme", ES256, t0); err != nil {
		t.Fatal(err)
	}
	p := testPolicy
	p.Alg = EdDSA
	for i, at := range []time.Duration{testPolicy.Period, 2 * testPolicy.Period} {
		if _, err := r.Advance(ctx, "acme", p, t0.Add(at)); err != nil {
			t.Fatal(err)
		}
		keys, _ := store.ListKeys(ctx, "acme")
		cur, _ := Current(keys, storage.UseAccessToken)
		next := byUseState(keys, storage.UseAccessToken)[storage.KeyNext][0]
		want := []string{fmt.Sprint(ES256, EdDSA), fmt.Sprint(EdDSA, EdDSA)}[i]
		if got := fmt.Sprint(cur.Alg, next.Alg); got != want {
			t.Errorf("rotation %d: current/next algs %s; want %s", i+1, got, want)
		}
	}
}
