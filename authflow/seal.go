package authflow

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
)

// A pending authorization request travels with the browser, sealed, not in
// storage: an authorization request that nobody signs in to writes
// nothing (DESIGN.md, State). The seal is AES-256-GCM under a key of its
// own derived from the key-encryption key (jwks.Sealer.Subkey), with the
// tenant as associated data, so a sealed request opens only for the tenant
// it was made for and cannot be read or altered by the browser. It is
// base64url: version (1 byte) || nonce (12) || ciphertext and tag.
//
// A logout request waiting for the user's confirmation (logout.go) is
// sealed the same way under another label (associated data), so that
// neither kind opens as the other.
const (
	sealVersion = 1
	sealLabel   = "edgeauth/authflow/pending\x00"
	logoutLabel = "edgeauth/authflow/logout\x00"
	// maxSealed bounds what is accepted as a sealed request: the largest
	// request the parameter limits allow (authz) with room to spare; an
	// upstream sign-in's state holds one more connection id and attempt.
	maxSealed         = 12 << 10
	maxSealedUpstream = maxSealed + 1<<10
)

// PendingKeyPurpose is the jwks.Sealer.Subkey purpose of Config.PendingKey.
const PendingKeyPurpose = "authflow/pending"

var errBroken = errors.New("authflow: a sealed request does not open")

// box seals and opens pending requests, and with other labels logout
// requests and upstream sign-in states.
type box struct {
	aead cipher.AEAD
}

func newBox(key []byte) (box, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return box{}, fmt.Errorf("authflow: the pending-request key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return box{}, err
	}
	return box{aead: aead}, nil
}

// upstreamLabel is the associated data's label of an upstream sign-in's
// state (upstream.go), so that it never opens as a pending request nor
// the other way round.
const upstreamLabel = "edgeauth/authflow/upstream\x00"

// seal encrypts v's JSON for tenant.
func (b box) seal(tenant string, v any) (string, error) { return b.sealAs(sealLabel, tenant, v) }

// open decrypts what seal made for tenant into v; anything else (another
// tenant's, altered, truncated, too long, another key's) is errBroken.
func (b box) open(tenant, s string, v any) error { return b.openAs(sealLabel, tenant, s, v) }

// sealAs encrypts v's JSON for tenant, with label starting the
// associated data.
func (b box) sealAs(label, tenant string, v any) (string, error) {
	plain, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("authflow: encoding a pending request: %w", err)
	}
	ns := b.aead.NonceSize()
	out := make([]byte, 1+ns, 1+ns+len(plain)+b.aead.Overhead())
	out[0] = sealVersion
	rand.Read(out[1 : 1+ns]) // never fails since Go 1.24
	out = b.aead.Seal(out, out[1:1+ns], plain, []byte(label+tenant))
	return base64.RawURLEncoding.EncodeToString(out), nil
}

// openAs decrypts what sealAs made with label for tenant into v.
func (b box) openAs(label, tenant, s string, v any) error {
	limit := maxSealed
	if label == upstreamLabel {
		limit = maxSealedUpstream
	}
	if len(s) > limit {
		return errBroken
	}
	raw, err := base64.RawURLEncoding.DecodeString(s)
	ns := b.aead.NonceSize()
	if err != nil || len(raw) < 1+ns+b.aead.Overhead() || raw[0] != sealVersion {
		return errBroken
	}
	plain, err := b.aead.Open(nil, raw[1:1+ns], raw[1+ns:], []byte(label+tenant))
	if err != nil || json.Unmarshal(plain, v) != nil {
		return errBroken
	}
	return nil
}
