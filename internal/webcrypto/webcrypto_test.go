//go:build js && wasm

package webcrypto

import (
	"bytes"
	"crypto/pbkdf2"
	"crypto/sha512"
	"testing"
)

// TestMatchesGo: WebCrypto's PBKDF2 and crypto/pbkdf2 agree, so a hash
// made by the Worker checks natively and the other way round. Run with
// GOOS=js GOARCH=wasm and Go's go_js_wasm_exec (Node) on PATH: make test
// does.
func TestMatchesGo(t *testing.T) {
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
	if _, err := PBKDF2SHA512([]byte("x"), []byte("s"), MaxIterations+1, 32); err == nil {
		t.Errorf("PBKDF2SHA512 above MaxIterations = nil error")
	}
}
