package verify

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/edgeauth/edgeauth/internal/keyfit"
)

// Response size limits: a JWKS of a few keys is a few kilobytes.
const (
	maxMetadataSize = 64 << 10
	maxJWKSSize     = 256 << 10
)

// RemoteKeys is the KeySource of an issuer's published keys: its JWKS,
// found through its RFC 8414 metadata, fetched over HTTP and cached in
// memory by kid. It is what New uses when Options.Keys is nil. Its cache,
// refetch, cooldown and stale-if-error rules are in the package
// documentation (Keys, caching and refetch). It is safe for concurrent
// use; keep one per issuer for the life of the process, and share it
// between the Verifiers of that issuer (one per audience, say) through
// Options.Keys so that they share one cache and one fetch schedule.
type RemoteKeys struct {
	issuer    string
	wellKnown string // RFC 8414 §3.1 metadata URL
	algs      []jose.SignatureAlgorithm
	cooldown  time.Duration
	minTTL    time.Duration
	maxTTL    time.Duration
	maxStale  time.Duration
	client    Doer
	now       func() time.Time

	mu          sync.Mutex
	jwksURI     string    // from Options or discovery; "" until discovered
	set         *keySet   // nil until the first successful fetch
	lastAttempt time.Time // start of the last fetch; zero: never
	lastErr     error     // outcome of the last fetch
	flight      *flight   // the fetch in progress, if any
}

// NewRemoteKeys returns the RemoteKeys of issuer, configured by the
// key-fetching fields of opts: HTTPClient, JWKSURI, Algorithms,
// RefreshCooldown, MinCacheTTL, MaxCacheTTL, MaxStale and Now, with their
// defaults and bounds; it does not read the other fields. It does no I/O:
// discovery and the first fetch happen on the first Key. It fails if the
// issuer is not an absolute https URL (http is allowed for loopback hosts,
// for development), if one of those fields is out of bounds, or on js/wasm
// without HTTPClient.
func NewRemoteKeys(issuer string, opts Options) (*RemoteKeys, error) {
	wk, err := wellKnownURL(issuer)
	if err != nil {
		return nil, err
	}
	rk := &RemoteKeys{
		issuer:    issuer,
		wellKnown: wk,
		client:    opts.HTTPClient,
		now:       opts.Now,
		jwksURI:   opts.JWKSURI,
	}
	if rk.client == nil {
		if rk.client, err = defaultClient(); err != nil {
			return nil, err
		}
	}
	if rk.now == nil {
		rk.now = time.Now
	}
	if opts.JWKSURI != "" {
		if err := checkFetchURL(opts.JWKSURI, issuer); err != nil {
			return nil, fmt.Errorf("verify: Options.JWKSURI: %w", err)
		}
	}
	if rk.algs, err = algorithms(opts.Algorithms); err != nil {
		return nil, err
	}
	if rk.maxStale, err = (bounds{DefaultMaxStale, 0, MaxStaleLimit, true}).apply("MaxStale", opts.MaxStale); err != nil {
		return nil, err
	}
	if rk.maxTTL, err = (bounds{DefaultMaxCacheTTL, time.Second, MaxCacheTTLLimit, false}).apply("MaxCacheTTL", opts.MaxCacheTTL); err != nil {
		return nil, err
	}
	if rk.minTTL, err = (bounds{DefaultMinCacheTTL, time.Second, rk.maxTTL, false}).apply("MinCacheTTL", opts.MinCacheTTL); err != nil {
		return nil, err
	}
	if rk.cooldown, err = (bounds{DefaultRefreshCooldown, time.Second, rk.minTTL, false}).apply("RefreshCooldown", opts.RefreshCooldown); err != nil {
		return nil, err
	}
	return rk, nil
}

// Key returns the published key kid (KeySource). It may fetch the JWKS,
// and discover it first; see the package documentation for when. It fails
// with ErrUnknownKey if the key set has no usable key kid, and with
// ErrUnavailable if it has no key set within its lifetime plus MaxStale,
// or if ctx ends while it waits for a fetch.
func (rk *RemoteKeys) Key(ctx context.Context, kid string) (Key, error) {
	return rk.key(ctx, kid, rk.now())
}

