package verify_test

import (
	"errors"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/edgeauth/edgeauth/verify"
)

// wantFetches fails unless the key server has served n JWKS requests.
func wantFetches(t *testing.T, ks *keyServer, n int64) {
	t.Helper()
	if got := ks.jwksFetches.Load(); got != n {
		t.Fatalf("JWKS fetches = %d; want %d", got, n)
	}
}

// TestRotation issues and verifies tokens on a fake clock across three key
// rotations scheduled the way edgeauth schedules them (DESIGN.md, Keys):
// key i is published as next one rotation period before it signs (four
// cache lifetimes, at least two), signs for one period, and stays
// published as retired until its last token has expired plus one cache
// lifetime. A verifier that honours max-age must never fail.
func TestRotation(t *testing.T) {
	const (
		cacheLife = time.Hour     // jwks.CacheMaxAge(4h)
		period    = 4 * cacheLife // rotation period
		tokenTTL  = time.Hour
		step      = 7 * time.Minute // not a divisor of the cache lifetime: fetches drift across boundaries
	)
	keys := []*testKey{newKey(t, jose.ES256), newKey(t, jose.EdDSA), newKey(t, jose.RS256), newKey(t, jose.ES256)}
	signs := func(i int) time.Time { return t0.Add(time.Duration(i) * period) }
	published := func(i int, now time.Time) bool {
		from := signs(i - 1) // next for one period before it signs
		until := signs(i + 1).Add(tokenTTL + cacheLife)
		return i == 0 || !now.Before(from) && now.Before(until)
	}
	if published(1, t0.Add(-1)) || !published(1, t0) || signs(1).Sub(signs(0)) < 2*cacheLife {
		t.Fatal("schedule does not pre-publish next keys two cache lifetimes ahead")
	}

	ks := newKeyServer(t)
	ks.cacheControl = fmt.Sprintf("public, max-age=%d", int(cacheLife/time.Second))
	clk := newClock()
	// strict never refetches before its set expires (its cooldown is the
	// whole cache lifetime), so a refetch on an unknown kid cannot hide a
	// schedule that publishes keys too late; def has the default options.
	strict := newVerifier(t, ks, clk, verify.Options{MinCacheTTL: cacheLife, RefreshCooldown: cacheLife})
	def := newVerifier(t, ks, clk, verify.Options{})

	type issued struct {
		token string
		exp   time.Time
		key   int
	}
	var live []issued
	verified, failures := 0, 0
	end := signs(len(keys) - 1).Add(period / 2) // three rotations, then half a period
	for now := clk.Now(); now.Before(end); clk.Advance(step) {
		now = clk.Now()
		var pub []*testKey
		current := -1
		for i, k := range keys {
			if published(i, now) {
				pub = append(pub, k)
			}
			if !now.Before(signs(i)) {
				current = i
			}
		}
		ks.setKeys(pub...)
		c := claims(ks, now)
		c["exp"] = now.Add(tokenTTL).Unix()
		live = append(live, issued{tok{key: keys[current], claims: c}.mint(t), now.Add(tokenTTL), current})

		kept := live[:0]
		for _, it := range live {
			if !now.Before(it.exp) {
				continue // expired: edgeauth's clients refresh before this
			}
			kept = append(kept, it)
			for name, v := range map[string]*verify.Verifier{"strict": strict, "default": def} {
				verified++
				if _, err := v.Verify(t.Context(), it.token); err != nil {
					failures++
					t.Errorf("at %v: %s Verify(token of key %d) = %v", now.Sub(t0), name, it.key, err)
				}
			}
		}
		live = kept
	}
	if failures != 0 || verified < 2000 {
		t.Fatalf("%d of %d verifications failed", failures, verified)
	}
	// Two verifiers, one fetch per cache lifetime each.
	if got, most := ks.jwksFetches.Load(), 2*(int64(end.Sub(t0)/cacheLife)+1); got > most {
		t.Errorf("JWKS fetches = %d; want at most %d", got, most)
	}
	t.Logf("%d verifications over %v, %d JWKS fetches", verified, end.Sub(t0), ks.jwksFetches.Load())
}

