package connections

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/edgeauth/edgeauth/storage"
)

// SecretKeyPurpose is the jwks.Sealer.Subkey purpose of Config.SecretKey.
const SecretKeyPurpose = "connections/secrets"

// sealVersion starts every sealed value: version (1 byte) || nonce (12) ||
// AES-256-GCM ciphertext and tag.
const sealVersion = 1

// Labels start the associated data, one per kind of value, so that a
// client secret never opens as tokens or the other way round.
const (
	labelClientSecret = "edgeauth/connections/client-secret\x00"
	labelTokens       = "edgeauth/connections/tokens\x00"
)

var errSealed = errors.New("connections: a sealed value does not open")

// box seals and opens the package's secrets at rest.
type box struct{ aead cipher.AEAD }

func newBox(key []byte) (box, error) {
	if len(key) != 32 {
		return box{}, errors.New("connections: Config.SecretKey must be 32 bytes")
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return box{}, fmt.Errorf("connections: the secret key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return box{}, err
	}
	return box{aead: aead}, nil
}

// ad is the associated data: label, then each part prefixed with its
// length, so that no two lists of parts share it.
func ad(label string, parts ...string) []byte {
	b := []byte(label)
	for _, p := range parts {
		b = binary.BigEndian.AppendUint32(b, uint32(len(p)))
		b = append(b, p...)
	}
	return b
}

func (b box) seal(ad, plain []byte) []byte {
	ns := b.aead.NonceSize()
	out := make([]byte, 1+ns, 1+ns+len(plain)+b.aead.Overhead())
	out[0] = sealVersion
	rand.Read(out[1 : 1+ns]) // never fails since Go 1.24
	return b.aead.Seal(out, out[1:1+ns], plain, ad)
}

func (b box) open(ad, sealed []byte) ([]byte, error) {
	ns := b.aead.NonceSize()
	if len(sealed) < 1+ns+b.aead.Overhead() || sealed[0] != sealVersion {
		return nil, errSealed
	}
	plain, err := b.aead.Open(nil, sealed[1:1+ns], sealed[1+ns:], ad)
	if err != nil {
		return nil, errSealed
	}
	return plain, nil
}

// SealClientSecret seals the client secret of connection id of tenant,
// for storage.Connection.ClientSecretSealed.
func (b *Broker) SealClientSecret(tenant, id, secret string) []byte {
	return b.box.seal(ad(labelClientSecret, tenant, id), []byte(secret))
}

// clientSecret opens c's client secret ("" when it has none).
func (b *Broker) clientSecret(c storage.Connection) (string, error) {
	if c.ClientSecretSealed == nil {
		return "", nil
	}
	plain, err := b.box.open(ad(labelClientSecret, c.TenantID, c.ID), c.ClientSecretSealed)
	if err != nil {
		return "", fmt.Errorf("connections: the client secret of %s: %w", c.ID, err)
	}
	return string(plain), nil
}
