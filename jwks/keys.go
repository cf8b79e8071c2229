package jwks

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"math/big"

	"github.com/edgeauth/edgeauth/storage"
	jose "github.com/go-jose/go-jose/v4"
)

// Supported JOSE algorithms (RFC 7518 §3.1, RFC 8037 §3.1).
const (
	ES256 = "ES256" // ECDSA P-256 with SHA-256
	EdDSA = "EdDSA" // Ed25519
	RS256 = "RS256" // RSASSA-PKCS1-v1_5 with SHA-256, 2048-bit keys
)

// rsaBits is the size of generated RSA keys.
const rsaBits = 2048

// ErrUnsupportedAlg is returned for a JOSE algorithm other than ES256, EdDSA
// and RS256, or a key whose type does not match its algorithm.
var ErrUnsupportedAlg = errors.New("jwks: unsupported algorithm")

// Generate makes a new key as k describes it: k.TenantID, k.Alg (ES256,
// EdDSA or RS256), k.Use, k.State and k.CreatedAt. It fills in the rest:
// the kid is the RFC 7638 thumbprint of the public key, PublicJWK the
// public JWK with kid, alg and use "sig", PrivateSealed the PKCS #8 private
// key sealed by s for tenant and kid, and ActivatedAt is CreatedAt when the
// key is current.
//
// rand is the source of the key; nil means crypto/rand. Since Go 1.26 the
// standard library ignores it for ECDSA and RSA and always uses a secure
// source (unless GODEBUG=cryptocustomrand=1); only Ed25519 still reads it. So
// do not count on rand to make keys reproducible.
func Generate(rand io.Reader, s *Sealer, k storage.SigningKey) (storage.SigningKey, error) {
	alg := k.Alg
	if s == nil {
		return storage.SigningKey{}, errors.New("jwks: generate: nil sealer")
	}
	if rand == nil {
		rand = cryptoRand
	}
	var priv crypto.Signer
	var err error
	switch alg {
	case ES256:
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand)
	case EdDSA:
		_, priv, err = ed25519.GenerateKey(rand)
	case RS256:
		priv, err = rsa.GenerateKey(rand, rsaBits)
	default:
		return storage.SigningKey{}, fmt.Errorf("%w: %q", ErrUnsupportedAlg, alg)
	}
	if err != nil {
		return storage.SigningKey{}, fmt.Errorf("jwks: generate %s key: %w", alg, err)
	}
	kid, err := thumbprint(priv.Public())
	if err != nil {
		return storage.SigningKey{}, err
	}
	pub, err := publicJWK(priv.Public(), kid, alg)
	if err != nil {
		return storage.SigningKey{}, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return storage.SigningKey{}, fmt.Errorf("jwks: generate %s key: %w", alg, err)
	}
	sealed, err := s.Seal(k.TenantID, kid, der)
	clear(der)
	if err != nil {
		return storage.SigningKey{}, err
	}
	k.KID, k.PublicJWK, k.PrivateSealed = kid, pub, sealed
	if k.State == storage.KeyCurrent {
		k.ActivatedAt = k.CreatedAt
	}
	return k, nil
}

// cryptoRand is crypto/rand.Reader, named so the parameter of Generate can
// keep the name rand.
var cryptoRand = rand.Reader

// publicJWK encodes pub as a JSON Web Key (RFC 7517) with kid, alg and
// use "sig".
func publicJWK(pub crypto.PublicKey, kid, alg string) ([]byte, error) {
	jwk := jose.JSONWebKey{Key: pub, KeyID: kid, Algorithm: alg, Use: "sig"}
	if !jwk.IsPublic() {
		return nil, fmt.Errorf("jwks: %T is not a public key", pub)
	}
	b, err := jwk.MarshalJSON()
	if err != nil {
		return nil, fmt.Errorf("jwks: encode public key: %w", err)
	}
	return b, nil
}

// thumbprint is the RFC 7638 JWK thumbprint of pub: the SHA-256 of the
// required members of its JWK, in lexicographic order and without white
// space (§3.2), base64url-encoded without padding. It is written out here
// rather than taken from go-jose so that the tests can check one against the
// other.
func thumbprint(pub crypto.PublicKey) (string, error) {
	b64 := base64.RawURLEncoding.EncodeToString
	var input string
	switch pub := pub.(type) {
	case *ecdsa.PublicKey:
		if pub.Curve != elliptic.P256() {
			return "", fmt.Errorf("%w: curve %s", ErrUnsupportedAlg, pub.Curve.Params().Name)
		}
		// Uncompressed point 0x04 || X || Y, each coordinate 32 bytes
		// (RFC 7518 §6.2.1.2: the full coordinate size, leading zeros kept).
		pt, err := pub.Bytes()
		if err != nil {
			return "", fmt.Errorf("jwks: thumbprint: %w", err)
		}
		input = `{"crv":"P-256","kty":"EC","x":"` + b64(pt[1:33]) + `","y":"` + b64(pt[33:65]) + `"}`
	case ed25519.PublicKey:
		input = `{"crv":"Ed25519","kty":"OKP","x":"` + b64(pub) + `"}`
	case *rsa.PublicKey:
		// n and e as unsigned big-endian, minimal length (RFC 7518 §6.3.1).
		e := big.NewInt(int64(pub.E)).Bytes()
		input = `{"e":"` + b64(e) + `","kty":"RSA","n":"` + b64(pub.N.Bytes()) + `"}`
	default:
		return "", fmt.Errorf("%w: key type %T", ErrUnsupportedAlg, pub)
	}
	sum := sha256.Sum256([]byte(input))
	return b64(sum[:]), nil
}

// parsePrivate parses PKCS #8 DER and checks that the key fits alg.
func parsePrivate(der []byte, alg string) (crypto.Signer, error) {
	key, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("jwks: parse private key: %w", err)
	}
	switch k := key.(type) {
	case *ecdsa.PrivateKey:
		if alg == ES256 && k.Curve == elliptic.P256() {
			return k, nil
		}
	case ed25519.PrivateKey:
		if alg == EdDSA {
			return k, nil
		}
	case *rsa.PrivateKey:
		if alg == RS256 && k.N.BitLen() >= rsaBits {
			return k, nil
		}
	}
	return nil, fmt.Errorf("%w: %q with a %T", ErrUnsupportedAlg, alg, key)
}
