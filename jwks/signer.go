package jwks

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/edgeauth/edgeauth/storage"
	jose "github.com/go-jose/go-jose/v4"
)

// Signer signs tokens with one opened private key. It is the only place a
// private key exists in the clear, and it never hands it out. A Signer is
// immutable and safe for concurrent use.
type Signer struct {
	kid string
	alg string
	jwk jose.JSONWebKey // private key with KeyID; go-jose then sets "kid"
}

// NewSigner opens the sealed private key of k with s and returns a Signer for
// it. It fails with an error wrapping ErrSealed if the key does not open for
// k's tenant and kid, and with ErrUnsupportedAlg if k.Alg is not supported or
// does not fit the key. It also checks that k.KID is the thumbprint of the
// opened key, so a Signer can never sign under another key's kid.
func NewSigner(k storage.SigningKey, s *Sealer) (*Signer, error) {
	if s == nil {
		return nil, errors.New("jwks: new signer: nil sealer")
	}
	der, err := s.Open(k.TenantID, k.KID, k.PrivateSealed)
	if err != nil {
		return nil, fmt.Errorf("jwks: key %q: %w", k.KID, err)
	}
	priv, err := parsePrivate(der, k.Alg)
	clear(der)
	if err != nil {
		return nil, fmt.Errorf("jwks: key %q: %w", k.KID, err)
	}
	kid, err := thumbprint(priv.Public())
	if err != nil {
		return nil, fmt.Errorf("jwks: key %q: %w", k.KID, err)
	}
	if kid != k.KID {
		// Unreachable unless a record was forged under the KEK: the
		// associated data already binds the kid.
		return nil, fmt.Errorf("jwks: key %q: private key has thumbprint %q", k.KID, kid)
	}
	return &Signer{
		kid: k.KID,
		alg: k.Alg,
		jwk: jose.JSONWebKey{Key: priv, KeyID: k.KID, Algorithm: k.Alg},
	}, nil
}

// KID returns the key id the Signer puts in the "kid" header.
func (s *Signer) KID() string { return s.kid }

// Alg returns the JOSE algorithm the Signer signs with.
func (s *Signer) Alg() string { return s.alg }

// Sign returns claims, encoded with encoding/json, as a compact JWS whose
// protected header holds alg, kid and typ: "at+jwt" for access tokens
// (RFC 9068 §2.1), "JWT" for ID tokens. claims must encode to a JSON object
// (RFC 7519 §7.2: the payload of a JWT is a JSON object); a json.RawMessage
// is used as it is. typ must not be empty.
func (s *Signer) Sign(claims any, typ string) (string, error) {
	if typ == "" {
		return "", errors.New("jwks: sign: empty typ")
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("jwks: sign: encode claims: %w", err)
	}
	if len(payload) == 0 || payload[0] != '{' {
		return "", fmt.Errorf("jwks: sign: claims are a %T, not a JSON object", claims)
	}
	// A go-jose Signer carries its extra headers, so one is made per typ.
	// It is cheap: it wraps the already parsed key.
	js, err := jose.NewSigner(
		jose.SigningKey{Algorithm: jose.SignatureAlgorithm(s.alg), Key: s.jwk},
		(&jose.SignerOptions{}).WithType(jose.ContentType(typ)),
	)
	if err != nil {
		return "", fmt.Errorf("jwks: sign: %w", err)
	}
	obj, err := js.Sign(payload)
	if err != nil {
		return "", fmt.Errorf("jwks: sign: %w", err)
	}
	tok, err := obj.CompactSerialize()
	if err != nil {
		return "", fmt.Errorf("jwks: sign: %w", err)
	}
	return tok, nil
}
