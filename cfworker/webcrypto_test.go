//go:build js && wasm

package cfworker

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"errors"
	"math/big"
	"testing"
)

// TestPBKDF2MatchesGo: WebCrypto's PBKDF2 and crypto/pbkdf2 agree, so a
// hash made by the Worker checks natively and the other way round. Run
// with GOOS=js GOARCH=wasm and Go's go_js_wasm_exec (Node) on PATH: make
// unit does.
func TestPBKDF2MatchesGo(t *testing.T) {
	for _, tc := range []struct {
		password, salt string
		iter, n        int
	}{
		{"correct horse battery staple", "0123456789abcdef", 1000, 32},
		{"", "salt", 1, 64},
		{"ünïcode 🔑", "\x00\x01\x02", 100_000, 32},
	} {
		got, err := PBKDF2SHA512([]byte(tc.password), []byte(tc.salt), tc.iter, tc.n)
		if err != nil {
			t.Fatalf("PBKDF2SHA512(%q) = %v", tc.password, err)
		}
		want, _ := pbkdf2.Key(sha512.New, tc.password, []byte(tc.salt), tc.iter, tc.n)
		if !bytes.Equal(got, want) {
			t.Errorf("PBKDF2SHA512(%q, %d) = %x; want %x", tc.password, tc.iter, got, want)
		}
	}
	if _, err := PBKDF2SHA512([]byte("x"), []byte("s"), MaxPBKDF2Iterations+1, 32); err == nil {
		t.Errorf("PBKDF2SHA512 above MaxPBKDF2Iterations = nil error")
	}
}

// signInput is a JWS signing input.
var signInput = []byte("eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ1In0")

// testKeys makes one key of each algorithm edgeauth signs with.
func testKeys(tb testing.TB) (*ecdsa.PrivateKey, ed25519.PrivateKey, *rsa.PrivateKey) {
	tb.Helper()
	ecKey, err1 := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	_, edKey, err2 := ed25519.GenerateKey(rand.Reader)
	rsaKey, err3 := rsa.GenerateKey(rand.Reader, 2048)
	if err := errors.Join(err1, err2, err3); err != nil {
		tb.Fatal(err)
	}
	return ecKey, edKey, rsaKey
}

// backendFor imports key through SignBackend for alg.
func backendFor(tb testing.TB, alg string, key any) func([]byte) ([]byte, error) {
	tb.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		tb.Fatal(err)
	}
	sign, err := SignBackend(alg, der)
	if err != nil {
		tb.Fatalf("SignBackend(%s) = %v", alg, err)
	}
	return sign
}

// TestSignBackend: a signature made through WebCrypto verifies with Go's
// crypto for every algorithm edgeauth signs with.
func TestSignBackend(t *testing.T) {
	ecKey, edKey, rsaKey := testKeys(t)
	digest := sha256.Sum256(signInput)
	for _, tc := range []struct {
		alg    string
		key    any
		verify func(sig []byte) bool
	}{
		{"ES256", ecKey, func(sig []byte) bool {
			return len(sig) == 64 && ecdsa.Verify(&ecKey.PublicKey, digest[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:]))
		}},
		{"EdDSA", edKey, func(sig []byte) bool { return ed25519.Verify(edKey.Public().(ed25519.PublicKey), signInput, sig) }},
		{"RS256", rsaKey, func(sig []byte) bool {
			return rsa.VerifyPKCS1v15(&rsaKey.PublicKey, crypto.SHA256, digest[:], sig) == nil
		}},
	} {
		sign := backendFor(t, tc.alg, tc.key)
		for i := range 2 { // the imported key serves more than one signature
			sig, err := sign(signInput)
			if err != nil {
				t.Fatalf("%s sign #%d = %v", tc.alg, i, err)
			}
			if !tc.verify(sig) {
				t.Errorf("%s signature #%d does not verify with Go's crypto", tc.alg, i)
			}
		}
		if tc.verify(make([]byte, 64)) {
			t.Errorf("%s: the verifier accepts a zero signature", tc.alg)
		}
	}
	if _, err := SignBackend("HS256", []byte{1}); err == nil {
		t.Error("SignBackend(HS256) = nil error")
	}
	der, _ := x509.MarshalPKCS8PrivateKey(edKey)
	if _, err := SignBackend("ES256", der); err == nil {
		t.Error("SignBackend(ES256, an Ed25519 key) = nil error")
	}
}

// BenchmarkSignBackend: the per-signature cost through WebCrypto, to set
// against jwks' BenchmarkSign* under GOOS=js (Go's crypto in wasm).
func BenchmarkSignBackend(b *testing.B) {
	ecKey, edKey, rsaKey := testKeys(b)
	for _, tc := range []struct {
		alg string
		key any
	}{{"ES256", ecKey}, {"EdDSA", edKey}, {"RS256", rsaKey}} {
		sign := backendFor(b, tc.alg, tc.key)
		b.Run(tc.alg, func(b *testing.B) {
			for b.Loop() {
				if _, err := sign(signInput); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
