package jwks

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"strings"
	"testing"

	"github.com/edgeauth/edgeauth/storage"
	jose "github.com/go-jose/go-jose/v4"
	"github.com/google/go-cmp/cmp"
)

type testClaims struct {
	Iss   string `json:"iss"`
	Sub   string `json:"sub"`
	Aud   string `json:"aud"`
	Exp   int64  `json:"exp"`
	Scope string `json:"scope,omitempty"`
}

func TestSignVerify(t *testing.T) {
	s := newTestSealer(t)
	claims := testClaims{Iss: "https://auth.example/t/acme", Sub: "u1", Aud: "https://api.example", Exp: testNow.Unix() + 300, Scope: "read"}
	for _, alg := range testAlgs {
		k := genKey(t, s, alg, storage.UseAccessToken, storage.KeyCurrent, testNow)
		// Another published key, so the verifier has to pick by kid.
		other := genKey(t, s, ES256, storage.UseAccessToken, storage.KeyNext, testNow)
		signer, err := NewSigner(k, s, nil)
		if err != nil {
			t.Fatalf("NewSigner(%s): %v", alg, err)
		}
		if signer.KID() != k.KID || signer.Alg() != alg {
			t.Errorf("Signer KID, Alg = %q, %q; want %q, %q", signer.KID(), signer.Alg(), k.KID, alg)
		}
		doc, err := Document([]storage.SigningKey{other, k})
		if err != nil {
			t.Fatal(err)
		}
		var set jose.JSONWebKeySet
		if err := json.Unmarshal(doc, &set); err != nil {
			t.Fatal(err)
		}
		for _, typ := range []string{"at+jwt", "JWT"} {
			t.Run(alg+"/"+typ, func(t *testing.T) {
				tok, err := signer.Sign(claims, typ)
				if err != nil {
					t.Fatalf("Sign: %v", err)
				}

				// The protected header is exactly alg, kid, typ.
				var header map[string]string
				seg, _, _ := strings.Cut(tok, ".")
				raw, err := base64.RawURLEncoding.DecodeString(seg)
				if err != nil {
					t.Fatal(err)
				}
				if err := json.Unmarshal(raw, &header); err != nil {
					t.Fatalf("header %s: %v", raw, err)
				}
				want := map[string]string{"alg": alg, "kid": k.KID, "typ": typ}
				if diff := cmp.Diff(want, header); diff != "" {
					t.Errorf("Sign header (-want +got):\n%s", diff)
				}

				jws, err := jose.ParseSignedCompact(tok, []jose.SignatureAlgorithm{jose.SignatureAlgorithm(alg)})
				if err != nil {
					t.Fatalf("ParseSignedCompact: %v", err)
				}
				h := jws.Signatures[0].Protected
				keys := set.Key(h.KeyID)
				if len(keys) != 1 {
					t.Fatalf("JWKS has %d keys with kid %q; want 1", len(keys), h.KeyID)
				}
				if h.ExtraHeaders[jose.HeaderType] != typ || h.Algorithm != alg {
					t.Errorf("parsed header typ, alg = %v, %q; want %q, %q", h.ExtraHeaders[jose.HeaderType], h.Algorithm, typ, alg)
				}
				payload, err := jws.Verify(keys[0])
				if err != nil {
					t.Fatalf("Verify with the JWKS key: %v", err)
				}
				var got testClaims
				if err := json.Unmarshal(payload, &got); err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(claims, got); diff != "" {
					t.Errorf("verified claims (-want +got):\n%s", diff)
				}
				if _, err := jws.Verify(set.Key(other.KID)[0]); err == nil {
					t.Errorf("Verify with another key succeeded")
				}
			})
		}
	}
}

