package jwks

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
)

// testKEK is a fixed key-encryption key for tests.
var testKEK = func() []byte {
	k := make([]byte, KEKSize)
	for i := range k {
		k[i] = byte(i)
	}
	return k
}()

func newTestSealer(t testing.TB) *Sealer {
	t.Helper()
	s, err := NewSealer(testKEK)
	if err != nil {
		t.Fatalf("NewSealer: %v", err)
	}
	return s
}

func TestNewSealer(t *testing.T) {
	for _, n := range []int{0, 16, 24, 31, 33, 64} {
		_, err := NewSealer(make([]byte, n))
		if !errors.Is(err, ErrInvalidKEK) {
			t.Errorf("NewSealer(%d bytes) = %v; want %v", n, err, ErrInvalidKEK)
		}
	}
}

func TestSealOpenRoundTrip(t *testing.T) {
	s := newTestSealer(t)
	for _, plain := range [][]byte{nil, []byte("x"), bytes.Repeat([]byte("private key "), 100)} {
		sealed, err := s.Seal("acme", "kid-1", plain)
		if err != nil {
			t.Fatalf("Seal: %v", err)
		}
		if len(sealed) != 1+12+len(plain)+16 {
			t.Errorf("len(Seal(%d bytes)) = %d; want %d", len(plain), len(sealed), 1+12+len(plain)+16)
		}
		if sealed[0] != sealVersion {
			t.Errorf("Seal version byte = %d; want %d", sealed[0], sealVersion)
		}
		if len(plain) > 8 && bytes.Contains(sealed, plain[:8]) {
			t.Errorf("Seal output contains the plaintext")
		}
		got, err := s.Open("acme", "kid-1", sealed)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		if !bytes.Equal(got, plain) {
			t.Errorf("Open(Seal(%q)) = %q", plain, got)
		}
	}
	// Two seals of one plaintext differ: the nonce is random.
	a, _ := s.Seal("acme", "kid-1", []byte("same"))
	b, _ := s.Seal("acme", "kid-1", []byte("same"))
	if bytes.Equal(a, b) {
		t.Errorf("two Seal calls gave the same output")
	}
}

func TestOpenFails(t *testing.T) {
	s := newTestSealer(t)
	sealed, err := s.Seal("acme", "kid-1", []byte("secret private key"))
	if err != nil {
		t.Fatal(err)
	}
	flip := func(i int) []byte {
		b := bytes.Clone(sealed)
		b[i] ^= 0x01
		return b
	}
	otherKEK := bytes.Clone(testKEK)
	otherKEK[0] ^= 0xff
	other, err := NewSealer(otherKEK)
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name        string
		sealer      *Sealer
		tenant, kid string
		in          []byte
	}{
		{"wrong tenant", s, "other", "kid-1", sealed},
		{"wrong kid", s, "acme", "kid-2", sealed},
		// Length prefixes keep ("ab","c") and ("a","bc") apart.
		{"shifted boundary", s, "acmek", "id-1", sealed},
		{"empty tenant", s, "", "kid-1", sealed},
		{"wrong kek", other, "acme", "kid-1", sealed},
		{"flipped version", s, "acme", "kid-1", flip(0)},
		{"flipped nonce", s, "acme", "kid-1", flip(5)},
		{"flipped ciphertext", s, "acme", "kid-1", flip(1 + 12 + 3)},
		{"flipped tag", s, "acme", "kid-1", flip(len(sealed) - 1)},
		{"truncated by one", s, "acme", "kid-1", sealed[:len(sealed)-1]},
		{"truncated to header", s, "acme", "kid-1", sealed[:13]},
		{"appended byte", s, "acme", "kid-1", append(bytes.Clone(sealed), 0)},
		{"empty", s, "acme", "kid-1", nil},
		{"version 2", s, "acme", "kid-1", append([]byte{2}, sealed[1:]...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.sealer.Open(tt.tenant, tt.kid, tt.in)
			if !errors.Is(err, ErrSealed) {
				t.Errorf("Open(%q, %q) = %q, %v; want %v", tt.tenant, tt.kid, got, err, ErrSealed)
			}
			if got != nil {
				t.Errorf("Open returned plaintext %q with error", got)
			}
		})
	}
}