// keySet is one fetched JWKS. It is never modified once published in
// RemoteKeys.set, so readers use it without the lock.
type keySet struct {
	keys    map[string]Key // by kid
	expires time.Time      // fresh before this
}

// flight is one fetch in progress; done is closed when err is set.
type flight struct {
	done     chan struct{}
	err      error
	deadline time.Time // wall clock: FetchTimeout after the start
}

// fetchTimeout is FetchTimeout; tests shorten it.
var fetchTimeout = FetchTimeout

// key returns the published key kid. It refetches the key set when the
// cached one is missing or expired, or when kid is not in it, but starts a
// fetch only if none is running and the last one began at least
// rk.cooldown ago; concurrent callers wait for the one fetch in progress.
//
// Why the cooldown applies to an unknown kid: anyone can send tokens with
// random kids, and each must not cost a request to the issuer (go-oidc
// refetches on every unknown kid). edgeauth publishes a key two cache
// lifetimes before it signs, so an honest token's kid is already cached;
// an unknown kid is a revoked key, a forgery or an emergency rotation,
// and the last waits at most one cooldown.
func (rk *RemoteKeys) key(ctx context.Context, kid string, now time.Time) (Key, error) {
	rk.mu.Lock()
	set := rk.set
	if set != nil && now.Before(set.expires) {
		if k, ok := set.keys[kid]; ok {
			rk.mu.Unlock()
			return k, nil
		}
	}
	f := rk.flight
	if f != nil && !time.Now().Before(f.deadline) {
		// The fetch outlived its context: its transport ignores
		// cancellation (the Workers fetch transport does). Consider it
		// lost, so that it holds no refresh back; its late result, if
		// any, is dropped.
		rk.flight, f = nil, nil
	}
	if f == nil && (rk.lastAttempt.IsZero() || now.Sub(rk.lastAttempt) >= rk.cooldown) {
		f = &flight{done: make(chan struct{}), deadline: time.Now().Add(fetchTimeout)}
		rk.flight, rk.lastAttempt = f, now
		go rk.refresh(context.WithoutCancel(ctx), f, now)
	}
	fetchErr := rk.lastErr
	rk.mu.Unlock()

	if f != nil {
		t := time.NewTimer(time.Until(f.deadline))
		select {
		case <-f.done:
			fetchErr = f.err
		case <-t.C:
			fetchErr = fmt.Errorf("key set fetch still running after %v", fetchTimeout)
		case <-ctx.Done():
			t.Stop()
			return Key{}, fmt.Errorf("%w: waiting for the key set: %w", ErrUnavailable, ctx.Err())
		}
		t.Stop()
		rk.mu.Lock()
		set = rk.set
		rk.mu.Unlock()
	}
	return rk.lookup(set, kid, now, fetchErr)
}

// lookup finds kid in set after any fetch. An expired set still serves for
// rk.maxStale, because the fetch that should have replaced it failed.
func (rk *RemoteKeys) lookup(set *keySet, kid string, now time.Time, fetchErr error) (Key, error) {
	if set == nil {
		return Key{}, fmt.Errorf("%w: %v", ErrUnavailable, fetchErr)
	}
	if !now.Before(set.expires.Add(rk.maxStale)) {
		return Key{}, fmt.Errorf("%w: key set expired at %v and refetch failed: %v", ErrUnavailable, set.expires, fetchErr)
	}
	k, ok := set.keys[kid]
	if !ok {
		if fetchErr != nil {
			// The refetch that could have found it failed: a key published
			// since (a rotation) cannot be told from a made-up kid.
			return Key{}, fmt.Errorf("%w: kid %q not in the cached key set, and the refetch failed: %v", ErrUnavailable, kid, fetchErr)
		}
		return Key{}, fmt.Errorf("%w: kid %q", ErrUnknownKey, kid)
	}
	return k, nil
}

