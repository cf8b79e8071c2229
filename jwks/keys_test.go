package jwks

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/edgeauth/edgeauth/storage"
	jose "github.com/go-jose/go-jose/v4"
	"github.com/google/go-cmp/cmp"
)

var (
	testNow  = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	testAlgs = []string{ES256, EdDSA, RS256}
)

// genKey makes a key of tenant "acme" or fails the test.
func genKey(t testing.TB, s *Sealer, alg string, use storage.KeyUse, state storage.KeyState, now time.Time) storage.SigningKey {
	t.Helper()
	k, err := Generate(nil, s, storage.SigningKey{TenantID: "acme", Alg: alg, Use: use, State: state, CreatedAt: now})
	if err != nil {
		t.Fatalf("Generate(%s): %v", alg, err)
	}
	return k
}

func TestGenerate(t *testing.T) {
	s := newTestSealer(t)
	tests := []struct {
		alg     string
		state   storage.KeyState
		wantKty string
		wantKey any // type of the private key
	}{
		{ES256, storage.KeyCurrent, "EC", &ecdsa.PrivateKey{}},
		{EdDSA, storage.KeyNext, "OKP", ed25519.PrivateKey{}},
		{RS256, storage.KeyCurrent, "RSA", &rsa.PrivateKey{}},
	}
	for _, tt := range tests {
		t.Run(tt.alg, func(t *testing.T) {
			k := genKey(t, s, tt.alg, storage.UseAccessToken, tt.state, testNow)

			var wantActivated time.Time
			if tt.state == storage.KeyCurrent {
				wantActivated = testNow
			}
			got := storage.SigningKey{TenantID: k.TenantID, Alg: k.Alg, Use: k.Use, State: k.State, CreatedAt: k.CreatedAt, ActivatedAt: k.ActivatedAt}
			want := storage.SigningKey{TenantID: "acme", Alg: tt.alg, Use: storage.UseAccessToken, State: tt.state, CreatedAt: testNow, ActivatedAt: wantActivated}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Generate(%s) fields (-want +got):\n%s", tt.alg, diff)
			}

			// The JWK is public and carries kid, alg, use.
			var jwk jose.JSONWebKey
			if err := json.Unmarshal(k.PublicJWK, &jwk); err != nil {
				t.Fatalf("PublicJWK %s does not parse: %v", k.PublicJWK, err)
			}
			if !jwk.IsPublic() {
				t.Errorf("PublicJWK %s is not public", k.PublicJWK)
			}
			if jwk.KeyID != k.KID || jwk.Algorithm != tt.alg || jwk.Use != "sig" {
				t.Errorf("PublicJWK kid, alg, use = %q, %q, %q; want %q, %q, %q", jwk.KeyID, jwk.Algorithm, jwk.Use, k.KID, tt.alg, "sig")
			}
			var members map[string]any
			if err := json.Unmarshal(k.PublicJWK, &members); err != nil {
				t.Fatal(err)
			}
			if members["kty"] != tt.wantKty {
				t.Errorf("PublicJWK kty = %v; want %s", members["kty"], tt.wantKty)
			}
			for _, private := range []string{"d", "p", "q", "dp", "dq", "qi"} {
				if _, ok := members[private]; ok {
					t.Errorf("PublicJWK has private member %q", private)
				}
			}

			// kid is the RFC 7638 thumbprint, as go-jose computes it.
			tp, err := jwk.Thumbprint(crypto.SHA256)
			if err != nil {
				t.Fatal(err)
			}
			if want := base64.RawURLEncoding.EncodeToString(tp); k.KID != want {
				t.Errorf("KID = %q; want thumbprint %q", k.KID, want)
			}

			// The sealed private key opens, is PKCS #8 of the right type and
			// matches the public key; it is not stored in the clear.
			der, err := s.Open("acme", k.KID, k.PrivateSealed)
			if err != nil {
				t.Fatalf("Open(PrivateSealed): %v", err)
			}
			priv, err := x509.ParsePKCS8PrivateKey(der)
			if err != nil {
				t.Fatalf("ParsePKCS8PrivateKey: %v", err)
			}
			if diff := cmp.Diff(typeName(tt.wantKey), typeName(priv)); diff != "" {
				t.Errorf("private key type (-want +got):\n%s", diff)
			}
			pub := priv.(crypto.Signer).Public().(interface{ Equal(crypto.PublicKey) bool })
			if !pub.Equal(jwk.Key) {
				t.Errorf("sealed private key does not match PublicJWK")
			}
			if bytes.Contains(k.PrivateSealed, der[len(der)-16:]) {
				t.Errorf("PrivateSealed contains the private key in the clear")
			}
			if _, err := s.Open("other", k.KID, k.PrivateSealed); !errors.Is(err, ErrSealed) {
				t.Errorf("Open(other tenant) = %v; want %v", err, ErrSealed)
			}
		})
	}
}

