package kv

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/edgeauth/edgeauth/storage"
)

// Memory is an in-memory storage.KV with expiry, safe for concurrent use.
// Expired entries are invisible at once and their memory is reclaimed
// lazily: on Get, and by a sweep whenever the map has doubled in size since
// the previous one.
type Memory struct {
	now func() time.Time

	mu        sync.Mutex
	entries   map[string]entry
	sweepSize int // sweep when len(entries) reaches this
}

type entry struct {
	value   []byte
	expires time.Time
}

var _ storage.KV = (*Memory)(nil)

// NewMemory returns an empty Memory whose clock is now; nil means
// time.Now. Tests pass a fake clock to exercise expiry.
func NewMemory(now func() time.Time) *Memory {
	if now == nil {
		now = time.Now
	}
	return &Memory{now: now, entries: make(map[string]entry), sweepSize: 64}
}

// Get implements storage.KV.
func (m *Memory) Get(_ context.Context, key string) ([]byte, error) {
	if err := checkKey("get", key); err != nil {
		return nil, err
	}
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.entries[key]
	if !ok {
		return nil, fmt.Errorf("kv: get: %w", storage.ErrNotFound)
	}
	if !now.Before(e.expires) {
		delete(m.entries, key)
		return nil, fmt.Errorf("kv: get: %w", storage.ErrNotFound)
	}
	return append([]byte{}, e.value...), nil
}

// Put implements storage.KV. The entry expires ttl after the clock's now.
func (m *Memory) Put(_ context.Context, key string, value []byte, ttl time.Duration) error {
	if err := checkKey("put", key); err != nil {
		return err
	}
	if err := checkTTL(ttl); err != nil {
		return err
	}
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.entries[key] = entry{value: append([]byte{}, value...), expires: now.Add(ttl)}
	if len(m.entries) >= m.sweepSize {
		for k, e := range m.entries {
			if !now.Before(e.expires) {
				delete(m.entries, k)
			}
		}
		m.sweepSize = max(64, 2*len(m.entries))
	}
	return nil
}

// Delete implements storage.KV.
func (m *Memory) Delete(_ context.Context, key string) error {
	if err := checkKey("delete", key); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.entries, key)
	return nil
}

// Len is the number of entries that have not expired.
func (m *Memory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	now, n := m.now(), 0
	for _, e := range m.entries {
		if now.Before(e.expires) {
			n++
		}
	}
	return n
}
