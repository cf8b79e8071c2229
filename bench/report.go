//go:build !js

package main

import (
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"
)

type report struct {
	Target              string    `json:"target"`
	Command             string    `json:"command"`
	Commit              string    `json:"commit,omitempty"` // the measured tree's commit (gitCommit)
	Started             time.Time `json:"started"`
	Finished            time.Time `json:"finished"`
	GoVersion           string    `json:"go_version"`
	CPUs                int       `json:"cpus"`
	Concurrency         int       `json:"concurrency"`
	DurationPerScenario string    `json:"duration_per_scenario"`
	Warmup              string    `json:"warmup"`
	// Versions of node, wrangler, miniflare and the peer library.
	Versions map[string]string `json:"versions,omitempty"`
	Machine  string            `json:"machine,omitempty"` // machineName

	Wasm    *wasmInfo       `json:"wasm,omitempty"`
	Runs    []*runReport    `json:"runs"`
	Storage []storageResult `json:"storage"`
	Checks  []check         `json:"checks"`
}

// runReport is one runtime's run: every server started fresh under it.
type runReport struct {
	Runtime string `json:"runtime"` // miniflare, wrangler, native or url
	Label   string `json:"label"`
	URL     string `json:"url"` // edgeauth's
	// StartToFirst200Ms is from starting the server (for wrangler dev,
	// migrations already applied; for Miniflare, the Node process, which
	// applies them) to the 200 of the first GET /healthz, sent once
	// worker.mjs answers at all (its JavaScript pool status).
	// FirstRequestMs is how long that first /healthz took: the first Go
	// instance's start-up plus the request.
	StartToFirst200Ms float64        `json:"start_to_first_200_ms,omitempty"`
	FirstRequestMs    float64        `json:"first_request_ms,omitempty"`
	Baseline          *result        `json:"baseline,omitempty"`
	Scenarios         []result       `json:"scenarios"`
	PoolAtStart       map[string]any `json:"pool_at_start,omitempty"`
	Memory            *memoryInfo    `json:"memory,omitempty"`
}

