package verify_test

import (
	"testing"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/edgeauth/edgeauth/verify"
)

// benchVerify measures Verify with the key set cached: the cost a resource
// server pays per request.
func benchVerify(b *testing.B, alg jose.SignatureAlgorithm) {
	k := newKey(b, alg)
	ks := newKeyServer(b, k)
	clk := newClock()
	v := newVerifier(b, ks, clk, verify.Options{})
	token := tok{key: k, claims: claims(ks, clk.Now())}.mint(b)
	if _, err := v.Verify(b.Context(), token); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(b.Context(), token); err != nil {
			b.Fatal(err)
		}
	}
	if n := ks.jwksFetches.Load(); n != 1 {
		b.Fatalf("JWKS fetches = %d; want 1", n)
	}
}

func BenchmarkVerifyES256(b *testing.B) { benchVerify(b, jose.ES256) }
func BenchmarkVerifyEdDSA(b *testing.B) { benchVerify(b, jose.EdDSA) }
func BenchmarkVerifyRS256(b *testing.B) { benchVerify(b, jose.RS256) }
