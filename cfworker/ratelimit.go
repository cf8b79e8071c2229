//go:build js && wasm

package cfworker

import (
	"context"
	"fmt"
	"syscall/js"
	"time"

	"github.com/edgeauth/edgeauth/internal/jsasync"

	"github.com/edgeauth/edgeauth/ratelimit"
)

// RateLimiter is a ratelimit.Limiter over the Workers Rate Limiting
// bindings, one binding per rule (RateLimitBindings). It calls the binding
// of the current call's env on every Allow (the pool sets env before each
// call). Cloudflare counts per location and approximately, and answers
// only yes or no, so Retry-After is the binding's period. It is a brake on
// floods, not an exact quota: the lockout in D1 is what protects accounts.
type RateLimiter struct{}

// CheckRateLimits reports the first rule whose binding is missing from the
// Worker's env: a missing binding is a configuration error, never a
// skipped limit.
func CheckRateLimits() error {
	for rule, name := range RateLimitBindings {
		if b := binding(name); b.IsUndefined() || b.IsNull() {
			return fmt.Errorf("cfworker: the rate limit binding %s (rule %s) is missing from wrangler.toml", name, rule)
		}
	}
	return nil
}

// Allow implements ratelimit.Limiter.
func (RateLimiter) Allow(_ context.Context, rule ratelimit.Rule, key string) (bool, time.Duration, error) {
	name, ok := RateLimitBindings[rule]
	if !ok {
		return true, 0, nil
	}
	b := binding(name)
	if b.IsUndefined() || b.IsNull() {
		return false, 0, fmt.Errorf("cfworker: rate limit binding %s is missing", name)
	}
	arg := js.Global().Get("Object").New()
	arg.Set("key", key)
	res, err := jsasync.Await(b.Call("limit", arg))
	if err != nil {
		return false, 0, fmt.Errorf("cfworker: rate limit %s: %w", name, err)
	}
	if res.Get("success").Bool() {
		return true, 0, nil
	}
	return false, rateLimitPeriod, nil
}

// binding returns the binding name of the current call's env: what
// syumai's cloudflare.GetBinding returns, read from the same runtime
// context object. Importing syumai's cloudflare package instead would make
// this package's initialisation need a runtime context, which worker.mjs
// sets but its tests under plain Node do not.
func binding(name string) js.Value { return rc.Get("env").Get(name) }
