package jwks

import (
	"encoding/base64"
	"encoding/json"
	"errors"
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
