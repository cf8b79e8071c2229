// Package storagefault wraps a storage.Store and a storage.KV so that a
// chosen call fails: the tests use it to sweep a storage fault across every
// step of every flow and check that each answer is an error, not a 200 or
// a panic, that nothing is left half-written, and that a retry succeeds.
package storagefault

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"github.com/edgeauth/edgeauth/storage"
)

// ErrInjected is the error a failing call returns.
var ErrInjected = errors.New("storagefault: injected failure")

// Injector counts storage calls (SQL and KV together) and fails the one
// whose number is FailAt (1-based); 0 fails none.
type Injector struct {
	calls  atomic.Int64
	failAt atomic.Int64
}

// Arm resets the count and makes call n fail (0: none).
func (in *Injector) Arm(n int64) { in.calls.Store(0); in.failAt.Store(n) }

// Calls is the number of calls since the last Arm.
func (in *Injector) Calls() int64 { return in.calls.Load() }

func (in *Injector) hit() error {
	n := in.calls.Add(1)
	if f := in.failAt.Load(); f != 0 && n == f {
		return ErrInjected
	}
	return nil
}

// Store wraps a storage.Store.
type Store struct {
	storage.Store
	In *Injector
}

// KV wraps a storage.KV.
type KV struct {
	storage.KV
	In *Injector
}

func (k KV) Get(ctx context.Context, key string) ([]byte, error) {
	if err := k.In.hit(); err != nil {
		return nil, err
	}
	return k.KV.Get(ctx, key)
}

func (k KV) Put(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	if err := k.In.hit(); err != nil {
		return err
	}
	return k.KV.Put(ctx, key, value, ttl)
}

func (k KV) Delete(ctx context.Context, key string) error {
	if err := k.In.hit(); err != nil {
		return err
	}
	return k.KV.Delete(ctx, key)
}
