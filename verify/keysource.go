package verify

import (
	"context"
	"crypto"
	"fmt"
)

// KeySource gives Verify an issuer's public keys by kid. RemoteKeys, the
// default, fetches the issuer's published JWKS; StaticKeys holds fixed
// keys; edgeauth's authorization server reads its own storage. A KeySource
// must be safe for concurrent use.
type KeySource interface {
	// Key returns the key whose kid is kid, with the JWS algorithm it is
	// published for. It returns an error wrapping ErrUnknownKey when the
	// source has no such key, and one wrapping ErrUnavailable when it
	// cannot tell now (it is unreachable, or ctx ended). ctx is the one
	// given to Verify.
	Key(ctx context.Context, kid string) (Key, error)
}

// Key is a public key and the one JWS algorithm it is published for
// (RFC 8725 §3.1: a key is used with no other algorithm).
type Key struct {
	// Algorithm is the JWS alg: ES256, ES384, ES512, EdDSA, RS256, RS384,
	// RS512, PS256, PS384 or PS512.
	Algorithm string
	// Public is the key: an *ecdsa.PublicKey on the curve of Algorithm,
	// an ed25519.PublicKey, or an *rsa.PublicKey of at least 2048 bits.
	Public crypto.PublicKey
}

// StaticKeys is a KeySource of fixed keys by kid: for tests, and for a
// service that is given its issuer's keys instead of fetching them. A kid
// it lacks is ErrUnknownKey. It must not be modified while in use.
type StaticKeys map[string]Key

// Key returns the key kid, or an error wrapping ErrUnknownKey.
func (s StaticKeys) Key(_ context.Context, kid string) (Key, error) {
	k, ok := s[kid]
	if !ok {
		return Key{}, fmt.Errorf("%w: kid %q", ErrUnknownKey, kid)
	}
	return k, nil
}
