package connections

import (
	"sync"
	"time"
)

// Bounds of what a Broker keeps in memory: discovery documents and key
// sets, per URL.
const (
	cacheTTL     = 10 * time.Minute
	cacheMax     = 512
	keysCooldown = 30 * time.Second // least time between two fetches of one key set
)

// cache keeps values by key for at most cacheTTL, at most cacheMax of
// them: when it is full, everything goes. Only what the admin configured
// (an issuer) and what it published (its jwks_uri) are keys, so the bound
// is a guard, not a policy.
type cache[T any] struct {
	mu      sync.Mutex
	entries map[string]cached[T]
}

type cached[T any] struct {
	v  T
	at time.Time // when it was fetched
}

// get returns the value of key fetched at most cacheTTL before now.
func (c *cache[T]) get(key string, now time.Time) (T, time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok || now.Sub(e.at) >= cacheTTL || now.Before(e.at) {
		var zero T
		return zero, time.Time{}, false
	}
	return e.v, e.at, true
}

// put keeps v under key, fetched at now.
func (c *cache[T]) put(key string, v T, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil || len(c.entries) >= cacheMax {
		c.entries = map[string]cached[T]{}
	}
	c.entries[key] = cached[T]{v: v, at: now}
}
