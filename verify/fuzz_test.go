package verify_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/edgeauth/edgeauth/verify"
)

// FuzzVerify: no input panics the verifier, every failure is one of the
// sentinel errors, and nothing verifies but the valid tokens given as
// seeds, byte for byte: a token has one spelling (no CR/LF, canonical
// base64url, the low s of ECDSA), so no mutation of one verifies.
func FuzzVerify(f *testing.F) {
	es, ed, rs := sharedKeys(f)
	ks := newKeyServer(f, es, ed, rs)
	clk := newClock()
	v := newVerifier(f, ks, clk, verify.Options{})
	valid := []string{
		tok{key: es, claims: claims(ks, clk.Now())}.mint(f),
		tok{key: ed, claims: claims(ks, clk.Now())}.mint(f),
		tok{key: rs, claims: claims(ks, clk.Now())}.mint(f),
	}
	for _, s := range valid {
		if _, err := v.Verify(context.Background(), s); err != nil {
			f.Fatal(err)
		}
		f.Add(s)
	}
	f.Add(tok{key: es, typ: "JWT", claims: claims(ks, clk.Now())}.mint(f))
	f.Add("eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.")
	f.Add("a.b.c")
	f.Add("")
	f.Add(strings.Repeat("A", 40000))
	f.Fuzz(func(t *testing.T, token string) {
		_, err := v.Verify(context.Background(), token)
		if err == nil {
			if !slices.Contains(valid, token) {
				t.Fatalf("Verify(%q) accepted a token that is not one of the valid ones", token)
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
