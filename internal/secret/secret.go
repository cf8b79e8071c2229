package secret

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
)

// New returns n bytes read from r, base64url-encoded without padding.
// Secrets, codes and refresh tokens use n = 32 (256 bits), ids 16.
func New(r io.Reader, n int) (string, error) {
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", fmt.Errorf("secret: reading randomness: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// Hash is how a random secret is stored: its SHA-256.
func Hash(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}