// TestRevokedKey: a key removed from the JWKS stops verifying once the
// cached set expires, that is within one cache lifetime of its removal.
func TestRevokedKey(t *testing.T) {
	es, ed, _ := sharedKeys(t)
	ks := newKeyServer(t, es, ed)
	ks.cacheControl = "public, max-age=300"
	clk := newClock()
	v := newVerifier(t, ks, clk, verify.Options{})

	token := func() string {
		c := claims(ks, clk.Now())
		return tok{key: es, claims: c}.mint(t)
	}
	if _, err := v.Verify(t.Context(), token()); err != nil {
		t.Fatalf("Verify before revocation = %v", err)
	}
	clk.Advance(10 * time.Second)
	ks.setKeys(ed) // es revoked
	clk.Advance(289 * time.Second)
	// Still cached: the verifier cannot know yet.
	if _, err := v.Verify(t.Context(), token()); err != nil {
		t.Fatalf("Verify 1s before the cache expires = %v", err)
	}
	wantFetches(t, ks, 1)
	clk.Advance(time.Second) // max-age after the first fetch
	for range 3 {
		_, err := v.Verify(t.Context(), token())
		checkErr(t, "Verify(revoked key) after max-age", err, verify.ErrUnknownKey)
	}
	if _, err := v.Verify(t.Context(), tok{key: ed, claims: claims(ks, clk.Now())}.mint(t)); err != nil {
		t.Fatalf("Verify(other key) = %v", err)
	}
	wantFetches(t, ks, 2)
}

// TestUnknownKidSingleFlight: 1,000 concurrent Verify calls with a kid the
// cached set lacks cause exactly one JWKS fetch, and there is never more
// than one request outstanding.
func TestUnknownKidSingleFlight(t *testing.T) {
	es, _, _ := sharedKeys(t)
	for _, tc := range []struct {
		name      string
		published bool // the new kid is in the refetched set
		want      error
	}{
		{"kid published since the last fetch", true, nil},
		{"kid never published", false, verify.ErrUnknownKey},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ks := newKeyServer(t, es)
			clk := newClock()
			v := newVerifier(t, ks, clk, verify.Options{})
			if _, err := v.Verify(t.Context(), tok{key: es, claims: claims(ks, clk.Now())}.mint(t)); err != nil {
				t.Fatal(err)
			}
			wantFetches(t, ks, 1)
			clk.Advance(verify.DefaultRefreshCooldown)

			fresh := newKey(t, jose.ES256)
			if tc.published {
				ks.setKeys(es, fresh)
			}
			token := tok{key: fresh, claims: claims(ks, clk.Now())}.mint(t)
			gate := make(chan bool)
			ks.set(func(ks *keyServer) { ks.gate = gate })

			const n = 1000
			errs := make([]error, n)
			var started, done sync.WaitGroup
			started.Add(n)
			for i := range n {
				done.Go(func() {
					started.Done()
					_, errs[i] = v.Verify(t.Context(), token)
				})
			}
			started.Wait()
			<-ks.entered // the one fetch is at the server, held there
			close(gate)
			done.Wait()

			for i, err := range errs {
				if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
					t.Fatalf("Verify #%d = %v; want %v", i, err, tc.want)
				}
			}
			wantFetches(t, ks, 2)
			if got := ks.maxInFlight.Load(); got != 1 {
				t.Errorf("max concurrent JWKS requests = %d; want 1", got)
			}
		})
	}
}

// TestColdStartSingleFlight: the first fetch of a new Verifier is shared
// by everyone who needs it.
func TestColdStartSingleFlight(t *testing.T) {
	es, _, _ := sharedKeys(t)
	ks := newKeyServer(t, es)
	clk := newClock()
	v := newVerifier(t, ks, clk, verify.Options{})
	token := tok{key: es, claims: claims(ks, clk.Now())}.mint(t)
	gate := make(chan bool)
	ks.set(func(ks *keyServer) { ks.gate = gate })
	var wg sync.WaitGroup
	errs := make([]error, 200)
	for i := range errs {
		wg.Go(func() { _, errs[i] = v.Verify(t.Context(), token) })
	}
	<-ks.entered
	close(gate)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	wantFetches(t, ks, 1)
	if got := ks.mdFetches.Load(); got != 1 {
		t.Errorf("metadata fetches = %d; want 1", got)
	}
}

