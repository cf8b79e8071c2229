package e2e

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/oauth2"
)

// TestRateLimitLogin: sign-in attempts of one tenant from one address are
// limited to 60 a minute: past that the answer is 429 with Retry-After,
// before any password is checked. Every attempt uses another username, so
// the lockout (five failures of one username) plays no part. The Workers
// binding counts in fixed windows, so 130 attempts (well under a minute)
// put more than 60 into one window even when they straddle a boundary.
func TestRateLimitLogin(t *testing.T) {
	f := newFixture(t)
	authURL := f.publicConfig("5000", "read").AuthCodeURL("s", oauth2.S256ChallengeOption(oauth2.GenerateVerifier()))
	for i := 1; i <= 130; i++ {
		b := newBrowser(t, "nobody-"+strconv.Itoa(i), "wrong password!")
		b.authorize(authURL)
		if b.last.status != http.StatusTooManyRequests {
			continue
		}
		if i <= 60 {
			t.Errorf("attempt %d refused; the limit is 60 a minute", i)
		}
		if b.last.header.Get("Retry-After") == "" || !strings.Contains(b.last.body, "too many requests") {
			t.Errorf("429 without Retry-After or the rate-limit message")
		}
		return
	}
	t.Errorf("130 sign-in attempts from one address in one tenant were all answered; want 429 after 60")
}
