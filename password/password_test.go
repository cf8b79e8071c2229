package password

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestPassword(t *testing.T) {
	h := Hasher{Rand: bytes.NewReader(bytes.Repeat([]byte{7}, 64))}
	hash, err := h.Hash("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(hash, "$pbkdf2-sha512$i=100000$") {
		t.Errorf("hash = %q; want PHC pbkdf2-sha512 with i=100000", hash)
	}
	check := func(hash, pw string) bool {
		ok, err := h.Check(hash, pw)
		if err != nil {
			t.Fatalf("Check: %v", err)
		}
		return ok
	}
	if !check(hash, "correct horse") {
		t.Errorf("Check(right password) = false")
	}
	for _, wrong := range []string{"correct horsE", "", "correct horse "} {
		if check(hash, wrong) {
			t.Errorf("Check(%q) = true; want false", wrong)
		}
	}
	for _, bad := range []string{"", "$pbkdf2-sha512$i=0$AAAA$AAAA", "$pbkdf2-sha512$i=x$AAAA$AAAA", "$pbkdf2-sha256$i=1$AAAA$AAAA",
		"$argon2id$v=19$m=1$AA$AA", "$pbkdf2-sha512$i=1$!!$AAAA", "$pbkdf2-sha512$i=100001$AAAA$AAAA", dummyHash} {
		if check(bad, "") || check(bad, "correct horse") {
			t.Errorf("Check(%q) = true for a malformed or dummy hash", bad)
		}
	}
	// No hash (an unknown username) costs a full derivation, like a real hash.
	var iter, keyLen int
	spy := Hasher{Derive: func(pw, salt []byte, i, n int) ([]byte, error) { iter, keyLen = i, n; return make([]byte, n), nil }}
	if ok, err := spy.Check("", "x"); ok || err != nil || iter != Iterations || keyLen != 32 {
		t.Errorf("Check with no hash: derived with %d iterations, %d bytes (%v, %v); want %d, 32, false", iter, keyLen, ok, err, Iterations)
	}
	failing := Hasher{Derive: func([]byte, []byte, int, int) ([]byte, error) { return nil, errors.New("no crypto") }}
	if _, err := failing.Check(hash, "correct horse"); err == nil {
		t.Errorf("Check with a failing derivation = nil error; want the error")
	}
}

// BenchmarkPasswordHash measures one PBKDF2 hash at Iterations: what a
// login or a user creation costs. Run it under wasm too:
// GOOS=js GOARCH=wasm go test -run x -bench PasswordHash ./password/
func BenchmarkPasswordHash(b *testing.B) {
	h := Hasher{Rand: bytes.NewReader(make([]byte, 1<<20))}
	for b.Loop() {
		if _, err := h.Hash("correct horse battery staple"); err != nil {
			b.Fatal(err)
		}
	}
}
