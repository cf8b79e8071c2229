//go:build js && wasm

// Package ratelimit is rl.Limiter over the Workers Rate Limiting
// bindings declared in wrangler.toml ([[ratelimits]]), one binding per
// rule. Cloudflare counts per location and approximately, and answers only
// yes or no, so Retry-After is the binding's period. It is a brake on
// floods, not an exact quota: the lockout in D1 is what protects accounts.
package ratelimit

import (
	"context"
	"fmt"
	"syscall/js"
	"time"

	"github.com/syumai/workers/cloudflare"

	"github.com/edgeauth/edgeauth/internal/jsutil"
	rl "github.com/edgeauth/edgeauth/ratelimit"
)

// Bindings maps each rule to the name of its binding in wrangler.toml.
var Bindings = map[rl.Rule]string{
	rl.LimitLoginIP:    "LIMIT_LOGIN_IP",
	rl.LimitLoginUser:  "LIMIT_LOGIN_USER",
	rl.LimitToken:      "LIMIT_TOKEN",
	rl.LimitRegister:   "LIMIT_REGISTER",
	rl.LimitAdminFails: "LIMIT_ADMIN_FAILS",
	rl.LimitAdmin:      "LIMIT_ADMIN",
}

// period is the window every binding in wrangler.toml uses.
const period = 60 * time.Second

// Limiter calls the binding of the current call's env on every Allow (the
// pool sets env before each call).
type Limiter struct{}

// Check reports the first rule whose binding is missing from the Worker's
// env: a missing binding is a configuration error, never a skipped limit.
func Check() error {
	for rule, name := range Bindings {
		if b := cloudflare.GetBinding(name); b.IsUndefined() || b.IsNull() {
			return fmt.Errorf("ratelimit: the binding %s (rule %s) is missing from wrangler.toml", name, rule)
		}
	}
	return nil
}

// Allow implements rl.Limiter.
func (Limiter) Allow(_ context.Context, rule rl.Rule, key string) (bool, time.Duration, error) {
	name, ok := Bindings[rule]
	if !ok {
		return true, 0, nil
	}
	b := cloudflare.GetBinding(name)
	if b.IsUndefined() || b.IsNull() {
		return false, 0, fmt.Errorf("ratelimit: binding %s is missing", name)
	}
	arg := js.Global().Get("Object").New()
	arg.Set("key", key)
	res, err := jsutil.Await(b.Call("limit", arg))
	if err != nil {
		return false, 0, fmt.Errorf("ratelimit: %s: %w", name, err)
	}
	if res.Get("success").Bool() {
		return true, 0, nil
	}
	return false, period, nil
}
