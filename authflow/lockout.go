package authflow

import (
	"strconv"
	"time"

	"github.com/edgeauth/edgeauth/storage"
)

// Failed-login lockout (RFC 6819 §4.4.3.6, online guessing): after
// lockoutFree failures in a row, a username is locked for lockoutBase,
// doubling with every further failure up to lockoutMax, counted from the
// latest failure. A streak ends after a quiet LockoutWindow or a
// successful login. Any username is counted, existing or not, and the
// locked answer is the same, so it reveals nothing. The streak lives in
// D1, strongly consistent, so no location lets a guesser through. Each
// attempt is counted before its password is checked (Login); one whose
// place in the streak comes after failures it did not see is refused
// unchecked when they lock the username, so concurrent guesses cannot all
// pass the check.
const (
	lockoutFree = 5
	lockoutBase = 30 * time.Second
	lockoutMax  = time.Hour
	// LockoutWindow is how long a streak of failed sign-ins lasts without
	// a new failure; the scheduled job prunes older ones.
	LockoutWindow = 24 * time.Hour
)

// lockoutDelay is how long a streak of count failures locks the username.
func lockoutDelay(count int64) time.Duration {
	if count < lockoutFree {
		return 0
	}
	d := lockoutBase
	for i := int64(lockoutFree); i < count && d < lockoutMax; i++ {
		d *= 2
	}
	return min(d, lockoutMax)
}

// lockedFor reports how long the streak fl (nil: none) still locks its
// username at now; 0 means not locked.
func lockedFor(fl *storage.LoginFailures, now time.Time) time.Duration {
	if fl == nil {
		return 0
	}
	until := fl.Last.Add(lockoutDelay(fl.Count))
	if now.Before(until) {
		return until.Sub(now)
	}
	return 0
}

// roundUp renders a wait for people: "30 seconds", "4 minutes".
func roundUp(d time.Duration) string {
	if d <= time.Minute {
		return strconv.Itoa(int((d+time.Second-1)/time.Second)) + " seconds"
	}
	return strconv.Itoa(int((d+time.Minute-1)/time.Minute)) + " minutes"
}