// scenario returns the run's result named name, if it has one.
func (rr *runReport) scenario(name string) (result, bool) {
	for _, s := range rr.Scenarios {
		if s.Name == name {
			return s, true
		}
	}
	return result{}, false
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
	for _, rr := range r.Runs {
		if rr.FirstRequestMs > 0 {
			r.Checks = append(r.Checks, check{"first request after start (first Go instance), " + rr.Label, "< 100 ms",
				fmt.Sprintf("%.0f ms (start to first 200: %.0f ms)", rr.FirstRequestMs, rr.StartToFirst200Ms),
				boolp(rr.FirstRequestMs < ms(firstReqLimit))})
		}
		m := rr.Memory
		if m == nil {
			continue
		}
		c := check{Name: "wasm memory per instance, " + rr.Label, Target: "<= 32 MiB after 10,000 requests"}
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
	if v := versionLine(r.Versions); v != "" {
		w(" %s.", v)
	}
	w("\n")
	for _, rr := range r.Runs {
		w("\n## %s\n\n", rr.Label)
		w("| scenario | ops/s | CPU ms/op | p50 ms | p99 ms | errors | ratio to baseline | compared | target | met? |\n|---|---:|---:|---:|---:|---:|---:|---|---|---|\n")
		if bl := rr.Baseline; bl != nil {
			w("| baseline (trivial Worker) | %.0f | %s | %.2f | %.2f | %d | 1.00 | | | |\n", bl.OpsPerSec, cpuStr(*bl), bl.P50Ms, bl.P99Ms, bl.Errors)
		}
		for _, s := range rr.Scenarios {
			if s.Failed != "" {
				w("| %s | failed | | | | | | | %s | |\n", s.Name, s.Target)
				continue
			}
			ratio := ""
			if s.Ratio > 0 {
				ratio = fmt.Sprintf("%.2f", s.Ratio)
			}
			w("| %s | %.1f | %s | %.2f | %.2f | %d | %s | %s | %s | %s |\n", s.Name, s.OpsPerSec, cpuStr(s), s.P50Ms, s.P99Ms, s.Errors, ratio, vsStr(s), s.Target, metStr(s.Met))
		}
		var reused []string
		for _, s := range rr.Scenarios {
			if s.Reused > 0 && s.Name != "api_call" {
				reused = append(reused, fmt.Sprintf("%s %d of %d", s.Name, s.Reused, s.Reused+s.GoCalls))
			}
		}
		if len(reused) > 0 {
			w("\nRequests the pool answered again without Go (worker.mjs rule 7: a document Go marked reusable, for as long as its record cache keeps it), warm-up included: %s.\n", strings.Join(reused, ", "))
		}
		if s, ok := rr.scenario("api_call"); ok && s.Failed == "" {
			w("\nRequests edgeauth served during api_call, preparation and warm-up included (one client_credentials token per goroutine, and the resource Worker's fetches of edgeauth's metadata and keys): %d with Go, %d answered again by the pool.\n", s.GoCalls, s.Reused)
		}
		var errs []string
		for _, s := range append(append([]result{}, rr.Scenarios...), derefResult(rr.Baseline)...) {
			if s.Failed != "" {
				errs = append(errs, fmt.Sprintf("- %s: FAILED: %s", s.Name, s.Failed))
			}
			if s.Errors > 0 {
				kinds := make([]string, 0, len(s.ErrorKinds))
				for k, v := range s.ErrorKinds {
					kinds = append(kinds, fmt.Sprintf("%s x%d", k, v))
				}
				sort.Strings(kinds)
				errs = append(errs, fmt.Sprintf("- %s: %d errors (%s); first: %s", s.Name, s.Errors, strings.Join(kinds, "; "), s.FirstError))
			}
			if s.CPUNote != "" && s.CPUNote != cpuNotMeasured && s.Failed == "" {
				errs = append(errs, fmt.Sprintf("- %s: CPU %s", s.Name, s.CPUNote))
			}
		}
		if len(errs) > 0 {
			w("\nErrors and gaps:\n%s\n", strings.Join(errs, "\n"))
		}
		if rr.Runtime == "native" || rr.Runtime == "url" {
			w("\nCPU time: %s.\n", cpuNotMeasured)
		}
		if m := rr.Memory; m != nil && len(m.Instances) > 0 {
			w("\nPool instances after %d requests:", m.Requests)
			for _, in := range m.Instances {
				w(" #%s served %d, %.1f MiB;", in.ID, in.Served, float64(in.MemoryBytes)/(1<<20))
			}
			if lim, ok := m.Pool["limits"].(map[string]any); ok {
				w(" pool limits %v", lim)
			}
			w("\n")
		}
	}
	w("\nWhat one operation is: see bench/README.md. CPU ms/op is the CPU time (user + system, from /proc/PID/stat) of every process serving the scenario's Worker (the Node process and its workerd) over the measured segments, divided by their operations without error. Ratios to the baseline divide by the baseline segments run next to each scenario; \"compared\" divides by the ops/s of the scenario named, measured in the same run. A target counts as met only without errors.\n")

	w("\n| check | target | value | met? |\n|---|---|---|---|\n")
	for _, c := range r.Checks {
		w("| %s | %s | %s | %s |\n", c.Name, c.Target, c.Value, metStr(c.Met))
	}

	w("\n## Storage operations per operation\n\nCounted with storage/storagecount on an in-process server (same handler as the Worker; steady state after one warm-up run). D1 read = Get*/List*, write = any other Store call; one call is one round trip: one D1 query, or one D1 batch for RedeemCode (redemption, refresh family, audit event) and RotateRefreshToken (rotation, audit event, read back).\n\n")
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

// readmeTable is the short table README.md shows, under one line naming
// the date, the commit and the machine: per scenario of the first run
// (the proxy-free one) its ops/s, CPU ms per operation, p50 and p99, its
// ratio (to the baseline next to it, to the peer or to a floor) and its
// target; and the ops/s (CPU ms/op) of the same scenario in the second run
// (stock wrangler dev). It is also written to bench-results/readme.md.
func (r *report) readmeTable() string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	if len(r.Runs) == 0 {
		return ""
	}
	main := r.Runs[0]
	var other *runReport
	if len(r.Runs) > 1 {
		other = r.Runs[1]
	}
	w("`make bench` on %s", r.Started.UTC().Format(time.DateOnly))
	if r.Commit != "" {
		w(" at %s", r.Commit)
	}
	w(", on %s (%s", r.machine(), r.GoVersion)
	if v := versionLine(r.Versions); v != "" {
		w(", %s", v)
	}
	w("), %d concurrent clients. ", r.Concurrency)
	w("The figures are of the %s run", main.Label)
	if main.Runtime == runtimeMiniflare {
		w(": every Worker served through Miniflare's API, without the inspector proxy of `wrangler dev`")
	}
	if other != nil {
		w("; the last column is the same scenario in the %s run", other.Label)
	}
	w(". Each scenario alternates with a trivial Worker, the baseline; a ratio is to the baseline next to it, or to the peer (workers-oauth-provider) or a floor measured in the same run. [What each figure is](bench/README.md).\n\n")
	w("| scenario | ops/s | CPU ms/op | p50 / p99 ms | ratio | target |")
	if other != nil {
		w(" %s ops/s (CPU ms/op) |", other.Label)
	}
	w("\n|---|---:|---:|---:|---|---|")
	if other != nil {
		w("---:|")
	}
	w("\n")
	otherCell := func(name string) string {
		if other == nil {
			return ""
		}
		var s result
		var ok bool
		if name == "baseline" && other.Baseline != nil {
			s, ok = *other.Baseline, true
		} else {
			s, ok = other.scenario(name)
		}
		switch {
		case !ok:
			return " - |"
		case s.Failed != "":
			return " failed |"
		}
		cell := fmt.Sprintf(" %.1f (%s)", s.OpsPerSec, cpuStr(s))
		if s.Errors > 0 {
			cell += fmt.Sprintf(", %d errors", s.Errors)
		}
		return cell + " |"
	}
	row := func(name string, s result, ratio, tgt string) {
		label := name
		if s.Errors > 0 {
			label += fmt.Sprintf(" (%d errors)", s.Errors)
		}
		if s.Failed != "" {
			w("| %s | failed | | | | %s |%s\n", label, tgt, otherCell(name))
			return
		}
		w("| %s | %.1f | %s | %.1f / %.1f | %s | %s |%s\n", label, s.OpsPerSec, cpuStr(s), s.P50Ms, s.P99Ms, ratio, tgt, otherCell(name))
	}
	if bl := main.Baseline; bl != nil {
		row("baseline", *bl, "1.00", "")
	}
	for _, s := range main.Scenarios {
		t := targets[s.Name]
		var ratios []string
		if s.Ratio > 0 && (s.VsRatio == 0 || t.minRatio > 0) {
			ratios = append(ratios, fmt.Sprintf("%.2fx baseline", s.Ratio))
		}
		if s.VsRatio > 0 {
			ratios = append(ratios, fmt.Sprintf("%.2fx %s", s.VsRatio, vsName(s.Vs)))
		}
		ratio := strings.Join(ratios, ", ")
		if ratio == "" {
			ratio = "-"
		}
		tgt := shortTarget(t)
		if tgt != "" {
			switch {
			case s.Met == nil:
				tgt += ": not judged"
			case *s.Met:
				tgt += ": yes"
			default:
				tgt += ": **no**"
			}
		}
		row(s.Name, s, ratio, tgt)
	}
	var first []string
	for _, rr := range r.Runs {
		if rr.FirstRequestMs > 0 {
			first = append(first, fmt.Sprintf("%.0f ms %s", rr.FirstRequestMs, rr.Label))
		}
	}
	if len(first) > 0 {
		w("\nFirst request after start (the first Go instance; target < 100 ms): %s.", strings.Join(first, ", "))
	}
	if r.Wasm != nil {
		w(" Wasm %.2f MB, %.2f MB gzip.", float64(r.Wasm.RawBytes)/1e6, float64(r.Wasm.GzipBytes)/1e6)
	}
	w("\n")
	return b.String()
}

// machine names the machine the run measured: its CPU model, from
// /proc/cpuinfo, and its cores.
func (r *report) machine() string {
	if r.Machine != "" {
		return r.Machine
	}
	return fmt.Sprintf("%d CPU cores", r.CPUs)
}

// machineName is the CPU model of this machine and its cores, e.g. "AMD
// EPYC, 2 cores (linux/amd64)".
func machineName(cpus int) string {
	model := ""
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v) + ", "
				break
			}
		}
	}
	return fmt.Sprintf("%s%d cores (%s/%s)", model, cpus, runtime.GOOS, runtime.GOARCH)
}

