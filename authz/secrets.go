package authz

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
)

// randomToken returns n random bytes, base64url-encoded without padding.
// Secrets, codes and refresh tokens use n = 32 (256 bits).
func (s *Server) randomToken(n int) (string, error) {
	b := make([]byte, n)
	if _, err := io.ReadFull(s.cfg.Rand, b); err != nil {
		return "", fmt.Errorf("authz: reading randomness: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// hashSecret is how 256-bit random secrets are stored: SHA-256. A slow hash
// adds nothing for values that cannot be guessed.
func hashSecret(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}