func TestSignErrors(t *testing.T) {
	s := newTestSealer(t)
	signer, err := NewSigner(genKey(t, s, EdDSA, storage.UseAccessToken, storage.KeyCurrent, testNow), s, nil)
	if err != nil {
		t.Fatal(err)
	}
	var jsonErr *json.UnsupportedTypeError
	tests := []struct {
		name    string
		claims  any
		typ     string
		wantErr string // substring; these errors have no sentinel
		wantAs  any
	}{
		{name: "empty typ", claims: map[string]any{"sub": "u"}, typ: "", wantErr: "empty typ"},
		{name: "array", claims: []string{"a"}, typ: "JWT", wantErr: "not a JSON object"},
		{name: "string", claims: "sub", typ: "JWT", wantErr: "not a JSON object"},
		{name: "bytes", claims: []byte(`{"sub":"u"}`), typ: "JWT", wantErr: "not a JSON object"},
		{name: "null", claims: nil, typ: "JWT", wantErr: "not a JSON object"},
		{name: "unencodable", claims: map[string]any{"c": make(chan int)}, typ: "JWT", wantErr: "encode claims", wantAs: &jsonErr},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok, err := signer.Sign(tt.claims, tt.typ)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Sign(%v, %q) = %q, %v; want error containing %q", tt.claims, tt.typ, tok, err, tt.wantErr)
			}
			if tt.wantAs != nil && !errors.As(err, tt.wantAs) {
				t.Errorf("Sign error %v is not a %T", err, tt.wantAs)
			}
		})
	}
	// A json.RawMessage object is signed as it is.
	if _, err := signer.Sign(json.RawMessage(`{"sub":"u"}`), "JWT"); err != nil {
		t.Errorf("Sign(json.RawMessage) = %v", err)
	}
}

func TestNewSignerErrors(t *testing.T) {
	s := newTestSealer(t)
	es := genKey(t, s, ES256, storage.UseAccessToken, storage.KeyCurrent, testNow)
	ed := genKey(t, s, EdDSA, storage.UseAccessToken, storage.KeyCurrent, testNow)
	with := func(f func(*storage.SigningKey)) storage.SigningKey {
		k := es
		f(&k)
		return k
	}
	other, err := NewSealer(make([]byte, KEKSize))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		k       storage.SigningKey
		s       *Sealer
		wantErr error
	}{
		{"other tenant", with(func(k *storage.SigningKey) { k.TenantID = "other" }), s, ErrSealed},
		{"other kid", with(func(k *storage.SigningKey) { k.KID = ed.KID }), s, ErrSealed},
		{"other key's sealed private", with(func(k *storage.SigningKey) { k.PrivateSealed = ed.PrivateSealed }), s, ErrSealed},
		{"other kek", es, other, ErrSealed},
		{"no sealed key", with(func(k *storage.SigningKey) { k.PrivateSealed = nil }), s, ErrSealed},
		{"alg does not fit key", with(func(k *storage.SigningKey) { k.Alg = RS256 }), s, ErrUnsupportedAlg},
		{"EdDSA alg on EC key", with(func(k *storage.SigningKey) { k.Alg = EdDSA }), s, ErrUnsupportedAlg},
		{"unsupported alg", with(func(k *storage.SigningKey) { k.Alg = "HS256" }), s, ErrUnsupportedAlg},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NewSigner(tt.k, tt.s, nil)
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("NewSigner = %v, %v; want %v", got, err, tt.wantErr)
			}
		})
	}
	if _, err := NewSigner(es, nil, nil); err == nil {
		t.Errorf("NewSigner(nil sealer) succeeded")
	}
}

// TestNewSignerKIDMismatch forges a record whose private key was sealed under
// a kid that is not its thumbprint: NewSigner must refuse to sign under it.
func TestNewSignerKIDMismatch(t *testing.T) {
	s := newTestSealer(t)
	k := genKey(t, s, ES256, storage.UseAccessToken, storage.KeyCurrent, testNow)
	der, err := s.Open(k.TenantID, k.KID, k.PrivateSealed)
	if err != nil {
		t.Fatal(err)
	}
	k.KID = "forged"
	if k.PrivateSealed, err = s.Seal(k.TenantID, k.KID, der); err != nil {
		t.Fatal(err)
	}
	if _, err := NewSigner(k, s, nil); err == nil || !strings.Contains(err.Error(), "thumbprint") {
		t.Errorf("NewSigner(forged kid) = %v; want thumbprint mismatch", err)
	}
}

