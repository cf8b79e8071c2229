//go:build !js

package main

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"
)

type report struct {
	Target              string    `json:"target"`
	URL                 string    `json:"url"`
	Command             string    `json:"command"`
	Commit              string    `json:"commit,omitempty"` // the measured tree's commit (gitCommit)
	Started             time.Time `json:"started"`
	Finished            time.Time `json:"finished"`
	GoVersion           string    `json:"go_version"`
	CPUs                int       `json:"cpus"`
	Concurrency         int       `json:"concurrency"`
	DurationPerScenario string    `json:"duration_per_scenario"`
	Warmup              string    `json:"warmup"`

	Wasm *wasmInfo `json:"wasm,omitempty"`
	// StartToFirst200Ms is from starting `wrangler dev` (migrations already
	// applied) to the 200 of the first GET /healthz, sent once worker.mjs
	// answers at all (its JavaScript pool status).
	// FirstRequestMs is how long that first /healthz took: the first Go
	// instance's start-up plus the request.
	StartToFirst200Ms float64 `json:"start_to_first_200_ms,omitempty"`
	FirstRequestMs    float64 `json:"first_request_ms,omitempty"`

	Baseline    *result         `json:"baseline,omitempty"`
	Scenarios   []result        `json:"scenarios"`
	PoolAtStart map[string]any  `json:"pool_at_start,omitempty"`
	Memory      *memoryInfo     `json:"memory,omitempty"`
	Storage     []storageResult `json:"storage"`
	Checks      []check         `json:"checks"`
}

type wasmInfo struct {
	Path      string    `json:"path"`
	RawBytes  int64     `json:"raw_bytes"`
	GzipBytes int64     `json:"gzip_bytes"`
	Built     time.Time `json:"built"`
}

type memoryInfo struct {
	Exposed          bool             `json:"exposed"`
	Requests         int64            `json:"requests_before"`
	GoCalls          int64            `json:"go_calls_before"`              // of Requests, those Go served (the pool's "served")
	MaxInstanceBytes int64            `json:"max_instance_bytes,omitempty"` // of the live instances and EndedMaxBytes
	EndedMaxBytes    int64            `json:"ended_max_bytes,omitempty"`    // the largest instance the pool recycled or dropped, at its end
	Instances        []instanceMemory `json:"instances,omitempty"`
	Pool             map[string]any   `json:"pool,omitempty"`
	Note             string           `json:"note,omitempty"`
}

type instanceMemory struct {
	ID          string `json:"id"`
	Served      int64  `json:"served"`
	MemoryBytes int64  `json:"memory_bytes"`
}

// check is one target of the issue that is not a scenario's throughput.
type check struct {
	Name   string `json:"name"`
	Target string `json:"target"`
	Value  string `json:"value"`
	Met    *bool  `json:"met"` // nil: not measured
}

func boolp(b bool) *bool { return &b }

const (
	wasmGzipLimit  = 3_000_000 // 3.0 MB
	firstReqLimit  = 100 * time.Millisecond
	instanceMemMax = 32 << 20
)

func (r *report) evaluate() {
	if r.Wasm != nil {
		r.Checks = append(r.Checks, check{"wasm size (gzip -9)", "<= 3.0 MB",
			fmt.Sprintf("%.2f MB gzip (%.2f MB raw)", float64(r.Wasm.GzipBytes)/1e6, float64(r.Wasm.RawBytes)/1e6),
			boolp(r.Wasm.GzipBytes <= wasmGzipLimit)})
	}
	if r.FirstRequestMs > 0 {
		r.Checks = append(r.Checks, check{"first request after start (first Go instance)", "< 100 ms",
			fmt.Sprintf("%.0f ms (start to first 200: %.0f ms)", r.FirstRequestMs, r.StartToFirst200Ms),
			boolp(r.FirstRequestMs < ms(firstReqLimit))})
	}
	if m := r.Memory; m != nil {
		c := check{Name: "wasm memory per instance", Target: "<= 32 MiB after 10,000 requests"}
		switch {
		case m.Exposed && m.MaxInstanceBytes > 0:
			var served, live int64
			for _, in := range m.Instances {
				served = max(served, in.Served)
				live = max(live, in.MemoryBytes)
			}
			mib := func(b int64) float64 { return float64(b) / (1 << 20) }
			c.Value = fmt.Sprintf("max %.1f MiB per instance after %d requests to the Worker, %d of them served by Go (live instances: %d, largest %.1f MiB, busiest served %d; recycled or dropped before: largest %.1f MiB at its end; the pool recycles at max_requests=%v)",
				mib(m.MaxInstanceBytes), m.Requests, m.GoCalls, len(m.Instances), mib(live), served, mib(m.EndedMaxBytes), poolLimit(m.Pool, "max_requests"))
			if m.GoCalls >= 10000 {
				c.Met = boolp(m.MaxInstanceBytes <= instanceMemMax)
			} else {
				c.Value += "; fewer than 10,000 served by Go: not judged"
			}
		default:
			c.Value = m.Note
		}
		r.Checks = append(r.Checks, c)
	}
}

