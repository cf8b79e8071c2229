package authflow

import (
	"testing"
	"time"
)

func TestLockoutDelay(t *testing.T) {
	for count, want := range map[int64]time.Duration{
		0: 0, 4: 0, 5: 30 * time.Second, 6: time.Minute, 7: 2 * time.Minute, 11: 32 * time.Minute, 12: time.Hour, 100: time.Hour,
	} {
		if got := lockoutDelay(count); got != want {
			t.Errorf("lockoutDelay(%d) = %v; want %v", count, got, want)
		}
	}
}