func typeName(v any) string { return fmt.Sprintf("%T", v) }

func TestGenerateUnsupportedAlg(t *testing.T) {
	s := newTestSealer(t)
	for _, alg := range []string{"", "HS256", "none", "ES384", "PS256", "es256", "EdDSA "} {
		_, err := Generate(nil, s, storage.SigningKey{TenantID: "acme", Alg: alg, Use: storage.UseAccessToken, State: storage.KeyNext, CreatedAt: testNow})
		if !errors.Is(err, ErrUnsupportedAlg) {
			t.Errorf("Generate(%q) = %v; want %v", alg, err, ErrUnsupportedAlg)
		}
	}
}

// TestThumbprintRFC7638 checks the thumbprint against the example of
// RFC 7638 §3.1.
func TestThumbprintRFC7638(t *testing.T) {
	const example = `{"kty":"RSA","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw","e":"AQAB","alg":"RS256","kid":"2011-04-29"}`
	var jwk jose.JSONWebKey
	if err := json.Unmarshal([]byte(example), &jwk); err != nil {
		t.Fatal(err)
	}
	got, err := thumbprint(jwk.Key)
	if err != nil {
		t.Fatal(err)
	}
	if want := "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"; got != want {
		t.Errorf("thumbprint(RFC 7638 example) = %q; want %q", got, want)
	}
}

// TestGenerateEd25519Rand shows that rand is the source of Ed25519 keys (the
// one algorithm whose generator still reads it in Go 1.26).
func TestGenerateEd25519Rand(t *testing.T) {
	s := newTestSealer(t)
	a, err := Generate(bytes.NewReader(make([]byte, 32)), s, storage.SigningKey{TenantID: "acme", Alg: EdDSA, Use: storage.UseAccessToken, State: storage.KeyNext, CreatedAt: testNow})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Generate(bytes.NewReader(make([]byte, 32)), s, storage.SigningKey{TenantID: "acme", Alg: EdDSA, Use: storage.UseAccessToken, State: storage.KeyNext, CreatedAt: testNow})
	if err != nil {
		t.Fatal(err)
	}
	if a.KID != b.KID {
		t.Errorf("Ed25519 keys from the same seed have kids %q and %q", a.KID, b.KID)
	}
	if _, err := Generate(bytes.NewReader(nil), s, storage.SigningKey{TenantID: "acme", Alg: EdDSA, Use: storage.UseAccessToken, State: storage.KeyNext, CreatedAt: testNow}); err == nil {
		t.Errorf("Generate with an empty rand succeeded")
	}
}

// BenchmarkGenerate measures making and sealing a key, what Bootstrap and
// each rotation pay. RSA key generation time varies widely from run to run.
func BenchmarkGenerate(b *testing.B) {
	s := newTestSealer(b)
	for _, alg := range testAlgs {
		b.Run(alg, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Generate(nil, s, storage.SigningKey{TenantID: "acme", Alg: alg, Use: storage.UseAccessToken, State: storage.KeyNext, CreatedAt: testNow}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
