package authflow

import (
	"testing"
	"time"
)

func TestLockoutDelay(t *testing.T) {
	for count, want := range map[int64]time.Duration{
		0: 0, 4: 0, 5: 30 * time.Second, 6: time.Minute, 7: 2 * time.Minute, 11: 32 * time.Minute, 12: time.Hour, 100: time.Hour,
	} {
		if got := perAddress.delay(count); got != want {
			t.Errorf("perAddress.delay(%d) = %v; want %v", count, got, want)
		}
	}
	for count, want := range map[int64]time.Duration{
		0: 0, 49: 0, 50: time.Minute, 51: 2 * time.Minute, 53: 8 * time.Minute, 54: 15 * time.Minute, 1000: 15 * time.Minute,
	} {
		if got := everywhere.delay(count); got != want {
			t.Errorf("everywhere.delay(%d) = %v; want %v", count, got, want)
		}
	}
}