// cpuStr is a result's CPU ms per operation, or "-".
func cpuStr(s result) string {
	if s.CPUMsPerOp == nil {
		return "-"
	}
	return fmt.Sprintf("%.2f", *s.CPUMsPerOp)
}

// vsStr is a result's ratio to the scenario it is compared with.
func vsStr(s result) string {
	if s.VsRatio == 0 {
		return ""
	}
	return fmt.Sprintf("%.2fx %s", s.VsRatio, s.Vs)
}

// vsName is how the README names a scenario compared with.
func vsName(name string) string {
	switch {
	case strings.HasPrefix(name, "peer_"):
		return "peer"
	case name == "pbkdf2_floor":
		return "PBKDF2 floor"
	}
	return name
}

// shortTarget is a target's bounds in a few words.
func shortTarget(t target) string {
	var parts []string
	if t.minRatio > 0 {
		parts = append(parts, fmt.Sprintf(">= %sx baseline", trimFloat(t.minRatio)))
	}
	if t.minVs > 0 {
		parts = append(parts, fmt.Sprintf(">= %sx peer", trimFloat(t.minVs)))
	}
	if t.minOps > 0 {
		parts = append(parts, fmt.Sprintf(">= %s/s", trimFloat(t.minOps)))
	}
	return strings.Join(parts, ", ")
}

func trimFloat(f float64) string {
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// versionLine names the versions of the tools a run used.
func versionLine(v map[string]string) string {
	var parts []string
	for _, k := range []struct{ key, name string }{{"node", "Node"}, {"wrangler", "wrangler"}, {"miniflare", "Miniflare"}, {"peer", "workers-oauth-provider"}} {
		if v[k.key] != "" {
			parts = append(parts, k.name+" "+strings.TrimPrefix(v[k.key], "v"))
		}
	}
	return strings.Join(parts, ", ")
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
