package jwks

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/edgeauth/edgeauth/storage"
	jose "github.com/go-jose/go-jose/v4"
)

// ErrNoCurrentKey is returned by Current when no key of the asked use is
// current.
var ErrNoCurrentKey = errors.New("jwks: no current key")

// Document returns the JWKS document (RFC 7517 §5) {"keys":[...]} holding the
// public JWK of every key given; callers pass Published(keys). Keys are
// ordered current, then next, then retired (then any other state), each group
// by CreatedAt then KID, so the same keys always give the same bytes.
//
// Every stored JWK is parsed and re-encoded, not copied: the output holds only
// the members go-jose knows of a public key, and Document fails if a stored
// JWK is not a public key or its kid is not the record's KID. An empty keys
// slice gives {"keys":[]}.
func Document(keys []storage.SigningKey) ([]byte, error) {
	sorted := slices.Clone(keys)
	slices.SortStableFunc(sorted, func(a, b storage.SigningKey) int {
		return cmp.Or(
			cmp.Compare(stateRank(a.State), stateRank(b.State)),
			a.CreatedAt.Compare(b.CreatedAt),
			cmp.Compare(a.KID, b.KID),
		)
	})
	set := jose.JSONWebKeySet{Keys: make([]jose.JSONWebKey, 0, len(sorted))}
	for _, k := range sorted {
		var jwk jose.JSONWebKey
		if err := jwk.UnmarshalJSON(k.PublicJWK); err != nil {
			return nil, fmt.Errorf("jwks: document: key %q: %w", k.KID, err)
		}
		// Refuse rather than strip: a stored private JWK is a bug worth
		// failing loudly on, and this keeps the secret out of the output.
		if !jwk.IsPublic() {
			return nil, fmt.Errorf("jwks: document: key %q is not a public key", k.KID)
		}
		if jwk.KeyID != k.KID {
			return nil, fmt.Errorf("jwks: document: key %q has kid %q in its JWK", k.KID, jwk.KeyID)
		}
		set.Keys = append(set.Keys, jwk)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(set); err != nil {
		return nil, fmt.Errorf("jwks: document: %w", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// stateRank orders key states in the JWKS document.
func stateRank(s storage.KeyState) int {
	switch s {
	case storage.KeyCurrent:
		return 0
	case storage.KeyNext:
		return 1
	case storage.KeyRetired:
		return 2
	default:
		return 3
	}
}

// Published returns the keys that belong in the JWKS document: those in state
// next, current or retired, in the order given. It does not modify keys.
func Published(keys []storage.SigningKey) []storage.SigningKey {
	var out []storage.SigningKey
	for _, k := range keys {
		switch k.State {
		case storage.KeyNext, storage.KeyCurrent, storage.KeyRetired:
			out = append(out, k)
		}
	}
	return out
}

// Current returns the key of use use in state current, or an error wrapping
// ErrNoCurrentKey.
//
// Several keys can be current at once: D1 has no transactions, so a rotation
// is two compare-and-set statements (next -> current for the new key, then
// current -> retired for the old one) and a reader can run between them, or
// the second can fail and wait for the next cron run. Current then picks the
// most recently activated key (ties by later CreatedAt, then greater KID):
// that is the key the rotation meant to sign with, it was published ahead of
// time like every next key, and every instance reading the same rows picks
// the same one.
func Current(keys []storage.SigningKey, use storage.KeyUse) (storage.SigningKey, error) {
	var best storage.SigningKey
	found := false
	for _, k := range keys {
		if k.State != storage.KeyCurrent || k.Use != use {
			continue
		}
		if !found || cmp.Or(
			k.ActivatedAt.Compare(best.ActivatedAt),
			k.CreatedAt.Compare(best.CreatedAt),
			cmp.Compare(k.KID, best.KID),
		) > 0 {
			best, found = k, true
		}
	}
	if !found {
		return storage.SigningKey{}, fmt.Errorf("%w for use %q", ErrNoCurrentKey, use)
	}
	return best, nil
}

// Bounds of CacheMaxAge.
const (
	// MinCacheMaxAge is the shortest JWKS cache lifetime CacheMaxAge gives;
	// it is also the shortest expiry Workers KV accepts (storage.MinKVTTL).
	MinCacheMaxAge = 60 * time.Second
	// MaxCacheMaxAge is the longest JWKS cache lifetime CacheMaxAge gives.
	MaxCacheMaxAge = time.Hour
)

// CacheMaxAge returns the Cache-Control max-age of the JWKS document of a
// tenant whose keys rotate every rotationPeriod: rotationPeriod/4, at most
// MaxCacheMaxAge and at least MinCacheMaxAge, truncated to whole seconds.
//
// Why a quarter: a next key must be published at least two cache lifetimes
// before it signs, so that a verifier whose cached copy predates it has
// refetched by then. A new next key is made when the previous one becomes
// current, that is a full rotation period before it signs. Two cache
// lifetimes of rotationPeriod/4 take half of that, leaving the other half as
// slack for a late cron run. The hour cap bounds how long a verifier can miss
// an emergency rotation (a verifier also refetches on an unknown kid).
//
// The floor wins below a rotation period of 4 minutes, where the guarantee no
// longer holds; callers should not allow rotation periods that short. A zero
// or negative rotationPeriod gives MinCacheMaxAge.
func CacheMaxAge(rotationPeriod time.Duration) time.Duration {
	return max(min((rotationPeriod/4).Truncate(time.Second), MaxCacheMaxAge), MinCacheMaxAge)
}
