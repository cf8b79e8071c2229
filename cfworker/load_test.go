//go:build !js

package cfworker_test

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// loadResult sums up a load run.
type loadResult struct {
	Requests int           // calls made
	Errors   int           // calls that returned an error
	FirstErr error         // the first of them
	Elapsed  time.Duration // wall time of the run
}

// PerSecond is the rate of calls, failed ones included.
func (r loadResult) PerSecond() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Requests) / r.Elapsed.Seconds()
}

// newClient returns an HTTP client that keeps up to conns connections
// alive.
func newClient(conns int) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = conns
	t.MaxIdleConnsPerHost = conns
	return &http.Client{Transport: t, Timeout: 60 * time.Second}
}

// runLoad calls do(ctx, i) for i = 0..n-1 with at most c calls in flight.
// It stops starting calls when ctx ends.
func runLoad(ctx context.Context, n, c int, do func(ctx context.Context, i int) error) loadResult {
	var (
		next atomic.Int64
		mu   sync.Mutex
		res  loadResult
		wg   sync.WaitGroup
	)
	start := time.Now()
	for range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= n {
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
