package authflow

import (
	"strconv"
	"time"

	"github.com/edgeauth/edgeauth/storage"
)

// Failed sign-ins lock a username out (RFC 6819 §4.4.3.6, online
// guessing), counted in two streaks:
//
//   - per username and client address: after 5 failures in a row the
//     username is locked for that address for 30 seconds, doubling with
//     every further failure up to an hour;
//   - per username over every address: after 50 failures it is locked for
//     every address for a minute, doubling up to 15 minutes.
//
// Why two: one streak per username let anyone lock a user out everywhere,
// for an hour, with five wrong guesses. Now a stranger's guesses lock out
// the stranger's address; only guessing from many addresses (ten or more,
// each of them locked out after its five) reaches the slower limit of
// every address, which still bounds a distributed attacker. The well-known
// servers do the same (Keycloak, Auth0: per user and address, with a
// slower per-user bound).
//
// Each is counted from the latest failure; a streak ends after a quiet
// LockoutWindow or a successful sign-in (which ends both). Any username is
// counted, existing or not, and the locked answer is the same, so it
// reveals nothing. The streaks live in D1, strongly consistent, so no
// location lets a guesser through. Each attempt is counted before its
// password is checked (Login); one whose place in a streak comes after
// failures it did not see is refused unchecked when they lock the username,
// so concurrent guesses cannot all pass the check.
var (
	perAddress = lockout{free: 5, base: 30 * time.Second, max: time.Hour}
	everywhere = lockout{free: 50, base: time.Minute, max: 15 * time.Minute}
)

// LockoutWindow is how long a streak of failed sign-ins lasts without a new
// failure; the scheduled job prunes older ones.
const LockoutWindow = 24 * time.Hour

// lockout is the rule of one streak: free failures, then base, doubling
// with every further failure, up to max.
type lockout struct {
	free      int64
	base, max time.Duration
}

// delay is how long a streak of count failures locks the username.
func (l lockout) delay(count int64) time.Duration {
	if count < l.free {
		return 0
	}
	d := l.base
	for i := l.free; i < count && d < l.max; i++ {
		d *= 2
	}
	return min(d, l.max)
}

// lockedFor reports how long the streak fs (nil: none) still locks its
// username at now; 0 means not locked.
func (l lockout) lockedFor(fs *storage.LoginFailures, now time.Time) time.Duration {
	if fs == nil {
		return 0
	}
	until := fs.Last.Add(l.delay(fs.Count))
	if now.Before(until) {
		return until.Sub(now)
	}
	return 0
}

// unseen is how long a streak whose count is now counted, but had seen
// (as read before this attempt was counted), locks the username because
// of failures this attempt did not see: concurrent guesses each take
// their place, and those after the lock are refused unchecked.
func (l lockout) unseen(seen, counted int64) time.Duration {
	if before := counted - 1; before != seen {
		return l.delay(before)
	}
	return 0
}

// seenCount is the count of a streak read before an attempt at now, 0 for
// none or one that has ended.
func seenCount(fs *storage.LoginFailures, now time.Time) int64 {
	if fs == nil || fs.Last.Before(now.Add(-LockoutWindow)) {
		return 0
	}
	return fs.Count
}

// roundUp renders a wait for people: "30 seconds", "4 minutes".
func roundUp(d time.Duration) string {
	if d <= time.Minute {
		return strconv.Itoa(int((d+time.Second-1)/time.Second)) + " seconds"
	}
	return strconv.Itoa(int((d+time.Minute-1)/time.Minute)) + " minutes"
}
