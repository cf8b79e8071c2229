package verify_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/edgeauth/edgeauth/verify"
)

// FuzzVerify: no input panics the verifier, and nothing but the one valid
// token verifies. A mutation that still verifies must decode to the same
// claims (JSON and base64url admit a few equivalent spellings).
func FuzzVerify(f *testing.F) {
	es, ed, rs := sharedKeys(f)
	ks := newKeyServer(f, es, ed, rs)
	clk := newClock()
	v := newVerifier(f, ks, clk, verify.Options{})
	valid := tok{key: es, claims: claims(ks, clk.Now())}.mint(f)
	f.Add(valid)
	f.Add(tok{key: ed, claims: claims(ks, clk.Now())}.mint(f))
	f.Add(tok{key: rs, claims: claims(ks, clk.Now())}.mint(f))
	f.Add(tok{key: es, typ: "JWT", claims: claims(ks, clk.Now())}.mint(f))
	f.Add("eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.")
	f.Add("a.b.c")
	f.Add("")
	f.Add(strings.Repeat("A", 40000))
	want, err := v.Verify(context.Background(), valid)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, token string) {
		c, err := v.Verify(context.Background(), token)
		if err == nil {
			if c.Subject != want.Subject || c.ID != want.ID || c.Issuer != want.Issuer {
				t.Fatalf("Verify(%q) accepted a token with other claims: %+v", token, c)
			}
			return
		}
		for _, sentinel := range []error{verify.ErrMalformed, verify.ErrAlgorithm, verify.ErrType, verify.ErrUnknownKey,
			verify.ErrSignature, verify.ErrIssuer, verify.ErrAudience, verify.ErrExpired, verify.ErrNotYetValid,
			verify.ErrIssuedAt, verify.ErrTenant, verify.ErrUnavailable} {
			if errors.Is(err, sentinel) {
				return
			}
		}
		t.Fatalf("Verify(%q) = %v; want one of the package's sentinel errors", token, err)
	})
}
