package keyfit

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"math/big"
	"testing"
)

func TestFits(t *testing.T) {
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	p521, _ := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	rsa2048, _ := rsa.GenerateKey(rand.Reader, 2048)
	rsa1024, _ := rsa.GenerateKey(rand.Reader, 1024)
	edPub, _, _ := ed25519.GenerateKey(rand.Reader)
	//lint:ignore SA1019 a point off its curve can only be made from raw coordinates
	offCurve := &ecdsa.PublicKey{Curve: elliptic.P256(), X: new(big.Int).Set(p256.X), Y: new(big.Int).Add(p256.Y, big.NewInt(1))}

	for _, c := range []struct {
		name string
		alg  string
		key  crypto.PublicKey
		want bool
	}{
		{"ES256 with P-256", "ES256", &p256.PublicKey, true},
		{"ES384 with P-384", "ES384", &p384.PublicKey, true},
		{"ES512 with P-521", "ES512", &p521.PublicKey, true},
		{"ES256 with P-384", "ES256", &p384.PublicKey, false},
		{"ES384 with P-256", "ES384", &p256.PublicKey, false},
		{"ES256 off its curve", "ES256", offCurve, false},
		{"ES256 without coordinates", "ES256", &ecdsa.PublicKey{Curve: elliptic.P256()}, false},
		{"ES256 nil key", "ES256", (*ecdsa.PublicKey)(nil), false},
		{"RS256 with 2048 bits", "RS256", &rsa2048.PublicKey, true},
		{"PS512 with 2048 bits", "PS512", &rsa2048.PublicKey, true},
		{"RS256 with 1024 bits", "RS256", &rsa1024.PublicKey, false},
		{"RS256 nil modulus", "RS256", &rsa.PublicKey{E: 65537}, false},
		{"RS256 nil key", "RS256", (*rsa.PublicKey)(nil), false},
		{"ES256 with RSA", "ES256", &rsa2048.PublicKey, false},
		{"EdDSA with Ed25519", "EdDSA", edPub, true},
		{"EdDSA short key", "EdDSA", edPub[:16], false},
		{"RS256 with Ed25519", "RS256", edPub, false},
		{"HS256 with RSA", "HS256", &rsa2048.PublicKey, false},
		{"none with P-256", "none", &p256.PublicKey, false},
		{"EdDSA with a private key", "EdDSA", ed25519.PrivateKey(make([]byte, ed25519.PrivateKeySize)), false},
	} {
		if got := Fits(c.alg, c.key); got != c.want {
			t.Errorf("%s: Fits = %v; want %v", c.name, got, c.want)
		}
	}
}