// TestUnknownKidCooldown: two unknown-kid tokens within the cooldown cost
// one fetch; the second fails at once even though its key has since been
// published, and verifies once the cooldown has passed.
func TestUnknownKidCooldown(t *testing.T) {
	es, ed, _ := sharedKeys(t)
	ks := newKeyServer(t, es)
	clk := newClock()
	v := newVerifier(t, ks, clk, verify.Options{RefreshCooldown: 30 * time.Second})
	if _, err := v.Verify(t.Context(), tok{key: es, claims: claims(ks, clk.Now())}.mint(t)); err != nil {
		t.Fatal(err)
	}
	clk.Advance(30 * time.Second)

	a := tok{key: es, kid: "forged-a", claims: claims(ks, clk.Now())}.mint(t)
	_, err := v.Verify(t.Context(), a)
	checkErr(t, "Verify(unknown kid a)", err, verify.ErrUnknownKey)
	wantFetches(t, ks, 2)

	ks.setKeys(es, ed)
	clk.Advance(29 * time.Second)
	b := tok{key: ed, claims: claims(ks, clk.Now())}.mint(t)
	_, err = v.Verify(t.Context(), b)
	checkErr(t, "Verify(unknown kid b) within the cooldown", err, verify.ErrUnknownKey)
	wantFetches(t, ks, 2)

	clk.Advance(time.Second)
	if _, err := v.Verify(t.Context(), b); err != nil {
		t.Fatalf("Verify(kid b) after the cooldown = %v", err)
	}
	wantFetches(t, ks, 3)
	// A known kid never fetches.
	for range 10 {
		if _, err := v.Verify(t.Context(), b); err != nil {
			t.Fatal(err)
		}
	}
	wantFetches(t, ks, 3)
}

// TestCacheLifetime: the set is fresh for max-age clamped to the bounds,
// less the Age header.
func TestCacheLifetime(t *testing.T) {
	es, _, _ := sharedKeys(t)
	for _, tc := range []struct {
		name         string
		cacheControl string
		age          string
		opts         verify.Options
		fresh        time.Duration
	}{
		{"max-age", "public, max-age=600", "", verify.Options{}, 600 * time.Second},
		{"below MinCacheTTL", "max-age=5", "", verify.Options{}, verify.DefaultMinCacheTTL},
		{"above MaxCacheTTL", "max-age=7200", "", verify.Options{MaxCacheTTL: time.Hour}, time.Hour},
		{"no max-age", "public", "", verify.Options{}, verify.DefaultMinCacheTTL},
		{"no-cache", "no-cache, max-age=600", "", verify.Options{}, verify.DefaultMinCacheTTL},
		{"Age subtracted", "max-age=600", "100", verify.Options{}, 500 * time.Second},
		{"custom MinCacheTTL", "", "", verify.Options{MinCacheTTL: 2 * time.Minute}, 2 * time.Minute},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ks := newKeyServer(t, es)
			ks.cacheControl = tc.cacheControl
			if tc.age != "" {
				ks.srv.Config.Handler = withHeader(ks.srv.Config.Handler, "Age", tc.age)
			}
			clk := newClock()
			v := newVerifier(t, ks, clk, tc.opts)
			verifyAt := func(d time.Duration) {
				t.Helper()
				clk.Set(t0.Add(d))
				if _, err := v.Verify(t.Context(), tok{key: es, claims: claims(ks, clk.Now())}.mint(t)); err != nil {
					t.Fatalf("Verify at %v = %v", d, err)
				}
			}
			verifyAt(0)
			verifyAt(tc.fresh - time.Second)
			wantFetches(t, ks, 1)
			verifyAt(tc.fresh)
			wantFetches(t, ks, 2)
		})
	}
}

func withHeader(h http.Handler, k, v string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set(k, v)
		h.ServeHTTP(w, r)
	})
}

// TestStaleIfError: when refetches fail, an expired set keeps verifying
// for MaxStale, then Verify fails with ErrUnavailable; failed fetches are
// retried at most once per cooldown.
func TestStaleIfError(t *testing.T) {
	es, _, _ := sharedKeys(t)
	ks := newKeyServer(t, es)
	ks.cacheControl = "max-age=60"
	clk := newClock()
	v := newVerifier(t, ks, clk, verify.Options{MaxStale: 2 * time.Minute})
	check := func(want error) {
		t.Helper()
		_, err := v.Verify(t.Context(), tok{key: es, claims: claims(ks, clk.Now())}.mint(t))
		checkErr(t, fmt.Sprintf("Verify at %v", clk.Now().Sub(t0)), err, want)
	}
	check(nil)
	ks.set(func(ks *keyServer) { ks.jwksStatus = http.StatusBadGateway })
	clk.Advance(60 * time.Second) // expired: refetch fails, stale keys serve
	check(nil)
	wantFetches(t, ks, 2)
	clk.Advance(10 * time.Second) // within the cooldown: no retry
	check(nil)
	wantFetches(t, ks, 2)
	clk.Advance(20 * time.Second) // cooldown over: retry, fails, stale
	check(nil)
	wantFetches(t, ks, 3)
	clk.Advance(90 * time.Second) // 60s + 120s MaxStale reached
	check(verify.ErrUnavailable)
	wantFetches(t, ks, 4)
	ks.set(func(ks *keyServer) { ks.jwksStatus = 0 })
	check(verify.ErrUnavailable) // within the cooldown of the failed fetch
	clk.Advance(verify.DefaultRefreshCooldown)
	check(nil)
	wantFetches(t, ks, 5)

	// MaxStale < 0: no stale serving at all.
	v = newVerifier(t, ks, clk, verify.Options{MaxStale: -1})
	check(nil)
	ks.set(func(ks *keyServer) { ks.jwksStatus = http.StatusInternalServerError })
	clk.Advance(60 * time.Second)
	check(verify.ErrUnavailable)
}

