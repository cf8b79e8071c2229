// Package keyfit tells whether a public key suits a JWS algorithm
// (RFC 7518 §3): the key type the algorithm names, an RSA modulus of at
// least 2048 bits (§3.3, §3.5), the curve of an ES* algorithm (§3.4), and
// a key whole enough to verify with. Both of edgeauth's signature checkers
// ask it: verify for access tokens, connections for upstream ID tokens.
package keyfit

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
)

// MinRSABits is the smallest RSA modulus Fits accepts (RFC 7518 §3.3).
const MinRSABits = 2048

// Fits reports whether key is of the type and size the JWS algorithm alg
// needs: RSA of at least MinRSABits for RS* and PS*, a point of the curve
// of ES*, Ed25519 for EdDSA. A key source may hand out anything, so a nil
// or partial key does not fit either.
func Fits(alg string, key crypto.PublicKey) bool {
	switch k := key.(type) {
	case *ecdsa.PublicKey:
		//lint:ignore SA1019 a key without coordinates makes Bytes panic
		if k == nil || k.Curve == nil || k.X == nil || k.Y == nil {
			return false
		}
		if _, err := k.Bytes(); err != nil { // not a point of its curve
			return false
		}
		switch alg {
		case "ES256":
			return k.Curve == elliptic.P256()
		case "ES384":
			return k.Curve == elliptic.P384()
		case "ES512":
			return k.Curve == elliptic.P521()
		}
	case ed25519.PublicKey:
		return alg == "EdDSA" && len(k) == ed25519.PublicKeySize
	case *rsa.PublicKey:
		switch alg {
		case "RS256", "RS384", "RS512", "PS256", "PS384", "PS512":
			return k != nil && k.N != nil && k.N.BitLen() >= MinRSABits
		}
	}
	return false
}
