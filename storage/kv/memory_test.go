package kv_test

import (
	"sync"
	"testing"
	"time"

	"github.com/edgeauth/edgeauth/storage"
	"github.com/edgeauth/edgeauth/storage/kv"
	"github.com/edgeauth/edgeauth/storage/storagetest"
)

func TestMemory(t *testing.T) {
	storagetest.RunKV(t, func(*testing.T) (storage.KV, func(time.Duration)) {
		var mu sync.Mutex
		now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
		clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
		advance := func(d time.Duration) { mu.Lock(); defer mu.Unlock(); now = now.Add(d) }
		return kv.NewMemory(clock), advance
	})
}
