package authz

import (
	"crypto/pbkdf2"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
)

// Password hashing: PBKDF2-HMAC-SHA256 from the standard library (argon2id
// would need x/crypto and more memory per instance than a Worker should
// spend). The hash is stored self-describing, in PHC string format:
//
//	$pbkdf2-sha256$i=<iterations>$<salt b64>$<key b64>
//
// so the iteration count can grow without breaking stored hashes.
// passwordIterations is chosen from a measurement under workerd; see
// SECURITY.md.
const (
	passwordIterations = 100_000
	passwordSaltLen    = 16
	passwordKeyLen     = 32
)

// hashPassword derives a PHC-formatted PBKDF2 hash of password.
func hashPassword(rand io.Reader, password string) (string, error) {
	salt := make([]byte, passwordSaltLen)
	if _, err := io.ReadFull(rand, salt); err != nil {
		return "", fmt.Errorf("authz: reading salt: %w", err)
	}
	key, err := pbkdf2.Key(sha256.New, password, salt, passwordIterations, passwordKeyLen)
	if err != nil {
		return "", fmt.Errorf("authz: pbkdf2: %w", err)
	}
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$pbkdf2-sha256$i=%d$%s$%s", passwordIterations, enc.EncodeToString(salt), enc.EncodeToString(key)), nil
}

// checkPassword reports whether password matches the PHC hash. A malformed
// hash never matches.
func checkPassword(hash, password string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 5 || parts[0] != "" || parts[1] != "pbkdf2-sha256" || !strings.HasPrefix(parts[2], "i=") {
		return false
	}
	iter, err := strconv.Atoi(strings.TrimPrefix(parts[2], "i="))
	if err != nil || iter < 1 || iter > 10_000_000 {
		return false
	}
	enc := base64.RawStdEncoding
	salt, err1 := enc.DecodeString(parts[3])
	want, err2 := enc.DecodeString(parts[4])
	if err1 != nil || err2 != nil || len(want) == 0 {
		return false
	}
	got, err := pbkdf2.Key(sha256.New, password, salt, iter, len(want))
	return err == nil && subtle.ConstantTimeCompare(got, want) == 1
}

// dummyPasswordHash is checked when the username is unknown, so that
// answering takes as long as for a wrong password and reveals nothing.
// It is made on first use, not at start-up: a Worker instance that never
// sees a login never pays for it.
var dummyPasswordHash = sync.OnceValue(func() string {
	h, err := hashPassword(zeroReader{}, "edgeauth-dummy-password")
	if err != nil {
		panic(err)
	}
	return h
})

type zeroReader struct{}

func (zeroReader) Read(b []byte) (int, error) { clear(b); return len(b), nil }