// TestUnknownKidWhileTheIssuerFails: a kid the cached set lacks, whose
// refetch fails, cannot be told from a key published since (a rotation):
// Verify answers ErrUnavailable (the caller answers 503), not
// ErrUnknownKey (401); once the issuer answers, an unknown kid is
// ErrUnknownKey again.
func TestUnknownKidWhileTheIssuerFails(t *testing.T) {
	es, _, _ := sharedKeys(t)
	ks := newKeyServer(t, es)
	clk := newClock()
	v := newVerifier(t, ks, clk, verify.Options{})
	unknown := func(want error) {
		t.Helper()
		_, err := v.Verify(t.Context(), tok{key: es, kid: "rotated-" + fmt.Sprint(clk.Now().Unix()), claims: claims(ks, clk.Now())}.mint(t))
		checkErr(t, "Verify with an unknown kid", err, want)
	}
	if _, err := v.Verify(t.Context(), tok{key: es, claims: claims(ks, clk.Now())}.mint(t)); err != nil {
		t.Fatal(err)
	}
	ks.set(func(ks *keyServer) { ks.jwksStatus = http.StatusBadGateway })
	clk.Advance(verify.DefaultRefreshCooldown)
	unknown(verify.ErrUnavailable)
	ks.set(func(ks *keyServer) { ks.jwksStatus = 0 })
	clk.Advance(verify.DefaultRefreshCooldown)
	unknown(verify.ErrUnknownKey)
}

// TestDiscovery: the metadata must name the issuer; failures are retried
// once per cooldown; success is kept for the Verifier's life; JWKSURI skips
// it.
func TestDiscovery(t *testing.T) {
	es, _, _ := sharedKeys(t)
	ks := newKeyServer(t, es)
	ks.cacheControl = "max-age=60"
	clk := newClock()
	v := newVerifier(t, ks, clk, verify.Options{})
	check := func(want error) {
		t.Helper()
		_, err := v.Verify(t.Context(), tok{key: es, claims: claims(ks, clk.Now())}.mint(t))
		checkErr(t, fmt.Sprintf("Verify at %v", clk.Now().Sub(t0)), err, want)
	}
	ks.set(func(ks *keyServer) { ks.mdIssuer = "https://evil.example/t/acme" })
	check(verify.ErrUnavailable) // RFC 8414 §3.3 mismatch
	check(verify.ErrUnavailable) // not retried within the cooldown
	if got := ks.mdFetches.Load(); got != 1 {
		t.Fatalf("metadata fetches = %d; want 1", got)
	}
	ks.set(func(ks *keyServer) { ks.mdIssuer, ks.mdStatus = "", http.StatusNotFound })
	clk.Advance(verify.DefaultRefreshCooldown)
	check(verify.ErrUnavailable)
	ks.set(func(ks *keyServer) { ks.mdStatus = 0 })
	clk.Advance(verify.DefaultRefreshCooldown)
	check(nil)
	wantFetches(t, ks, 1)
	for range 5 {
		clk.Advance(time.Minute)
		check(nil)
	}
	wantFetches(t, ks, 6)
	if got := ks.mdFetches.Load(); got != 3 {
		t.Errorf("metadata fetches = %d; want 3", got)
	}

	v = newVerifier(t, ks, clk, verify.Options{JWKSURI: ks.issuer + "/jwks.json"})
	check(nil)
	if got := ks.mdFetches.Load(); got != 3 {
		t.Errorf("metadata fetches with JWKSURI = %d; want still 3", got)
	}
}
