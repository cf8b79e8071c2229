package verify_test

import (
	"crypto/ecdsa"
	"fmt"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/edgeauth/edgeauth/verify"
)

const base64url = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

// TestOneSpellingPerToken: a token is refused (ErrMalformed) unless it is
// three segments of the base64url alphabet in canonical form, so that a
// valid token has no second spelling. Go's base64 decoders skip CR and LF
// and ignore the unused low bits of a segment's last character, and
// go-jose checks the signature over the decoded bytes: each of these
// spellings of a valid token verified before.
func TestOneSpellingPerToken(t *testing.T) {
	es, ed, rs := sharedKeys(t)
	ks := newKeyServer(t, es, ed, rs)
	clk := newClock()
	v := newVerifier(t, ks, clk, verify.Options{})
	for _, k := range []*testKey{es, ed, rs} {
		good := tok{key: k, claims: claims(ks, clk.Now())}.mint(t)
		if _, err := v.Verify(t.Context(), good); err != nil {
			t.Fatalf("Verify(%s token) = %v", k.alg, err)
		}
		h, p, s := splitToken(t, good)
		spellings := map[string]string{
			"CRLF in the payload":  h + "." + p[:10] + "\r\n" + p[10:] + "." + s,
			"CR in the header":     h[:5] + "\r" + h[5:] + "." + p + "." + s,
			"LF in the signature":  h + "." + p + "." + s[:7] + "\n" + s[7:],
			"LF at the end":        good + "\n",
			"CRLF at the end":      good + "\r\n",
			"space in the payload": h + "." + p[:3] + " " + p[3:] + "." + s,
			"padding":              h + "." + p + "." + s + "==",
			"NUL at the end":       good + "\x00",
		}
		// The last character of a segment whose length is not a multiple
		// of four carries 2 or 4 bits that decode to nothing; they must
		// be zero (RFC 4648 §3.5).
		for name, seg := range map[string]int{"header": 0, "payload": 1, "signature": 2} {
			parts := []string{h, p, s}
			if parts[seg] = setUnusedBits(parts[seg]); parts[seg] != "" {
				spellings["unused bits set in the "+name] = strings.Join(parts, ".")
			}
		}
		if len(spellings) < 9 {
			t.Fatalf("%s token: no segment has unused bits; the test needs one", k.alg)
		}
		for name, token := range spellings {
			t.Run(string(k.alg)+"/"+name, func(t *testing.T) {
				_, err := v.Verify(t.Context(), token)
				checkErr(t, "Verify("+name+")", err, verify.ErrMalformed)
			})
		}
	}
}

// splitToken returns a compact JWS's three segments.
func splitToken(t *testing.T, token string) (h, p, s string) {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("token %q has %d segments", token, len(parts))
	}
	return parts[0], parts[1], parts[2]
}

// setUnusedBits returns seg with the lowest unused bit of its last
// character set, which decodes to the same bytes leniently, or "" if seg
// has no unused bits.
func setUnusedBits(seg string) string {
	if len(seg)%4 != 2 && len(seg)%4 != 3 {
		return ""
	}
	last := strings.IndexByte(base64url, seg[len(seg)-1])
	return seg[:len(seg)-1] + string(base64url[last|1])
}

// TestHighS: of the two encodings of an ECDSA signature, (r, s) and
// (r, n-s), both valid for crypto/ecdsa, Verify accepts only the low one
// (s at most n/2), which edgeauth's signer always writes, and refuses the
// other with ErrSignature, so that a token has one spelling.
func TestHighS(t *testing.T) {
	ks := newKeyServer(t)
	clk := newClock()
	for _, alg := range []jose.SignatureAlgorithm{jose.ES256, jose.ES384, jose.ES512} {
		t.Run(string(alg), func(t *testing.T) {
			k := newKey(t, alg)
			ks.setKeys(k)
			v := newVerifier(t, ks, clk, verify.Options{Algorithms: []string{string(alg)}})
			curve := k.priv.(*ecdsa.PrivateKey).Curve
			for i := range 8 {
				low := tok{key: k, claims: with(claims(ks, clk.Now()), "jti", fmt.Sprint(i))}.mint(t)
				if highS(t, low, curve) {
					t.Fatalf("mint gave a high s")
				}
				if _, err := v.Verify(t.Context(), low); err != nil {
					t.Fatalf("Verify(low s) = %v", err)
				}
				high := flipS(t, low, curve)
				if !highS(t, high, curve) {
					t.Fatalf("flipS gave a low s")
				}
				_, err := v.Verify(t.Context(), high)
				checkErr(t, "Verify(high s)", err, verify.ErrSignature)
			}
		})
	}
}