// refresh runs one fetch: discovery if not done yet, then the JWKS. The
// set's freshness counts from started, the time the fetch began, so that
// a slow response does not stretch it.
func (rk *RemoteKeys) refresh(ctx context.Context, f *flight, started time.Time) {
	ctx, cancel := context.WithDeadline(ctx, f.deadline)
	defer cancel()
	set, err := rk.fetch(ctx, started)
	rk.mu.Lock()
	if rk.flight == f { // else lost (see key): drop the result
		if err == nil {
			rk.set = set
		}
		rk.lastErr, rk.flight = err, nil
	}
	f.err = err
	rk.mu.Unlock()
	close(f.done)
}

func (rk *RemoteKeys) fetch(ctx context.Context, started time.Time) (*keySet, error) {
	rk.mu.Lock()
	uri := rk.jwksURI
	rk.mu.Unlock()
	if uri == "" {
		var err error
		if uri, err = rk.discover(ctx); err != nil {
			return nil, err
		}
		// Cached for the RemoteKeys' life: an issuer's jwks_uri does not
		// move, and its keys are what change.
		rk.mu.Lock()
		rk.jwksURI = uri
		rk.mu.Unlock()
	}
	body, hdr, err := rk.get(ctx, uri, "application/jwk-set+json, application/json", maxJWKSSize)
	if err != nil {
		return nil, fmt.Errorf("jwks: %w", err)
	}
	keys, err := rk.parseJWKS(body)
	if err != nil {
		return nil, fmt.Errorf("jwks %s: %w", uri, err)
	}
	ttl := min(max(freshness(hdr), rk.minTTL), rk.maxTTL)
	return &keySet{keys: keys, expires: started.Add(ttl)}, nil
}

// discover fetches the RFC 8414 metadata and returns its jwks_uri.
func (rk *RemoteKeys) discover(ctx context.Context) (string, error) {
	body, _, err := rk.get(ctx, rk.wellKnown, "application/json", maxMetadataSize)
	if err != nil {
		return "", fmt.Errorf("discovery: %w", err)
	}
	var md struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	if err := json.Unmarshal(body, &md); err != nil {
		return "", fmt.Errorf("discovery %s: %w", rk.wellKnown, err)
	}
	// RFC 8414 §3.3: the issuer in the metadata MUST be identical to the
	// issuer the metadata URL was made from, or the metadata MUST NOT be used.
	if md.Issuer != rk.issuer {
		return "", fmt.Errorf("discovery %s: issuer %q is not %q", rk.wellKnown, md.Issuer, rk.issuer)
	}
	if md.JWKSURI == "" {
		return "", fmt.Errorf("discovery %s: no jwks_uri", rk.wellKnown)
	}
	if err := checkFetchURL(md.JWKSURI, rk.issuer); err != nil {
		return "", fmt.Errorf("discovery %s: jwks_uri: %w", rk.wellKnown, err)
	}
	return md.JWKSURI, nil
}

// get fetches url and returns its body (at most limit bytes) and headers;
// any status but 200 is an error.
func (rk *RemoteKeys) get(ctx context.Context, url, accept string, limit int64) ([]byte, http.Header, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Accept", accept)
	resp, err := rk.client.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		io.Copy(io.Discard, io.LimitReader(resp.Body, limit))
		return nil, nil, fmt.Errorf("GET %s: status %s", url, resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, nil, fmt.Errorf("GET %s: %w", url, err)
	}
	if int64(len(body)) > limit {
		return nil, nil, fmt.Errorf("GET %s: body larger than %d bytes", url, limit)
	}
	return body, resp.Header, nil
}