func benchmarkSign(b *testing.B, alg string) {
	s := newTestSealer(b)
	signer, err := NewSigner(genKey(b, s, alg, storage.UseAccessToken, storage.KeyCurrent, testNow), s, nil)
	if err != nil {
		b.Fatal(err)
	}
	claims := map[string]any{
		"iss": "https://auth.example/t/acme", "sub": "u1", "aud": "https://api.example",
		"exp": testNow.Unix() + 300, "iat": testNow.Unix(), "jti": "0123456789abcdef",
		"client_id": "app", "scope": "openid read", "tenant": "acme",
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := signer.Sign(claims, "at+jwt"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSignES256(b *testing.B) { benchmarkSign(b, ES256) }
func BenchmarkSignEdDSA(b *testing.B) { benchmarkSign(b, EdDSA) }
func BenchmarkSignRS256(b *testing.B) { benchmarkSign(b, RS256) }

// BenchmarkNewSigner measures opening a sealed key and parsing it, what a
// request pays when no Signer is cached.
func BenchmarkNewSigner(b *testing.B) {
	s := newTestSealer(b)
	for _, alg := range testAlgs {
		k := genKey(b, s, alg, storage.UseAccessToken, storage.KeyCurrent, testNow)
		b.Run(alg, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := NewSigner(k, s, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// halfN is half the order of P-256, computed here rather than taken from
// the code under test: an ES256 signature's s is low when it is at most
// this.
func halfN() *big.Int { return new(big.Int).Rsh(elliptic.P256().Params().N, 1) }

// highSBackend is a Backend that signs ES256 with Go's crypto and always
// returns the high form of s (n - s when s is low), as crypto/ecdsa or
// WebCrypto may return for about half of all signatures.
func highSBackend() Backend {
	return func(alg string, der []byte) (func([]byte) ([]byte, error), error) {
		k, err := x509.ParsePKCS8PrivateKey(der)
		if err != nil {
			return nil, err
		}
		priv := k.(*ecdsa.PrivateKey)
		return func(input []byte) ([]byte, error) {
			digest := sha256.Sum256(input)
			r, s, err := ecdsa.Sign(rand.Reader, priv, digest[:])
			if err != nil {
				return nil, err
			}
			if s.Cmp(halfN()) <= 0 {
				s.Sub(elliptic.P256().Params().N, s)
			}
			sig := make([]byte, 64)
			r.FillBytes(sig[:32])
			s.FillBytes(sig[32:])
			return sig, nil
		}, nil
	}
}

// TestSignES256LowS: every ES256 signature the Signer makes has s in the
// low half, whichever form the backend returned, and still verifies.
// (r, s) and (r, n-s) are the same signature; verify refuses the high
// form as a second encoding of it. Go's crypto/ecdsa returns the high
// form about half of the time, so 64 signatures all low by chance has
// probability 2^-64.
func TestSignES256LowS(t *testing.T) {
	s := newTestSealer(t)
	k := genKey(t, s, ES256, storage.UseAccessToken, storage.KeyCurrent, testNow)
	var jwk jose.JSONWebKey
	if err := jwk.UnmarshalJSON(k.PublicJWK); err != nil {
		t.Fatal(err)
	}
	pub := jwk.Key.(*ecdsa.PublicKey)
	for name, b := range map[string]Backend{"go": nil, "backend returning high s": highSBackend()} {
		t.Run(name, func(t *testing.T) {
			signer, err := NewSigner(k, s, b)
			if err != nil {
				t.Fatal(err)
			}
			for i := range 64 {
				tok, err := signer.Sign(map[string]any{"n": i}, "at+jwt")
				if err != nil {
					t.Fatal(err)
				}
				dot := strings.LastIndexByte(tok, '.')
				sig, err := base64.RawURLEncoding.DecodeString(tok[dot+1:])
				if err != nil || len(sig) != 64 {
					t.Fatalf("signature %q: %d bytes, %v", tok[dot+1:], len(sig), err)
				}
				r, sv := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
				if sv.Cmp(halfN()) > 0 {
					t.Fatalf("Sign #%d: s = %x is above n/2", i, sv)
				}
				digest := sha256.Sum256([]byte(tok[:dot]))
				if !ecdsa.Verify(pub, digest[:], r, sv) {
					t.Fatalf("Sign #%d: signature does not verify", i)
				}
			}
		})
	}
}

// TestSignES256BadBackend: an ES256 backend whose signature is not 64
// bytes (r||s) is an error, not a token.
func TestSignES256BadBackend(t *testing.T) {
	s := newTestSealer(t)
	k := genKey(t, s, ES256, storage.UseAccessToken, storage.KeyCurrent, testNow)
	asn1 := func(string, []byte) (func([]byte) ([]byte, error), error) {
		return func([]byte) ([]byte, error) { return make([]byte, 70), nil }, nil
	}
	signer, err := NewSigner(k, s, asn1)
	if err != nil {
		t.Fatal(err)
	}
	if tok, err := signer.Sign(map[string]any{"sub": "u"}, "at+jwt"); err == nil || !strings.Contains(err.Error(), "70 bytes") {
		t.Errorf("Sign with a 70-byte ES256 signature = %q, %v; want an error", tok, err)
	}
}