func poolLimit(pool map[string]any, name string) any {
	lim, _ := pool["limits"].(map[string]any)
	if v, ok := lim[name]; ok {
		return v
	}
	return "?"
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

func metStr(m *bool) string {
	switch {
	case m == nil:
		return ""
	case *m:
		return "yes"
	default:
		return "**NO**"
	}
}

func num1(f float64) string {
	if f == float64(int64(f)) {
		return fmt.Sprint(int64(f))
	}
	return fmt.Sprintf("%.2f", f)
}

func (r *report) markdown() string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	w("# edgeauth bench (%s)\n\n", r.Target)
	w("%s, %s, %d CPUs, %d concurrent goroutines, %s measured per scenario (two halves alternating with the baseline), %s warm-up. Command: `%s`.",
		r.Started.Format(time.RFC3339), r.GoVersion, r.CPUs, r.Concurrency, r.DurationPerScenario, r.Warmup, r.Command)
	if r.Commit != "" {
		w(" Commit %s.", r.Commit)
	}
	w("\n\n")

	w("| scenario | ops/s | p50 ms | p99 ms | errors | ratio to baseline | target | met? |\n|---|---:|---:|---:|---:|---:|---|---|\n")
	if bl := r.Baseline; bl != nil {
		w("| baseline (trivial Worker) | %.0f | %.2f | %.2f | %d | 1.00 | | |\n", bl.OpsPerSec, bl.P50Ms, bl.P99Ms, bl.Errors)
	}
	for _, s := range r.Scenarios {
		ratio := ""
		if s.Ratio > 0 {
			ratio = fmt.Sprintf("%.2f", s.Ratio)
		}
		w("| %s | %.1f | %.2f | %.2f | %d | %s | %s | %s |\n", s.Name, s.OpsPerSec, s.P50Ms, s.P99Ms, s.Errors, ratio, s.Target, metStr(s.Met))
	}
	var reused []string
	for _, s := range r.Scenarios {
		if s.Reused > 0 {
			reused = append(reused, fmt.Sprintf("%s %d of %d", s.Name, s.Reused, s.Reused+s.GoCalls))
		}
	}
	if len(reused) > 0 {
		w("\nRequests the pool answered again without Go (worker.mjs rule 7: a document Go marked reusable, for as long as its record cache keeps it), warm-up included: %s.\n", strings.Join(reused, ", "))
	}
	w("\nA code_flow op is one whole flow: 4 requests (GET authorize, GET login page, POST login, POST token); a code_flow_session op is the same flow in a browser already signed in: 2 requests (GET authorize answers the code, POST token). Ratios divide by the baseline segments run next to each scenario. A target counts as met only without errors.\n")
	var errs []string
	for _, s := range append(append([]result{}, r.Scenarios...), derefResult(r.Baseline)...) {
		if s.Errors > 0 {
			kinds := make([]string, 0, len(s.ErrorKinds))
			for k, v := range s.ErrorKinds {
				kinds = append(kinds, fmt.Sprintf("%s x%d", k, v))
			}
			sort.Strings(kinds)
			errs = append(errs, fmt.Sprintf("- %s: %d errors (%s); first: %s", s.Name, s.Errors, strings.Join(kinds, "; "), s.FirstError))
		}
	}
	if len(errs) > 0 {
		w("\nErrors:\n%s\n", strings.Join(errs, "\n"))
	}

	w("\n| check | target | value | met? |\n|---|---|---|---|\n")
	for _, c := range r.Checks {
		w("| %s | %s | %s | %s |\n", c.Name, c.Target, c.Value, metStr(c.Met))
	}
	if m := r.Memory; m != nil && len(m.Instances) > 0 {
		w("\nPool instances after %d requests:", m.Requests)
		for _, in := range m.Instances {
			w(" #%s served %d, %.1f MiB;", in.ID, in.Served, float64(in.MemoryBytes)/(1<<20))
		}
		if lim, ok := m.Pool["limits"].(map[string]any); ok {
			w(" pool limits %v", lim)
		}
		w("\n")
	}

	w("\n## Storage operations per operation\n\nCounted with storage/storagecount on an in-process server (same handler as the Worker; steady state after one warm-up run). D1 read = Get*/List*, write = any other Store call; one call is one round trip: one D1 query, or one D1 batch for RedeemCode (redemption, refresh family, audit event) and RotateRefreshToken (rotation, audit event).\n\n")
	w("| scenario | D1 reads | D1 writes | KV gets | KV puts | KV deletes | calls |\n|---|---:|---:|---:|---:|---:|---|\n")
	for _, s := range r.Storage {
		w("| %s | %s | %s | %s | %s | %s | %s |\n", s.Scenario, num1(s.PerOp.D1Reads), num1(s.PerOp.D1Writes),
			num1(s.PerOp.KVGets), num1(s.PerOp.KVPuts), num1(s.PerOp.KVDeletes), callList(s.PerOp.Calls))
	}
	for _, s := range r.Storage {
		if len(s.Steps) == 0 {
			continue
		}
		w("\n%s, by request:\n\n| step | D1 r | D1 w | KV get | KV put | KV del | calls |\n|---|---:|---:|---:|---:|---:|---|\n", s.Scenario)
		for _, st := range s.Steps {
			c := st.Counts
			w("| %s | %s | %s | %s | %s | %s | %s |\n", st.Step, num1(c.D1Reads), num1(c.D1Writes), num1(c.KVGets), num1(c.KVPuts), num1(c.KVDeletes), callList(c.Calls))
		}
	}
	return b.String()
}