func TestParseKEK(t *testing.T) {
	raw := make([]byte, 32)
	for i := range raw {
		raw[i] = byte(0xf0 + i%16) // high bytes, so std and url encodings differ
	}
	tests := []struct {
		name    string
		in      string
		want    []byte
		wantErr error
	}{
		{"std padded", base64.StdEncoding.EncodeToString(raw), raw, nil},
		{"std unpadded", base64.RawStdEncoding.EncodeToString(raw), raw, nil},
		{"url padded", base64.URLEncoding.EncodeToString(raw), raw, nil},
		{"url unpadded", base64.RawURLEncoding.EncodeToString(raw), raw, nil},
		{"trailing newline", base64.StdEncoding.EncodeToString(raw) + "\n", raw, nil},
		{"short", base64.StdEncoding.EncodeToString(raw[:31]), nil, ErrInvalidKEK},
		{"16 bytes", base64.StdEncoding.EncodeToString(raw[:16]), nil, ErrInvalidKEK},
		{"long", base64.StdEncoding.EncodeToString(append(raw, 1)), nil, ErrInvalidKEK},
		{"hex", strings.Repeat("ab", 32), nil, ErrInvalidKEK},
		{"garbage", "not a key!not a key!not a key!not a key!!!!", nil, ErrInvalidKEK},
		{"inner padding", base64.StdEncoding.EncodeToString(raw[:16]) + base64.StdEncoding.EncodeToString(raw[16:]), nil, ErrInvalidKEK},
		{"empty", "", nil, ErrInvalidKEK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseKEK(tt.in)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("ParseKEK(%q) = %v; want %v", tt.in, err, tt.wantErr)
			}
			if err != nil {
				if in := strings.TrimSpace(tt.in); in != "" && strings.Contains(err.Error(), in) {
					t.Errorf("ParseKEK error %q contains the input", err)
				}
				return
			}
			if !bytes.Equal(got, tt.want) {
				t.Errorf("ParseKEK(%q) = %x; want %x", tt.in, got, tt.want)
			}
		})
	}
}

// SealerFromKEK reads the key as ParseKEK does: a sealer from the string
// opens what NewSealer of the parsed bytes sealed, and a bad string is
// ErrInvalidKEK without the string in the message.
func TestSealerFromKEK(t *testing.T) {
	raw := bytes.Repeat([]byte{7}, KEKSize)
	enc := base64.RawURLEncoding.EncodeToString(raw) + "\n"
	fromString, err := SealerFromKEK(enc)
	if err != nil {
		t.Fatalf("SealerFromKEK = %v", err)
	}
	fromBytes, _ := NewSealer(raw)
	sealed, err := fromBytes.Seal("acme", "kid1", []byte("private"))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := fromString.Open("acme", "kid1", sealed); err != nil || string(got) != "private" {
		t.Errorf("Open = %q, %v; want the plaintext", got, err)
	}
	const bad = "not-a-key-secret-value"
	if _, err := SealerFromKEK(bad); !errors.Is(err, ErrInvalidKEK) || strings.Contains(err.Error(), bad) {
		t.Errorf("SealerFromKEK(bad) = %v; want ErrInvalidKEK without the input", err)
	}
}

// Subkeys differ by purpose and from the key-encryption key, and are the
// same for the same purpose under the same key.
func TestSubkey(t *testing.T) {
	kek := bytes.Repeat([]byte{1}, KEKSize)
	s, err := NewSealer(kek)
	if err != nil {
		t.Fatal(err)
	}
	a, b := s.Subkey("authflow/pending"), s.Subkey("authz/refresh")
	if len(a) != KEKSize || bytes.Equal(a, b) || bytes.Equal(a, kek) {
		t.Fatalf("Subkey: %x and %x from %x; want two 32-byte keys, distinct and unlike the KEK", a, b, kek)
	}
	s2, _ := NewSealer(kek)
	if !bytes.Equal(s2.Subkey("authflow/pending"), a) {
		t.Error("the same purpose under the same KEK derived another key")
	}
	other, _ := NewSealer(bytes.Repeat([]byte{2}, KEKSize))
	if bytes.Equal(other.Subkey("authflow/pending"), a) {
		t.Error("another KEK derived the same key")
	}
}
