package jwks

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
)

// KEKSize is the size in bytes of the key-encryption key: AES-256.
const KEKSize = 32

// sealVersion is the first byte of every sealed key. The format of version 1
// is version (1 byte) || nonce (12 bytes) || AES-256-GCM ciphertext and tag.
const sealVersion byte = 1

// sealLabel starts the associated data, so that a ciphertext made for another
// purpose under the same KEK never opens as a signing key.
const sealLabel = "edgeauth/jwks/sealed-key\x00"

var (
	// ErrInvalidKEK is returned when a key-encryption key is not 32 bytes or
	// not base64.
	ErrInvalidKEK = errors.New("jwks: invalid key-encryption key")
	// ErrSealed is returned when a sealed private key does not open: it is
	// truncated, of an unknown version, tampered with, sealed for another
	// tenant or kid, or sealed under another key-encryption key.
	ErrSealed = errors.New("jwks: sealed key does not open")
)

// Sealer encrypts private keys at rest with AES-256-GCM under the
// key-encryption key, and derives the keys of the server's other sealed
// and signed values from it (Subkey). It is safe for concurrent use.
type Sealer struct {
	aead cipher.AEAD
	kek  []byte
}

// NewSealer returns a Sealer for kek, which must be exactly 32 bytes.
func NewSealer(kek []byte) (*Sealer, error) {
	if len(kek) != KEKSize {
		return nil, fmt.Errorf("%w: want %d bytes, got %d", ErrInvalidKEK, KEKSize, len(kek))
	}
	block, err := aes.NewCipher(kek)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidKEK, err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidKEK, err)
	}
	return &Sealer{aead: aead, kek: bytes.Clone(kek)}, nil
}

// Subkey derives a 32-byte key for purpose from the key-encryption key
// (HKDF-SHA256, RFC 5869, with purpose as the info), so that each use of
// the one secret has a key of its own: a value sealed or MACed for one
// purpose never opens or verifies for another, nor as a signing key.
func (s *Sealer) Subkey(purpose string) []byte {
	k, err := hkdf.Key(sha256.New, s.kek, nil, "edgeauth/"+purpose, KEKSize)
	if err != nil {
		panic("jwks: hkdf: " + err.Error()) // only for an output longer than 255 hashes
	}
	return k
}

// SealerFromKEK returns a Sealer for the key-encryption key s as ParseKEK
// reads it: how the Worker, the native server and the test harnesses take
// KEY_ENCRYPTION_KEY. The error never contains s.
func SealerFromKEK(s string) (*Sealer, error) {
	kek, err := ParseKEK(s)
	if err != nil {
		return nil, err
	}
	return NewSealer(kek)
}

// ParseKEK decodes a key-encryption key given as base64, in the standard or
// the URL alphabet, padded or not, with surrounding white space ignored (a
// secret pasted from a file often ends in a newline). It must decode to
// exactly 32 bytes. The error never contains s.
func ParseKEK(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	s = strings.TrimRight(s, "=")
	// Map the URL alphabet onto the standard one. A string mixing both
	// alphabets is accepted too; that loses nothing, the length check below
	// still holds.
	s = strings.NewReplacer("-", "+", "_", "/").Replace(s)
	kek, err := base64.RawStdEncoding.DecodeString(s)
	if err != nil {
		// Not %v of err: a CorruptInputError only holds an offset, but say
		// nothing about the input at all to be safe.
		return nil, fmt.Errorf("%w: not base64", ErrInvalidKEK)
	}
	if len(kek) != KEKSize {
		return nil, fmt.Errorf("%w: want %d bytes, got %d", ErrInvalidKEK, KEKSize, len(kek))
	}
	return kek, nil
}

// Seal encrypts plaintext, the private key of key kid of tenant tenantID. A
// fresh random 12-byte nonce is used each time; with a few keys per tenant
// and rotation, the 2^32 messages per key bound of random GCM nonces is
// nowhere near.
func (s *Sealer) Seal(tenantID, kid string, plaintext []byte) ([]byte, error) {
	ns := s.aead.NonceSize()
	out := make([]byte, 1+ns, 1+ns+len(plaintext)+s.aead.Overhead())
	out[0] = sealVersion
	// crypto/rand.Read never returns an error since Go 1.24.
	if _, err := rand.Read(out[1 : 1+ns]); err != nil {
		return nil, fmt.Errorf("jwks: seal: %v", err)
	}
	return s.aead.Seal(out, out[1:1+ns], plaintext, sealAD(sealVersion, tenantID, kid)), nil
}

// Open decrypts what Seal returned for the same tenantID and kid. Any other
// input fails with an error wrapping ErrSealed.
func (s *Sealer) Open(tenantID, kid string, sealed []byte) ([]byte, error) {
	ns := s.aead.NonceSize()
	if len(sealed) < 1+ns+s.aead.Overhead() {
		return nil, fmt.Errorf("%w: too short", ErrSealed)
	}
	if sealed[0] != sealVersion {
		return nil, fmt.Errorf("%w: unknown version %d", ErrSealed, sealed[0])
	}
	nonce, ct := sealed[1:1+ns], sealed[1+ns:]
	plain, err := s.aead.Open(nil, nonce, ct, sealAD(sealed[0], tenantID, kid))
	if err != nil {
		return nil, fmt.Errorf("%w: authentication failed", ErrSealed)
	}
	return plain, nil
}

// sealAD is the associated data: label, version, then tenant and kid each
// prefixed with its length, so that no two (tenant, kid) pairs share it.
func sealAD(version byte, tenantID, kid string) []byte {
	ad := make([]byte, 0, len(sealLabel)+1+4+len(tenantID)+4+len(kid))
	ad = append(ad, sealLabel...)
	ad = append(ad, version)
	ad = binary.BigEndian.AppendUint32(ad, uint32(len(tenantID)))
	ad = append(ad, tenantID...)
	ad = binary.BigEndian.AppendUint32(ad, uint32(len(kid)))
	ad = append(ad, kid...)
	return ad
}
