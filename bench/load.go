//go:build !js

package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"
)

// op is one operation of a scenario, run by one load goroutine; it
// returns an error for anything but the expected answer.
type op func(ctx context.Context) error

// scenario builds, per load goroutine, the op that goroutine repeats.
// newOp runs before any timing starts; per-goroutine state (a refresh
// chain) lives in its closure.
type scenario struct {
	name  string
	what  string // what one op is
	newOp func(ctx context.Context, worker int) (op, error)
	// cpu reads the CPU time of the processes serving this scenario's
	// Worker (nil: not measured).
	cpu func() (time.Duration, error)
	// vs names the scenario of the same run this one is compared with
	// (the peer's, or a floor's): the ratio column divides by its ops/s.
	vs string
}

// target is the goal of an issue for one scenario (the map targets). Every
// bound that is set must hold, without errors.
type target struct {
	text     string
	minRatio float64 // ops/s over the baseline's in the same run
	minOps   float64 // ops/s
	minVs    float64 // ops/s over the ops/s of scenario vs
}

// segment is one timed stretch of one scenario.
type segment struct {
	ops, errs int
	elapsed   time.Duration
	latencies []time.Duration // of the ops without error
	firstErr  error
	errKinds  map[string]int
	cpu       time.Duration // of the Worker's processes during the segment
	cpuErr    error         // why cpu is not known (errNoCPU: not measured)
}

// runSegment runs ops (one per goroutine) for d and collects the results.
// An op that fails counts as an error, is reported, and its goroutine goes
// on. cpu (nil: not measured) is read before the first op starts and
// after the last one has ended.
func runSegment(ctx context.Context, ops []op, d time.Duration, cpu func() (time.Duration, error)) segment {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var mu sync.Mutex
	seg := segment{errKinds: map[string]int{}, cpuErr: errNoCPU}
	var cpu0 time.Duration
	if cpu != nil {
		cpu0, seg.cpuErr = cpu()
	}
	start := time.Now()
	deadline := start.Add(d)
	var wg sync.WaitGroup
	for _, o := range ops {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lat := make([]time.Duration, 0, 4096)
			n, errs := 0, 0
			var first error
			kinds := map[string]int{}
			for time.Now().Before(deadline) {
				t := time.Now()
				err := o(ctx)
				if err != nil {
					errs++
					if first == nil {
						first = err
					}
					kinds[errKind(err)]++
					continue
				}
				lat = append(lat, time.Since(t))
				n++
			}
			mu.Lock()
			seg.ops += n
			seg.errs += errs
			seg.latencies = append(seg.latencies, lat...)
			if seg.firstErr == nil {
				seg.firstErr = first
			}
			for k, v := range kinds {
				seg.errKinds[k] += v
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	seg.elapsed = time.Since(start)
	if cpu != nil && seg.cpuErr == nil {
		var cpu1 time.Duration
		if cpu1, seg.cpuErr = cpu(); seg.cpuErr == nil {
			seg.cpu = cpu1 - cpu0
		}
	}
	return seg
}

func errKind(err error) string {
	var se *statusError
	if errors.As(err, &se) {
		return fmt.Sprintf("%s: %d", se.what, se.status)
	}
	s := err.Error()
	if len(s) > 80 {
		s = s[:80]
	}
	return s
}

// result is what the report says of one scenario.
type result struct {
	Name       string         `json:"name"`
	What       string         `json:"what"`
	Ops        int            `json:"ops"`
	Errors     int            `json:"errors"`
	ErrorKinds map[string]int `json:"error_kinds,omitempty"`
	FirstError string         `json:"first_error,omitempty"`
	Seconds    float64        `json:"seconds"`
	OpsPerSec  float64        `json:"ops_per_sec"`
	P50Ms      float64        `json:"p50_ms"`
	P99Ms      float64        `json:"p99_ms"`
	// CPUMsPerOp is the CPU time of the Worker's processes over the
	// measured segments divided by the operations without error in them;
	// nil when not measured (CPUNote says why).
	CPUMsPerOp  *float64 `json:"cpu_ms_per_op,omitempty"`
	CPUNote     string   `json:"cpu_note,omitempty"`
	BaselineOps float64  `json:"baseline_ops_per_sec,omitempty"` // of the baseline segments next to this scenario's
	Ratio       float64  `json:"ratio_to_baseline,omitempty"`
	// Vs is the scenario this one is compared with, VsRatio this one's
	// ops/s over Vs's (0: Vs not measured in this run).
	Vs      string  `json:"vs,omitempty"`
	VsRatio float64 `json:"vs_ratio,omitempty"`
	Target  string  `json:"target,omitempty"`
	Met     *bool   `json:"met,omitempty"`
	// Failed says why the scenario could not run at all (its server did
	// not start, or preparing its load failed); the other fields are then
	// empty.
	Failed string `json:"failed,omitempty"`
	// Of the requests to the Worker during the scenario (warm-up included),
	// those Go served and those the pool answered without Go (worker.mjs
	// rule 7); both zero when the pool status is not exposed.
	GoCalls int64 `json:"go_calls,omitempty"`
	Reused  int64 `json:"reused,omitempty"`
}

func summarize(name, what string, segs []segment) result {
	r := result{Name: name, What: what, ErrorKinds: map[string]int{}}
	var lat []time.Duration
	var elapsed, cpu time.Duration
	var cpuErr error
	for _, s := range segs {
		cpu += s.cpu
		if cpuErr == nil {
			cpuErr = s.cpuErr
		}
		r.Ops += s.ops
		r.Errors += s.errs
		elapsed += s.elapsed
		lat = append(lat, s.latencies...)
		if r.FirstError == "" && s.firstErr != nil {
			r.FirstError = s.firstErr.Error()
		}
		for k, v := range s.errKinds {
			r.ErrorKinds[k] += v
		}
	}
	r.Seconds = elapsed.Seconds()
	if r.Seconds > 0 {
		r.OpsPerSec = float64(r.Ops) / r.Seconds
	}
	slices.Sort(lat)
	r.P50Ms, r.P99Ms = pct(lat, 0.50), pct(lat, 0.99)
	switch {
	case len(segs) == 0:
	case errors.Is(cpuErr, errNoCPU):
		r.CPUNote = cpuNotMeasured
	case cpuErr != nil:
		r.CPUNote = "not measured: " + cpuErr.Error()
	case r.Ops == 0:
		r.CPUNote = "no operation without error"
	default:
		v := cpuPerOp(cpu, r.Ops)
		r.CPUMsPerOp = &v
	}
	return r
}

func pct(sorted []time.Duration, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted)-1) * p)
	return float64(sorted[i].Microseconds()) / 1000
}

