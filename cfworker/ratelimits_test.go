//go:build !js

package cfworker

import (
	"os"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/edgeauth/edgeauth/ratelimit"
)

// TestRateLimitBindings: every rule of ratelimit.DefaultRates has a
// binding, and wrangler.toml declares each binding with the same limit and
// period, so the Worker limits what the native server limits.
func TestRateLimitBindings(t *testing.T) {
	toml, err := os.ReadFile("../wrangler.toml")
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`name = "(LIMIT_\w+)"\s*\n\s*namespace_id = "\d+"\s*\n\s*simple = \{ limit = (\d+), period = (\d+) \}`)
	declared := map[string][2]int{}
	for _, m := range re.FindAllStringSubmatch(string(toml), -1) {
		limit, _ := strconv.Atoi(m[2])
		period, _ := strconv.Atoi(m[3])
		declared[m[1]] = [2]int{limit, period}
	}
	for rule, rate := range ratelimit.DefaultRates {
		name, ok := RateLimitBindings[rule]
		if !ok {
			t.Errorf("rule %s has no binding in RateLimitBindings", rule)
			continue
		}
		got, ok := declared[name]
		if !ok {
			t.Errorf("wrangler.toml does not declare %s (rule %s)", name, rule)
			continue
		}
		if want := [2]int{rate.Limit, int(rate.Period / time.Second)}; got != want || rate.Period != rateLimitPeriod {
			t.Errorf("%s: wrangler.toml has limit %d per %d s; DefaultRates %d per %v", name, got[0], got[1], rate.Limit, rate.Period)
		}
	}
	if len(RateLimitBindings) != len(ratelimit.DefaultRates) || len(declared) != len(RateLimitBindings) {
		t.Errorf("%d bindings, %d rules, %d declared in wrangler.toml; want the same", len(RateLimitBindings), len(ratelimit.DefaultRates), len(declared))
	}
}
