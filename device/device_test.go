package device

import (
	"bytes"
	"crypto/rand"
	"strings"
	"testing"
	"time"

	"github.com/edgeauth/edgeauth/storage"
)

// User codes are UserCodeLen characters of Alphabet, every character
// about as likely as the others, and bytes at or above 240 are not used.
func TestNewUserCode(t *testing.T) {
	counts := map[byte]int{}
	const n = 5000
	for range n {
		c, err := NewUserCode(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := Normalize(c); !ok || len(c) != UserCodeLen {
			t.Fatalf("NewUserCode() = %q; want %d characters of %s", c, UserCodeLen, Alphabet)
		}
		for i := range len(c) {
			counts[c[i]]++
		}
	}
	want := n * UserCodeLen / len(Alphabet)
	for _, ch := range []byte(Alphabet) {
		if got := counts[ch]; got < want*8/10 || got > want*12/10 {
			t.Errorf("%c drawn %d times in %d codes; want about %d", ch, got, n, want)
		}
	}
	// 240 and above are drawn again: a reader that gives only 255 and
	// then 0s yields the first letter only.
	r := bytes.NewReader(append(bytes.Repeat([]byte{255}, UserCodeLen), make([]byte, UserCodeLen)...))
	if c, err := NewUserCode(r); err != nil || c != strings.Repeat(Alphabet[:1], UserCodeLen) {
		t.Errorf("NewUserCode(255s then 0s) = %q, %v; want %q", c, err, strings.Repeat(Alphabet[:1], UserCodeLen))
	}
	if _, err := NewUserCode(bytes.NewReader(nil)); err == nil {
		t.Errorf("NewUserCode(empty reader) = nil error; want one")
	}
}

// RFC 8628 §6.1: the user may type the code in either case, with or
// without the dash, and nothing else is a code.
func TestNormalize(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{"BCDF-GHJK", "BCDFGHJK", true},
		{"bcdf-ghjk", "BCDFGHJK", true},
		{" bcdf ghjk ", "BCDFGHJK", true},
		{"BcDfGhJk", "BCDFGHJK", true},
		{"BCDF-GHJ", "", false},   // short
		{"BCDF-GHJKL", "", false}, // long
		{"BCDA-GHJK", "", false},  // a vowel
		{"BCD1-GHJK", "", false},  // a digit
		{"BCDY-GHJK", "", false},  // Y is not in the alphabet
		{"ＢＣＤＦ-ＧＨＪＫ", "", false},  // full-width letters
		{"BCDF_GHJK", "", false},
		{strings.Repeat("-", 100) + "BCDFGHJK", "", false},
		{"", "", false},
	} {
		got, ok := Normalize(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("Normalize(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
	if got := Format("BCDFGHJK"); got != "BCDF-GHJK" {
		t.Errorf("Format = %q; want BCDF-GHJK", got)
	}
}

// RFC 8628 §3.5: what each state of a device authorization answers a poll.
func TestAnswer(t *testing.T) {
	now := time.Unix(1000, 0)
	live, gone := now.Add(time.Minute), now
	for _, tc := range []struct {
		name   string
		d      storage.DeviceAuthorization
		answer Outcome
	}{
		{"pending", storage.DeviceAuthorization{Status: storage.DevicePending, ExpiresAt: live}, Pending},
		{"pending, too soon", storage.DeviceAuthorization{Status: storage.DevicePending, ExpiresAt: live, SlowedDown: true}, TooSoon},
		{"approved", storage.DeviceAuthorization{Status: storage.DeviceApproved, ExpiresAt: live}, Issue},
		{"approved, too soon: never redeems", storage.DeviceAuthorization{Status: storage.DeviceApproved, ExpiresAt: live, SlowedDown: true}, TooSoon},
		{"denied", storage.DeviceAuthorization{Status: storage.DeviceDenied, ExpiresAt: live}, Denied},
		{"expired at its expiry", storage.DeviceAuthorization{Status: storage.DevicePending, ExpiresAt: gone}, Expired},
		{"approved, expired", storage.DeviceAuthorization{Status: storage.DeviceApproved, ExpiresAt: gone}, Expired},
		{"redeemed", storage.DeviceAuthorization{Status: storage.DeviceRedeemed, ExpiresAt: live}, Replayed},
		{"redeemed, expired: still a replay", storage.DeviceAuthorization{Status: storage.DeviceRedeemed, ExpiresAt: gone}, Replayed},
		{"redeemed, too soon: the device racing itself", storage.DeviceAuthorization{Status: storage.DeviceRedeemed, ExpiresAt: live, SlowedDown: true}, Repeated},
	} {
		if got := Answer(tc.d, now); got != tc.answer {
			t.Errorf("%s: Answer = %d; want %d", tc.name, got, tc.answer)
		}
	}
}

// FuzzNormalize: reading a typed user code never panics, and what it
// accepts is a user code that reads back the same when shown.
func FuzzNormalize(f *testing.F) {
	for _, seed := range []string{"BCDF-GHJK", "bcdf ghjk", "AEIOU", "", "ＢＣＤＦ", "\xff\xfe", strings.Repeat("-", 40)} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, typed string) {
		code, ok := Normalize(typed)
		if !ok {
			return
		}
		if len(code) != UserCodeLen || strings.Trim(code, Alphabet) != "" {
			t.Fatalf("Normalize(%q) = %q: not %d characters of %s", typed, code, UserCodeLen, Alphabet)
		}
		if again, ok := Normalize(Format(code)); !ok || again != code {
			t.Fatalf("Normalize(Format(%q)) = %q, %v", code, again, ok)
		}
	})
}
