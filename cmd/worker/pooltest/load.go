//go:build !js

// Package pooltest tests the Worker pool (cmd/worker/worker.mjs and
// internal/bridge) under `wrangler dev`, against the test Worker in app/
// (and, for a panic in authz's handlers, edgeauth's own Worker built with
// -tags pooltestpanic: edgeauth_test.go), and holds the small load driver
// its tests share. The tests need
// EDGEAUTH_WORKERD=1 (make test-pool). node/ runs worker.mjs under Node for
// what wrangler dev's proxy hides (make test-pool runs it too).
package pooltest

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Result sums up a load run.
type Result struct {
	Requests int           // calls made
	Errors   int           // calls that returned an error
	FirstErr error         // the first of them
	Elapsed  time.Duration // wall time of the run
}

// PerSecond is the rate of calls, failed ones included.
func (r Result) PerSecond() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Requests) / r.Elapsed.Seconds()
}

// Client returns an HTTP client that keeps up to conns connections alive.
func Client(conns int) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = conns
	t.MaxIdleConnsPerHost = conns
	return &http.Client{Transport: t, Timeout: 60 * time.Second}
}

// Run calls do(ctx, i) for i = 0..n-1 with at most c calls in flight. It
// stops starting calls when ctx ends.
func Run(ctx context.Context, n, c int, do func(ctx context.Context, i int) error) Result {
	var next atomic.Int64
	return run(ctx, c, func() (int, bool) {
		i := int(next.Add(1) - 1)
		return i, i < n
	}, do)
}

// For calls do with c calls in flight until d has passed or ctx ends.
func For(ctx context.Context, d time.Duration, c int, do func(ctx context.Context, i int) error) Result {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var next atomic.Int64
	return run(ctx, c, func() (int, bool) {
		return int(next.Add(1) - 1), ctx.Err() == nil
	}, func(_ context.Context, i int) error {
		// The call itself may outlive d: its response still counts.
		return do(context.WithoutCancel(ctx), i)
	})
}

func run(ctx context.Context, c int, next func() (int, bool), do func(ctx context.Context, i int) error) Result {
	var (
		mu  sync.Mutex
		res Result
		wg  sync.WaitGroup
	)
	start := time.Now()
	for range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i, ok := next()
				if !ok {
					return
				}
				err := do(ctx, i)
				mu.Lock()
				res.Requests++
				if err != nil {
					res.Errors++
					if res.FirstErr == nil {
						res.FirstErr = err
					}
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	res.Elapsed = time.Since(start)
	return res
}
