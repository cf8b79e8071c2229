package verify

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// Response size limits: a JWKS of a few keys is a few kilobytes.
const (
	maxMetadataSize = 64 << 10
	maxJWKSSize     = 256 << 10
	minRSABits      = 2048
)

// publicKey is one usable JWKS entry.
type publicKey struct {
	alg jose.SignatureAlgorithm
	pub crypto.PublicKey
}

// keySet is one fetched JWKS. It is never modified once published in
// Verifier.set, so readers use it without the lock.
type keySet struct {
	keys    map[string]publicKey // by kid
	expires time.Time            // fresh before this
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
// v.cooldown ago; concurrent callers wait for the one fetch in progress.
//
// Why the cooldown applies to an unknown kid: anyone can send tokens with
// random kids, and each must not cost a request to the issuer (go-oidc
// refetches on every unknown kid). edgeauth publishes a key two cache
// lifetimes before it signs, so an honest token's kid is already cached;
// an unknown kid is a revoked key, a forgery or an emergency rotation,
// and the last waits at most one cooldown.
func (v *Verifier) key(ctx context.Context, kid string, now time.Time) (publicKey, error) {
	v.mu.Lock()
	set := v.set
	if set != nil && now.Before(set.expires) {
		if k, ok := set.keys[kid]; ok {
			v.mu.Unlock()
			return k, nil
		}
	}
	f := v.flight
	if f != nil && !time.Now().Before(f.deadline) {
		// The fetch outlived its context: its transport ignores
		// cancellation (the Workers fetch transport does). Consider it
		// lost, so that it holds no refresh back; its late result, if
		// any, is dropped.
		v.flight, f = nil, nil
	}
	if f == nil && (v.lastAttempt.IsZero() || now.Sub(v.lastAttempt) >= v.cooldown) {
		f = &flight{done: make(chan struct{}), deadline: time.Now().Add(fetchTimeout)}
		v.flight, v.lastAttempt = f, now
		go v.refresh(context.WithoutCancel(ctx), f, now)
	}
	fetchErr := v.lastErr
	v.mu.Unlock()

	if f != nil {
		t := time.NewTimer(time.Until(f.deadline))
		select {
		case <-f.done:
			fetchErr = f.err
		case <-t.C:
			fetchErr = fmt.Errorf("key set fetch still running after %v", fetchTimeout)
		case <-ctx.Done():
			t.Stop()
			return publicKey{}, fmt.Errorf("%w: waiting for the key set: %w", ErrUnavailable, ctx.Err())
		}
		t.Stop()
		v.mu.Lock()
		set = v.set
		v.mu.Unlock()
	}
	return v.lookup(set, kid, now, fetchErr)
}

// lookup finds kid in set after any fetch. An expired set still serves for
// v.maxStale, because the fetch that should have replaced it failed.
func (v *Verifier) lookup(set *keySet, kid string, now time.Time, fetchErr error) (publicKey, error) {
	if set == nil {
		return publicKey{}, fmt.Errorf("%w: %v", ErrUnavailable, fetchErr)
	}
	if !now.Before(set.expires.Add(v.maxStale)) {
		return publicKey{}, fmt.Errorf("%w: key set expired at %v and refetch failed: %v", ErrUnavailable, set.expires, fetchErr)
	}
	k, ok := set.keys[kid]
	if !ok {
		if fetchErr != nil {
			return publicKey{}, fmt.Errorf("%w: kid %q (refetch failed: %v)", ErrUnknownKey, kid, fetchErr)
		}
		return publicKey{}, fmt.Errorf("%w: kid %q", ErrUnknownKey, kid)
	}
	return k, nil
}

// refresh runs one fetch: discovery if not done yet, then the JWKS. The
// set's freshness counts from started, the time the fetch began, so that
// a slow response does not stretch it.
func (v *Verifier) refresh(ctx context.Context, f *flight, started time.Time) {
	ctx, cancel := context.WithDeadline(ctx, f.deadline)
	defer cancel()
	set, err := v.fetch(ctx, started)
	v.mu.Lock()
	if v.flight == f { // else lost (see key): drop the result
		if err == nil {
			v.set = set
		}
		v.lastErr, v.flight = err, nil
	}
	f.err = err
	v.mu.Unlock()
	close(f.done)
}

func (v *Verifier) fetch(ctx context.Context, started time.Time) (*keySet, error) {
	v.mu.Lock()
	uri := v.jwksURI
	v.mu.Unlock()
	if uri == "" {
		var err error
		if uri, err = v.discover(ctx); err != nil {
			return nil, err
		}
		// Cached for the Verifier's life: an issuer's jwks_uri does not
		// move, and its keys are what change.
		v.mu.Lock()
		v.jwksURI = uri
		v.mu.Unlock()
	}
	body, hdr, err := v.get(ctx, uri, "application/jwk-set+json, application/json", maxJWKSSize)
	if err != nil {
		return nil, fmt.Errorf("jwks: %w", err)
	}
	keys, err := v.parseJWKS(body)
	if err != nil {
		return nil, fmt.Errorf("jwks %s: %w", uri, err)
	}
	ttl := min(max(freshness(hdr), v.minTTL), v.maxTTL)
	return &keySet{keys: keys, expires: started.Add(ttl)}, nil
}

// discover fetches the RFC 8414 metadata and returns its jwks_uri.
func (v *Verifier) discover(ctx context.Context) (string, error) {
	body, _, err := v.get(ctx, v.wellKnown, "application/json", maxMetadataSize)
	if err != nil {
		return "", fmt.Errorf("discovery: %w", err)
	}
	var md struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	if err := json.Unmarshal(body, &md); err != nil {
		return "", fmt.Errorf("discovery %s: %w", v.wellKnown, err)
	}
	// RFC 8414 §3.3: the issuer in the metadata MUST be identical to the
	// issuer the metadata URL was made from, or the metadata MUST NOT be used.
	if md.Issuer != v.issuer {
		return "", fmt.Errorf("discovery %s: issuer %q is not %q", v.wellKnown, md.Issuer, v.issuer)
	}
	if md.JWKSURI == "" {
		return "", fmt.Errorf("discovery %s: no jwks_uri", v.wellKnown)
	}
	if err := checkFetchURL(md.JWKSURI, v.issuer); err != nil {
		return "", fmt.Errorf("discovery %s: jwks_uri: %w", v.wellKnown, err)
	}
	return md.JWKSURI, nil
}

// get fetches url and returns its body (at most limit bytes) and headers;
// any status but 200 is an error.
func (v *Verifier) get(ctx context.Context, url, accept string, limit int64) ([]byte, http.Header, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Accept", accept)
	resp, err := v.client.Do(req)
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
// use: a kid, use "sig" or none, an alg among v.algs that fits the key
// (ES256 a P-256 key, EdDSA an Ed25519 key, RS*/PS* an RSA key of at least
// 2048 bits), and an asymmetric key. Other entries are skipped, as §5 asks
// for key types not understood. Keys without alg are skipped too: edgeauth
// always publishes it, and a key must be bound to one algorithm. Of two
// entries with the same kid the first is kept.
func (v *Verifier) parseJWKS(body []byte) (map[string]publicKey, error) {
	var doc struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, err
	}
	if doc.Keys == nil {
		return nil, errors.New("no keys member")
	}
	keys := make(map[string]publicKey, len(doc.Keys))
	for _, raw := range doc.Keys {
		var jwk jose.JSONWebKey
		if err := jwk.UnmarshalJSON(raw); err != nil {
			continue
		}
		alg := jose.SignatureAlgorithm(jwk.Algorithm)
		if jwk.KeyID == "" || (jwk.Use != "" && jwk.Use != "sig") || !slices.Contains(v.algs, alg) {
			continue
		}
		if _, dup := keys[jwk.KeyID]; dup {
			continue
		}
		pub := jwk.Public()
		if !pub.Valid() || !pub.IsPublic() || !fits(alg, pub.Key) {
			continue
		}
		keys[jwk.KeyID] = publicKey{alg: alg, pub: pub.Key}
	}
	return keys, nil
}

// fits reports whether key is of the type and size alg needs.
func fits(alg jose.SignatureAlgorithm, key crypto.PublicKey) bool {
	switch k := key.(type) {
	case *ecdsa.PublicKey:
		switch alg {
		case jose.ES256:
			return k.Curve == elliptic.P256()
		case jose.ES384:
			return k.Curve == elliptic.P384()
		case jose.ES512:
			return k.Curve == elliptic.P521()
		}
	case ed25519.PublicKey:
		return alg == jose.EdDSA
	case *rsa.PublicKey:
		switch alg {
		case jose.RS256, jose.RS384, jose.RS512, jose.PS256, jose.PS384, jose.PS512:
			return k.N.BitLen() >= minRSABits
		}
	}
	return false
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