// parseJWKS reads a JWK Set (RFC 7517 §5) and keeps the keys Verify may
// use: a kid, use "sig" or none, an alg among rk.algs that fits the key
// (ES256 a P-256 key, EdDSA an Ed25519 key, RS*/PS* an RSA key of at least
// 2048 bits), and an asymmetric key. Other entries are skipped, as §5 asks
// for key types not understood. Keys without alg are skipped too: edgeauth
// always publishes it, and a key must be bound to one algorithm. Of two
// entries with the same kid the first is kept.
func (rk *RemoteKeys) parseJWKS(body []byte) (map[string]Key, error) {
	var doc struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, err
	}
	if doc.Keys == nil {
		return nil, errors.New("no keys member")
	}
	keys := make(map[string]Key, len(doc.Keys))
	for _, raw := range doc.Keys {
		var jwk jose.JSONWebKey
		if err := jwk.UnmarshalJSON(raw); err != nil {
			continue
		}
		alg := jose.SignatureAlgorithm(jwk.Algorithm)
		if jwk.KeyID == "" || (jwk.Use != "" && jwk.Use != "sig") || !slices.Contains(rk.algs, alg) {
			continue
		}
		if _, dup := keys[jwk.KeyID]; dup {
			continue
		}
		pub := jwk.Public()
		if !pub.Valid() || !pub.IsPublic() || !fits(alg, pub.Key) {
			continue
		}
		keys[jwk.KeyID] = Key{Algorithm: string(alg), Public: pub.Key}
	}
	return keys, nil
}

// fits reports whether key suits alg (keyfit.Fits); a KeySource other
// than RemoteKeys may hand out anything.
func fits(alg jose.SignatureAlgorithm, key crypto.PublicKey) bool {
	return keyfit.Fits(string(alg), key)
}

// usableKeys remembers the ECDSA keys fits has accepted, by their identity:
// whether a point is on its curve takes longer to check than the token's
// other checks, and a key source hands out the same key again and again.
var usableKeys = fitCache{m: map[fitKey]bool{}}

// maxFitCache bounds usableKeys; past it the cache starts over.
const maxFitCache = 64

type fitKey struct {
	pub *ecdsa.PublicKey
	alg jose.SignatureAlgorithm
}

type fitCache struct {
	mu sync.Mutex
	m  map[fitKey]bool
}

// fits is fits(alg, key), remembered for *ecdsa.PublicKey keys (other
// keys' checks are cheap).
func (c *fitCache) fits(alg jose.SignatureAlgorithm, key crypto.PublicKey) bool {
	ec, ok := key.(*ecdsa.PublicKey)
	if !ok || ec == nil {
		return fits(alg, key)
	}
	id := fitKey{ec, alg}
	c.mu.Lock()
	got, seen := c.m[id]
	c.mu.Unlock()
	if seen {
		return got
	}
	got = fits(alg, key)
	c.mu.Lock()
	if len(c.m) >= maxFitCache {
		clear(c.m)
	}
	c.m[id] = got
	c.mu.Unlock()
	return got
}

// freshness returns how long a response stays fresh by its headers
// (RFC 9111 §4.2.1, §4.2.3): Cache-Control max-age less Age. It returns 0
// (the caller's floor then applies) without max-age, with no-cache or
// no-store, or when the headers do not parse. Of several max-age
// directives the smallest wins. Expires is not read: edgeauth does not send
// it.
func freshness(h http.Header) time.Duration {
	maxAge := int64(-1)
	for _, line := range h.Values("Cache-Control") {
		for _, d := range strings.Split(line, ",") {
			name, val, _ := strings.Cut(strings.TrimSpace(d), "=")
			switch strings.ToLower(strings.TrimSpace(name)) {
			case "no-store", "no-cache":
				return 0
			case "max-age":
				n, err := strconv.ParseInt(strings.Trim(strings.TrimSpace(val), `"`), 10, 64)
				if err != nil || n < 0 {
					return 0
				}
				if maxAge < 0 || n < maxAge {
					maxAge = n
				}
			}
		}
	}
	if maxAge < 0 {
		return 0
	}
	if a := h.Get("Age"); a != "" {
		age, err := strconv.ParseInt(strings.TrimSpace(a), 10, 64)
		if err != nil || age < 0 {
			return 0
		}
		maxAge -= age
	}
	const maxSeconds = int64(365 * 24 * time.Hour / time.Second)
	return time.Duration(min(max(maxAge, 0), maxSeconds)) * time.Second
}
