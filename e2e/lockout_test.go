package e2e

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

// TestLockout: five failures lock a username, whether it exists or not,
// with the same answer; the lock ends after its delay and a success
// resets the streak.
func TestLockout(t *testing.T) {
	f := newFixture(t)
	authURL := f.publicConfig("5000", "read").AuthCodeURL("s", oauth2.S256ChallengeOption(oauth2.GenerateVerifier()))
	attempt := func(username, password string) page {
		b := newBrowser(t, username, password)
		b.authorize(authURL)
		return b.last
	}
	for _, username := range []string{f.username, "nobody-at-all"} {
		for i := 0; i < 5; i++ {
			if p := attempt(username, "wrong password!"); !strings.Contains(p.body, "Wrong username or password.") {
				t.Fatalf("%s failure %d: status %d, no generic message", username, i+1, p.status)
			}
		}
		p := attempt(username, f.password)
		if p.status != http.StatusTooManyRequests || !strings.Contains(p.body, "Too many failed sign-ins") || p.header.Get("Retry-After") == "" {
			t.Errorf("%s after 5 failures: status %d Retry-After %q; want 429 with the lockout message", username, p.status, p.header.Get("Retry-After"))
		}
	}
	// The lock of one username does not touch another.
	if p := attempt("someone-else", "wrong password!"); p.status == http.StatusTooManyRequests {
		t.Errorf("an unrelated username is locked")
	}

	advanceClock(t, 31*time.Second) // the first lock lasts 30 s
	b := newBrowser(t, f.username, f.password)
	if u := b.authorize(authURL); u == nil {
		t.Fatalf("after the lock expired the right password did not sign in: %d", b.last.status)
	}
	// The success reset the streak: one more failure does not lock.
	attempt(f.username, "wrong password!")
	if p := attempt(f.username, "wrong password!"); p.status == http.StatusTooManyRequests {
		t.Errorf("the streak was not reset by the successful login")
	}
}