// measure runs sc and, if base is set, the baseline alternately: base,
// sc, base, sc, each for half of d, after a warm-up of sc. It returns the
// scenario's result (with its ratio to the baseline segments around it)
// and the baseline segments.
func measure(ctx context.Context, sc scenario, base *scenario, concurrency int, d, warmup time.Duration) (result, []segment, error) {
	build := func(s scenario) ([]op, error) {
		ops := make([]op, concurrency)
		for i := range ops {
			o, err := s.newOp(ctx, i)
			if err != nil {
				return nil, fmt.Errorf("%s: preparing load goroutine %d: %w", s.name, i, err)
			}
			ops[i] = o
		}
		return ops, nil
	}
	ops, err := build(sc)
	if err != nil {
		return result{}, nil, err
	}
	var baseOps []op
	if base != nil {
		if baseOps, err = build(*base); err != nil {
			return result{}, nil, err
		}
	}
	if warmup > 0 {
		runSegment(ctx, ops, warmup, nil)
	}
	var segs, baseSegs []segment
	for range 2 {
		if base != nil {
			baseSegs = append(baseSegs, runSegment(ctx, baseOps, d/2, base.cpu))
		}
		segs = append(segs, runSegment(ctx, ops, d/2, sc.cpu))
	}
	r := summarize(sc.name, sc.what, segs)
	if base != nil {
		b := summarize(base.name, base.what, baseSegs)
		r.BaselineOps = b.OpsPerSec
		if b.OpsPerSec > 0 {
			r.Ratio = r.OpsPerSec / b.OpsPerSec
		}
	}
	r.Vs = sc.vs
	return r, baseSegs, nil
}

// cpuNotMeasured is the CPU note of a server the bench did not start.
const cpuNotMeasured = "not measured: the server runs in the bench's own process (native) or elsewhere (url)"

// judge fills in each result's ratio to the scenario it is compared with
// and whether its target is met, once the whole run is measured. A target
// whose comparison was not measured in the run is left unjudged.
func judge(results []result, targets map[string]target) {
	ops := map[string]float64{}
	for _, r := range results {
		if r.Failed == "" {
			ops[r.Name] = r.OpsPerSec
		}
	}
	for i := range results {
		r := &results[i]
		if r.Failed != "" {
			continue
		}
		if v, ok := ops[r.Vs]; ok && v > 0 {
			r.VsRatio = r.OpsPerSec / v
		}
		t, ok := targets[r.Name]
		r.Target = t.text
		if !ok || t.text == "" || t.minVs > 0 && r.VsRatio == 0 || t.minRatio > 0 && r.Ratio == 0 {
			continue
		}
		met := r.OpsPerSec >= t.minOps && r.Ratio >= t.minRatio && r.VsRatio >= t.minVs && r.Errors == 0
		r.Met = &met
	}
}
