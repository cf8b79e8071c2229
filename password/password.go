package password

import (
	"crypto/pbkdf2"
	"crypto/rand"
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
	// Iterations is the PBKDF2 iteration count of new hashes, and the
	// most a stored hash may ask for.
	Iterations = 100_000
	saltLen    = 16
	keyLen     = 32
	scheme     = "pbkdf2-sha512"
)

// Length bounds of a password a user may be given: at least MinLen
// characters (NIST SP 800-63B §5.1.1.2), at most MaxLen bytes, so that one
// request cannot buy a long hash.
const (
	MinLen = 8
	MaxLen = 256
)

// DeriveKeyFunc is PBKDF2-HMAC-SHA512: keyLen bytes from password and salt
// after iterations rounds.
type DeriveKeyFunc func(password, salt []byte, iterations, keyLen int) ([]byte, error)

// GoPBKDF2 is the standard library's PBKDF2-HMAC-SHA512, the
// DeriveKeyFunc used when a Hasher has none.
func GoPBKDF2(password, salt []byte, iterations, keyLen int) ([]byte, error) {
	return pbkdf2.Key(sha512.New, string(password), salt, iterations, keyLen)
}

// Hasher hashes and checks passwords.
type Hasher struct {
	// Derive is PBKDF2-HMAC-SHA512; nil means GoPBKDF2.
	Derive DeriveKeyFunc
	// Rand is the source of salts; nil means crypto/rand.Reader.
	Rand io.Reader
}

func (h Hasher) derive(password, salt []byte, iterations, keyLen int) ([]byte, error) {
	if h.Derive == nil {
		return GoPBKDF2(password, salt, iterations, keyLen)
	}
	return h.Derive(password, salt, iterations, keyLen)
}

// Hash derives a PHC-formatted hash of password with a new random salt.
func (h Hasher) Hash(password string) (string, error) {
	r := h.Rand
	if r == nil {
		r = rand.Reader
	}
	salt := make([]byte, saltLen)
	if _, err := io.ReadFull(r, salt); err != nil {
		return "", fmt.Errorf("password: reading salt: %w", err)
	}
	key, err := h.derive([]byte(password), salt, Iterations, keyLen)
	if err != nil {
		return "", fmt.Errorf("password: pbkdf2: %w", err)
	}
	return phcHash(Iterations, salt, key), nil
}

// phcHash formats a hash in the PHC string format above. (Not fmt: the
// dummy hash below is built at every instance's start, and fmt's first
// use there cost the first request a few milliseconds.)
func phcHash(iterations int, salt, key []byte) string {
	enc := base64.RawStdEncoding
	return "$" + scheme + "$i=" + strconv.Itoa(iterations) + "$" + enc.EncodeToString(salt) + "$" + enc.EncodeToString(key)
}

// Check reports whether password matches the PHC hash. An empty hash (no
// such user) is checked against a dummy hash with the full iteration count
// and never matches, so that it takes as long as a wrong password. A
// malformed hash, or one asking for more work than Iterations, never
// matches. A failure to derive is an error, not a mismatch.
func (h Hasher) Check(hash, password string) (bool, error) {
	unknown := hash == ""
	if unknown {
		hash = dummyHash
	}
	parts := strings.Split(hash, "$")
	if len(parts) != 5 || parts[0] != "" || parts[1] != scheme || !strings.HasPrefix(parts[2], "i=") {
		return false, nil
	}
	iter, err := strconv.Atoi(strings.TrimPrefix(parts[2], "i="))
	if err != nil || iter < 1 || iter > Iterations {
		return false, nil
	}
	enc := base64.RawStdEncoding
	salt, err1 := enc.DecodeString(parts[3])
	want, err2 := enc.DecodeString(parts[4])
	if err1 != nil || err2 != nil || len(want) == 0 || len(want) > 64 {
		return false, nil
	}
	got, err := h.derive([]byte(password), salt, iter, len(want))
	if err != nil {
		return false, fmt.Errorf("password: pbkdf2: %w", err)
	}
	return subtle.ConstantTimeCompare(got, want) == 1 && !unknown, nil
}

// dummyHash is checked when there is no hash (an unknown username), so
// that the answer takes as long as for a wrong password and reveals
// nothing. It is well-formed with the full iteration count; no password
// derives to its all-zero key.
var dummyHash = phcHash(Iterations, make([]byte, saltLen), make([]byte, keyLen))
