// Package expiring is a bounded in-memory map whose entries end at a time
// of their own: what a process keeps of what it fetched (metadata
// documents, key sets, introspection answers) without a bound a stranger
// could grow. It holds at most a set number of entries: a Put into a full
// map drops the ended entries first, and everything when none has ended.
package expiring

import (
	"sync"
	"time"
)

// Map maps keys to values until their end. It is safe for concurrent use.
type Map[K comparable, V any] struct {
	max int
	mu  sync.Mutex
	m   map[K]entry[V]
}

type entry[V any] struct {
	v     V
	until time.Time
}

// New returns an empty Map that holds at most n entries (at least one).
func New[K comparable, V any](n int) *Map[K, V] {
	return &Map[K, V]{max: max(n, 1), m: map[K]entry[V]{}}
}

// Get returns the value of key while now is before its end.
func (c *Map[K, V]) Get(key K, now time.Time) (V, bool) {
	c.mu.Lock()
	e, ok := c.m[key]
	c.mu.Unlock()
	if !ok || !now.Before(e.until) {
		var zero V
		return zero, false
	}
	return e.v, true
}

// Put keeps v under key until until. A value already ended at now is not
// kept (and an older one under key stays as it was).
func (c *Map[K, V]) Put(key K, v V, until, now time.Time) {
	if !now.Before(until) {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[key]; !ok && len(c.m) >= c.max {
		for k, e := range c.m {
			if !now.Before(e.until) {
				delete(c.m, k)
			}
		}
		if len(c.m) >= c.max {
			clear(c.m)
		}
	}
	c.m[key] = entry[V]{v, until}
}

// Len is the number of entries held, ended ones included.
func (c *Map[K, V]) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}
