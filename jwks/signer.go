package jwks

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"

	"github.com/edgeauth/edgeauth/storage"
)

// Backend opens a private key, given as PKCS #8 DER, for signing with the
// JOSE algorithm alg, and returns the function that signs a JWS signing
// input (RFC 7515 §5.1): for ES256 the 64-byte R||S of ECDSA P-256 over
// SHA-256 (S in either form: the Signer makes it the low one), for EdDSA
// an Ed25519 signature, for RS256 RSASSA-PKCS1-v1_5 over SHA-256. It must
// not keep der, which is cleared after the call. nil means Go's crypto
// packages. The Worker passes cfworker.SignBackend (WebCrypto), which
// workerd runs natively: Go's ECDSA and RSA compiled to wasm take about 2
// and 8 ms per signature (GOOS=js go test -bench Sign ./jwks/, under Node).
type Backend func(alg string, der []byte) (func(input []byte) ([]byte, error), error)

// goSign signs with Go's crypto packages.
func goSign(priv crypto.Signer) func(input []byte) ([]byte, error) {
	switch k := priv.(type) {
	case *ecdsa.PrivateKey:
		return func(input []byte) ([]byte, error) {
			digest := sha256.Sum256(input)
			r, s, err := ecdsa.Sign(rand.Reader, k, digest[:])
			if err != nil {
				return nil, err
			}
			sig := make([]byte, 64)
			r.FillBytes(sig[:32])
			s.FillBytes(sig[32:])
			return sig, nil
		}
	case ed25519.PrivateKey:
		return func(input []byte) ([]byte, error) { return ed25519.Sign(k, input), nil }
	case *rsa.PrivateKey:
		return func(input []byte) ([]byte, error) {
			digest := sha256.Sum256(input)
			return rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA256, digest[:])
		}
	}
	panic(fmt.Sprintf("jwks: goSign: %T", priv)) // parsePrivate returns only these
}

// Signer signs tokens with one opened private key. It is the only place a
// private key exists in the clear (or, with a WebCrypto backend, as a
// non-extractable key of the runtime), and it never hands it out. Its
// ES256 signatures always have the low s (see lowS), the only form verify
// accepts. A Signer is immutable and safe for concurrent use.
type Signer struct {
	kid  string
	alg  string
	sign func(input []byte) ([]byte, error)
}

// NewSigner opens the sealed private key of k with s and returns a Signer for
// it, signing through b (nil: Go's crypto packages). It fails with an error wrapping
// ErrSealed if the key does not open for k's tenant and kid, and with
// ErrUnsupportedAlg if k.Alg is not supported or does not fit the key. It
// also checks that k.KID is the thumbprint of the opened key, so a Signer
// can never sign under another key's kid.
func NewSigner(k storage.SigningKey, s *Sealer, b Backend) (*Signer, error) {
	if s == nil {
		return nil, errors.New("jwks: new signer: nil sealer")
	}
	der, err := s.Open(k.TenantID, k.KID, k.PrivateSealed)
	if err != nil {
		return nil, fmt.Errorf("jwks: key %q: %w", k.KID, err)
	}
	defer clear(der)
	priv, err := parsePrivate(der, k.Alg)
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
	var sign func(input []byte) ([]byte, error)
	if b == nil {
		sign = goSign(priv)
	} else if sign, err = b(k.Alg, der); err != nil {
		return nil, fmt.Errorf("jwks: key %q: %w", k.KID, err)
	}
	if k.Alg == ES256 {
		sign = lowS(sign)
	}
	return &Signer{kid: k.KID, alg: k.Alg, sign: sign}, nil
}

// p256N and p256HalfN are the order n of P-256 and n/2.
var (
	p256N     = elliptic.P256().Params().N
	p256HalfN = new(big.Int).Rsh(p256N, 1)
)

// lowS wraps an ES256 sign function so that every signature's s is in the
// low half, at most n/2, whichever backend made it.
//
// Why: ECDSA signatures (r, s) and (r, n-s) are the same signature, both
// valid, so each token would have a second spelling. Not a forgery, but a
// second string for one token defeats anything keyed on the token's
// bytes, and verify therefore refuses the high form. Go's crypto/ecdsa and
// WebCrypto return either form, about half of the time each; replacing a
// high s with n - s keeps the signature valid for every verifier.
func lowS(sign func(input []byte) ([]byte, error)) func(input []byte) ([]byte, error) {
	return func(input []byte) ([]byte, error) {
		sig, err := sign(input)
		if err != nil {
			return nil, err
		}
		if len(sig) != 64 {
			return nil, fmt.Errorf("ES256 signature is %d bytes, not 64 (r||s)", len(sig))
		}
		s := new(big.Int).SetBytes(sig[32:])
		if s.Cmp(p256HalfN) > 0 {
			s.Sub(p256N, s).FillBytes(sig[32:])
		}
		return sig, nil
	}
}

// KID returns the key id the Signer puts in the "kid" header.
func (s *Signer) KID() string { return s.kid }

// Alg returns the JOSE algorithm the Signer signs with.
func (s *Signer) Alg() string { return s.alg }

// header is a JWS protected header: exactly alg, kid and typ.
type header struct {
	Alg string `json:"alg"`
	KID string `json:"kid"`
	Typ string `json:"typ"`
}

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
	h, err := json.Marshal(header{Alg: s.alg, KID: s.kid, Typ: typ})
	if err != nil {
		return "", fmt.Errorf("jwks: sign: encode header: %w", err)
	}
	enc := base64.RawURLEncoding
	input := enc.EncodeToString(h) + "." + enc.EncodeToString(payload)
	sig, err := s.sign([]byte(input))
	if err != nil {
		return "", fmt.Errorf("jwks: sign: %w", err)
	}
	return input + "." + enc.EncodeToString(sig), nil
}
