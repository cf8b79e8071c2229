package authz

import (
	"crypto/pbkdf2"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Password hashing: PBKDF2-HMAC-SHA512, 100,000 iterations, 16-byte salt,
// 32-byte key. Why these (SECURITY.md has the measurements):
//
//   - Inside a Worker, Go's own SHA-2 compiled to wasm takes about half a
//     second for 100,000 iterations; WebCrypto's PBKDF2 runs natively in
//     workerd and is about ten times faster, so the Worker passes it as
//     Config.DeriveKey. argon2id has no WebCrypto equivalent.
//   - workerd refuses more than 100,000 PBKDF2 iterations
//     (cloudflare/workerd#1346), below OWASP's 210,000 for SHA-512; SHA-512
//     is chosen over SHA-256 because at the same count it costs attackers
//     more on GPUs. Rate limits and lockout (SECURITY.md) bound online
//     guessing; the hashes never leave D1.
//
// The hash is stored self-describing, in PHC string format:
//
//	$pbkdf2-sha512$i=<iterations>$<salt b64>$<key b64>
//
// so the parameters can change without breaking stored hashes.
const (
	passwordIterations = 100_000
	passwordSaltLen    = 16
	passwordKeyLen     = 32
	passwordScheme     = "pbkdf2-sha512"
)

// DeriveKeyFunc is PBKDF2-HMAC-SHA512: keyLen bytes from password and salt
// after iterations rounds.
type DeriveKeyFunc func(password, salt []byte, iterations, keyLen int) ([]byte, error)

// goPBKDF2 is the default DeriveKeyFunc: the standard library's.
func goPBKDF2(password, salt []byte, iterations, keyLen int) ([]byte, error) {
	return pbkdf2.Key(sha512.New, string(password), salt, iterations, keyLen)
}

// hashPassword derives a PHC-formatted hash of password.
func hashPassword(rand io.Reader, derive DeriveKeyFunc, password string) (string, error) {
	salt := make([]byte, passwordSaltLen)
	if _, err := io.ReadFull(rand, salt); err != nil {
		return "", fmt.Errorf("authz: reading salt: %w", err)
	}
	key, err := derive([]byte(password), salt, passwordIterations, passwordKeyLen)
	if err != nil {
		return "", fmt.Errorf("authz: pbkdf2: %w", err)
	}
	return phcHash(passwordIterations, salt, key), nil
}

// phcHash formats a hash in the PHC string format above. (Not fmt: the
// dummy hash below is built at every instance's start, and fmt's first
// use there cost the first request a few milliseconds.)
func phcHash(iterations int, salt, key []byte) string {
	enc := base64.RawStdEncoding
	return "$" + passwordScheme + "$i=" + strconv.Itoa(iterations) + "$" + enc.EncodeToString(salt) + "$" + enc.EncodeToString(key)
}

// checkPassword reports whether password matches the PHC hash. A malformed
// hash, or one asking for more work than passwordIterations, never matches.
// A failure to derive is an error, not a mismatch.
func checkPassword(derive DeriveKeyFunc, hash, password string) (bool, error) {
	parts := strings.Split(hash, "$")
	if len(parts) != 5 || parts[0] != "" || parts[1] != passwordScheme || !strings.HasPrefix(parts[2], "i=") {
		return false, nil
	}
	iter, err := strconv.Atoi(strings.TrimPrefix(parts[2], "i="))
	if err != nil || iter < 1 || iter > passwordIterations {
		return false, nil
	}
	enc := base64.RawStdEncoding
	salt, err1 := enc.DecodeString(parts[3])
	want, err2 := enc.DecodeString(parts[4])
	if err1 != nil || err2 != nil || len(want) == 0 || len(want) > 64 {
		return false, nil
	}
	got, err := derive([]byte(password), salt, iter, len(want))
	if err != nil {
		return false, fmt.Errorf("authz: pbkdf2: %w", err)
	}
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// dummyPasswordHash is checked when the username is unknown, so that the
// answer takes as long as for a wrong password and reveals nothing. It is
// well-formed with the full iteration count; no password derives to its
// all-zero key.
var dummyPasswordHash = phcHash(passwordIterations, make([]byte, passwordSaltLen), make([]byte, passwordKeyLen))
