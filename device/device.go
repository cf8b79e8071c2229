package device

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/edgeauth/edgeauth/internal/secret"
	"github.com/edgeauth/edgeauth/storage"
)

// GrantType is the grant_type of a device's token request (RFC 8628 §3.4).
const GrantType = "urn:ietf:params:oauth:grant-type:device_code"

// Alphabet is the user code's: the consonants but Y (RFC 8628 §6.1), so a
// user code has no vowels to make words and no digits to mistake for
// letters.
const Alphabet = "BCDFGHJKLMNPQRSTVWXZ"

// UserCodeLen is the length of a user code: 20^8, about 34.5 bits.
const UserCodeLen = 8

// Lifetimes and intervals. A tenant may set its own within the bounds
// (settings device_code_ttl and device_poll_interval).
const (
	DefaultTTL      = 10 * time.Minute
	MinTTL          = time.Minute
	MaxTTL          = time.Hour
	DefaultInterval = 5 * time.Second // RFC 8628 §3.2: 5 seconds when the answer says none
	MinInterval     = time.Second
	MaxInterval     = time.Minute
	// SlowDown is what a poll that comes too soon adds to the interval,
	// for it and every later poll (RFC 8628 §3.5: MUST be increased by 5
	// seconds).
	SlowDown = 5 * time.Second
	// Leeway: a poll at least the interval minus Leeway after the last is
	// on time, so that network jitter is not taken for haste.
	Leeway = time.Second
)

// NewDeviceCode returns a new device code, 256 random bits from r.
func NewDeviceCode(r io.Reader) (string, error) { return secret.New(r, 32) }

// NewUserCode returns a new user code: UserCodeLen characters of Alphabet,
// each uniform (bytes of r at or above 240 are drawn again, so that 256
// mod 20 does not favour the first letters).
func NewUserCode(r io.Reader) (string, error) {
	out := make([]byte, 0, UserCodeLen)
	buf := make([]byte, UserCodeLen)
	for len(out) < UserCodeLen {
		if _, err := io.ReadFull(r, buf); err != nil {
			return "", fmt.Errorf("device: reading randomness: %w", err)
		}
		for _, b := range buf {
			if b < 240 && len(out) < UserCodeLen {
				out = append(out, Alphabet[int(b)%len(Alphabet)])
			}
		}
	}
	return string(out), nil
}

// Format is a user code as it is shown: two groups of four, "BCDF-GHJK".
func Format(code string) string {
	if len(code) != UserCodeLen {
		return code
	}
	return code[:4] + "-" + code[4:]
}

// Normalize reads a user code as the user typed it: letters in either
// case, with dashes and spaces anywhere. ok is false unless what remains
// is UserCodeLen characters of Alphabet.
func Normalize(typed string) (code string, ok bool) {
	if len(typed) > 4*UserCodeLen {
		return "", false
	}
	var b strings.Builder
	for _, r := range typed {
		switch {
		case r == '-' || r == ' ':
			continue
		case 'a' <= r && r <= 'z':
			r -= 'a' - 'A'
		}
		if r > 0x7f || !strings.ContainsRune(Alphabet, r) {
			return "", false
		}
		b.WriteRune(r)
	}
	if b.Len() != UserCodeLen {
		return "", false
	}
	return b.String(), true
}

// Outcome is what a poll of the token endpoint is answered (RFC 8628
// §3.5).
type Outcome int

// Outcomes of a poll.
const (
	// Pending: authorization_pending, the user has not decided yet.
	Pending Outcome = iota
	// TooSoon: slow_down, the poll came too soon.
	TooSoon
	// Denied: access_denied, the user said no.
	Denied
	// Expired: expired_token, the device code's lifetime is over.
	Expired
	// Replayed: the device code was redeemed already (invalid_grant), and
	// the grant it issued is revoked.
	Replayed
	// Repeated: the device code was redeemed already, and this poll came
	// too soon after the last: the device racing itself (two polls at once,
	// or a retry of the redeeming one), not a replay by another
	// (invalid_grant; nothing is revoked).
	Repeated
	// Issue: approved; this poll may redeem it.
	Issue
)

// Answer is the outcome of a poll at now that left d (storage's
// PollDeviceAuthorization). A replay is told as one even after the
// expiry; a poll that came too soon never redeems.
func Answer(d storage.DeviceAuthorization, now time.Time) Outcome {
	switch {
	case d.Status == storage.DeviceRedeemed && d.SlowedDown:
		return Repeated
	case d.Status == storage.DeviceRedeemed:
		return Replayed
	case !now.Before(d.ExpiresAt):
		return Expired
	case d.Status == storage.DeviceDenied:
		return Denied
	case d.SlowedDown:
		return TooSoon
	case d.Status == storage.DeviceApproved:
		return Issue
	default:
		return Pending
	}
}