func derefResult(r *result) []result {
	if r == nil {
		return nil
	}
	return []result{*r}
}

func callList(m map[string]float64) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s %s", k, num1(m[k])))
	}
	return strings.Join(parts, ", ")
}

// The README's performance table sits between these two lines; `make
// bench` replaces what is between them (replaceMarked) and nothing else.
const (
	readmeBegin = "<!-- bench:begin -->"
	readmeEnd   = "<!-- bench:end -->"
)

// readmeTable is the short table README.md shows: per scenario its ops/s,
// its ratio to the baseline measured next to it, p50 and p99, under one
// line naming the date, the commit and the machine. It is also written to
// bench-results/readme.md.
func (r *report) readmeTable() string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	w("`make bench` on %s", r.Started.UTC().Format(time.DateOnly))
	if r.Commit != "" {
		w(" at %s", r.Commit)
	}
	w(" (%s, %d CPUs, %d concurrent clients). Each scenario alternates with a trivial Worker, the baseline, in the same run; the ratio is to the baseline next to it. [Method and history](bench/README.md).\n\n",
		r.GoVersion, r.CPUs, r.Concurrency)
	w("| scenario | ops/s | ratio to baseline | p50 ms | p99 ms |\n|---|---:|---:|---:|---:|\n")
	row := func(name string, res result, ratio string) {
		if res.Errors > 0 {
			name += fmt.Sprintf(" (%d errors)", res.Errors)
		}
		w("| %s | %.1f | %s | %.1f | %.1f |\n", name, res.OpsPerSec, ratio, res.P50Ms, res.P99Ms)
	}
	if bl := r.Baseline; bl != nil {
		row("baseline", *bl, "1.00")
	}
	for _, s := range r.Scenarios {
		ratio := "-"
		if s.Ratio > 0 {
			ratio = fmt.Sprintf("%.2f", s.Ratio)
		}
		row(s.Name, s, ratio)
	}
	return b.String()
}

// replaceMarked returns doc with the text between its readmeBegin and
// readmeEnd lines replaced by content; everything outside them, the marker
// lines included, is kept byte for byte. Each marker must appear exactly
// once, on a line of its own, begin before end.
func replaceMarked(doc, content string) (string, error) {
	begin, err := markerLine(doc, readmeBegin)
	if err != nil {
		return "", err
	}
	end, err := markerLine(doc, readmeEnd)
	if err != nil {
		return "", err
	}
	if end < begin {
		return "", fmt.Errorf("bench: %s comes before %s", readmeEnd, readmeBegin)
	}
	from := begin + len(readmeBegin) + 1 // after the begin line's newline
	if content != "" && !strings.HasSuffix(content, "\n") {
		content += "\n"
	}
	return doc[:from] + content + doc[end:], nil
}

// markerLine returns the offset of marker in doc, which must hold it once,
// as a whole line.
func markerLine(doc, marker string) (int, error) {
	switch n := strings.Count(doc, marker); {
	case n == 0:
		return 0, fmt.Errorf("bench: no %s line; the performance table goes between %s and %s", marker, readmeBegin, readmeEnd)
	case n > 1:
		return 0, fmt.Errorf("bench: %s appears %d times; want it once", marker, n)
	}
	i := strings.Index(doc, marker)
	atStart := i == 0 || doc[i-1] == '\n'
	if rest := doc[i+len(marker):]; !atStart || rest != "" && rest[0] != '\n' {
		return 0, fmt.Errorf("bench: %s must be a line of its own", marker)
	}
	return i, nil
}

// updateReadme replaces the performance table of the README at path.
func updateReadme(path, table string) error {
	doc, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	out, err := replaceMarked(string(doc), table)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return os.WriteFile(path, []byte(out), 0o644)
}
