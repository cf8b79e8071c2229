//go:build js && wasm

package verify

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
)

// TestJSWebCryptoAgreesWithGo: on js/wasm, checkSignature goes through
// WebCrypto for the algorithms it knows, and says what go-jose says for
// good signatures and for signatures, payloads and keys that are wrong.
// Run with GOOS=js GOARCH=wasm and Go's go_js_wasm_exec (Node) on PATH:
// make unit does.
func TestJSWebCryptoAgreesWithGo(t *testing.T) {
	ec := func(c elliptic.Curve) crypto.Signer { k, _ := ecdsa.GenerateKey(c, rand.Reader); return k }
	rs := func() crypto.Signer { k, _ := rsa.GenerateKey(rand.Reader, 2048); return k }
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	_, ed2, _ := ed25519.GenerateKey(rand.Reader)
	for _, tc := range []struct {
		alg        jose.SignatureAlgorithm
		key, other crypto.Signer
		webCrypto  bool
	}{
		{jose.ES256, ec(elliptic.P256()), ec(elliptic.P256()), true},
		{jose.ES384, ec(elliptic.P384()), ec(elliptic.P384()), true},
		{jose.EdDSA, ed, ed2, true},
		{jose.RS256, rs(), rs(), true},
		{jose.RS512, rs(), rs(), true},
		{jose.PS256, rs(), rs(), false}, // go-jose: any PSS salt length
		{jose.ES512, ec(elliptic.P521()), ec(elliptic.P521()), false},
	} {
		t.Run(string(tc.alg), func(t *testing.T) {
			key := Key{Algorithm: string(tc.alg), Public: tc.key.Public()}
			if _, _, ok := webCryptoKey(key); ok != tc.webCrypto {
				t.Fatalf("webCryptoKey ok = %v, want %v", ok, tc.webCrypto)
			}
			signer, err := jose.NewSigner(jose.SigningKey{Algorithm: tc.alg, Key: tc.key}, nil)
			if err != nil {
				t.Fatal(err)
			}
			obj, err := signer.Sign([]byte(`{"sub":"alice"}`))
			if err != nil {
				t.Fatal(err)
			}
			good, _ := obj.CompactSerialize()
			dot := strings.LastIndexByte(good, '.')
			flip := func(s string, i int) string {
				b := []byte(s)
				if b[i] == 'A' {
					b[i] = 'B'
				} else {
					b[i] = 'A'
				}
				return string(b)
			}
			cases := []struct {
				name, token string
				key         Key
				ok          bool
			}{
				{"good", good, key, true},
				{"signature changed", flip(good, dot+2), key, false},
				{"payload changed", flip(good, dot-2), key, false},
				{"another key", good, Key{Algorithm: string(tc.alg), Public: tc.other.Public()}, false},
			}
			for _, c := range cases {
				jws, err := jose.ParseSignedCompact(c.token, []jose.SignatureAlgorithm{tc.alg})
				if err != nil {
					continue // a flipped byte that no longer parses proves nothing here
				}
				got, err := checkSignature(c.token, jws, c.key)
				want, wantErr := jws.Verify(c.key.Public)
				if (err == nil) != c.ok || (wantErr == nil) != c.ok {
					t.Errorf("%s: checkSignature err = %v, go-jose err = %v; want ok = %v", c.name, err, wantErr, c.ok)
				}
				if c.ok && !bytes.Equal(got, want) {
					t.Errorf("%s: payload %q, go-jose %q", c.name, got, want)
				}
			}
		})
	}
}

// TestJSRemoteKeysNeedHTTPClient: on js/wasm there is no default HTTP
// client (Go's has no network inside a Worker), and New says so rather
// than fail at the first token.
func TestJSRemoteKeysNeedHTTPClient(t *testing.T) {
	_, err := New("https://auth.example/t/acme", Options{Audience: "https://api.example/"})
	if err == nil || !strings.Contains(err.Error(), "HTTPClient is required") {
		t.Fatalf("New without HTTPClient = %v, want the HTTPClient is required error", err)
	}
}
