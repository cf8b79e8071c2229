//go:build !js

// Command bench is edgeauth's load driver (`make bench`, issues 6 and
// 17). It serves every Worker it measures twice: first proxy-free,
// through Miniflare's API (bench/miniflare.mjs: the same workerd without
// the inspector proxy of `wrangler dev`, which costs every D1 query and
// every fetch a few ms of this machine's CPU that production never
// spends), then under stock `wrangler dev`. Each run starts edgeauth,
// examples/resource-worker (checking edgeauth's tokens with the verify
// package), the peer library's fixture (bench/peer: Cloudflare's
// workers-oauth-provider), a trivial baseline Worker and two floors (D1
// round trips, PBKDF2), each in processes of its own; it seeds a tenant
// and measures each scenario alternately with the baseline (baseline,
// scenario, baseline, scenario), so machine drift hits both. It reports
// ops/s, p50 and p99 and the CPU time per operation of the processes
// serving the scenario (from /proc), ratios to the baseline, to the peer
// and to the floors, errors (never hidden: any unexpected status is one),
// the wasm size, the first request after start, the wasm memory per pool
// instance after at least 10,000 Go calls, and the D1 and KV operations
// of each scenario's single operation, counted with storage/storagecount
// on an in-process server that runs the same handler. bench/README.md
// says what each figure is.
//
// It writes bench.json, bench.md and readme.md (the short table README.md
// shows) to -out and prints the Markdown. A full run of both runtimes
// (-target worker, no -scenarios) also replaces README.md's table
// (-readme): the lines between <!-- bench:begin --> and
// <!-- bench:end -->, nothing else. Targets are reported, never enforced:
// the exit status is 0 whenever the run itself worked.
//
//	go run ./bench                       # proxy-free, then stock wrangler dev (builds the Workers first)
//	go run ./bench -target miniflare     # the proxy-free run alone
//	go run ./bench -target native        # in-process edgeauth on SQLite
//	go run ./bench -target url -url https://auth.example.com -admin-token ...
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/edgeauth/edgeauth/internal/wranglertest"
)

type options struct {
	target      string
	url         string
	adminToken  string
	baselineURL string
	duration    time.Duration
	warmup      time.Duration
	concurrency int
	out         string
	memRequests int64
	memTimeout  time.Duration
	storageRuns int
	only        string
	logLevel    string
	vars        map[string]string // further vars for the edgeauth Worker
	readme      string            // README whose table a full wrangler run replaces; "" for none
}

func main() {
	var o options
	flag.StringVar(&o.target, "target", "worker", "what to measure: worker (the Workers proxy-free through Miniflare's API, then under stock wrangler dev), miniflare or wrangler (one of the two), native (in-process on SQLite) or url")
	flag.StringVar(&o.url, "url", "", "base URL of a running edgeauth (-target url)")
	flag.StringVar(&o.adminToken, "admin-token", os.Getenv("EDGEAUTH_ADMIN_TOKEN"), "admin token of -url (default $EDGEAUTH_ADMIN_TOKEN)")
	flag.StringVar(&o.baselineURL, "baseline-url", "", "base URL of a baseline Worker for -target url (none: no ratios)")
	flag.DurationVar(&o.duration, "duration", 8*time.Second, "measured time per scenario (half of it twice, alternating with the baseline)")
	flag.DurationVar(&o.warmup, "warmup", 2*time.Second, "unmeasured warm-up per scenario")
	flag.IntVar(&o.concurrency, "concurrency", 8, "concurrent load goroutines")
	flag.StringVar(&o.out, "out", "bench-results", "folder for bench.json and bench.md")
	flag.Int64Var(&o.memRequests, "mem-requests", 10000, "requests the Worker has served before its pool memory is read")
	flag.DurationVar(&o.memTimeout, "mem-timeout", 45*time.Second, "longest time spent sending requests to reach -mem-requests (the report says how many it reached)")
	flag.IntVar(&o.storageRuns, "storage-runs", 5, "runs of each operation when counting storage calls")
	flag.StringVar(&o.only, "scenarios", "", "comma-separated scenarios to run (default all)")
	flag.StringVar(&o.readme, "readme", "README.md", "README (relative to the repository root) whose table between <!-- bench:begin --> and <!-- bench:end --> a full run with -target worker replaces; empty for none")
	flag.StringVar(&o.logLevel, "log-level", "", "edgeauth's LOG_LEVEL var in the Worker (default: the Worker's default, info)")
	flag.Func("var", "NAME=VALUE: a further var for the edgeauth Worker, such as POOL_MAX_INSTANCES=6 (repeatable)", func(s string) error {
		name, value, ok := strings.Cut(s, "=")
		if !ok || name == "" {
			return errors.New("want NAME=VALUE")
		}
		if o.vars == nil {
			o.vars = map[string]string{}
		}
		o.vars[name] = value
		return nil
	})
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...)
}

// countingTransport counts the requests sent to the server under test.
type countingTransport struct {
	next http.RoundTripper
	n    atomic.Int64
}

func (t *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	t.n.Add(1)
	return t.next.RoundTrip(r)
}

func run(ctx context.Context, o options) error {
	root, err := wranglertest.RepoRoot()
	if err != nil {
		return err
	}
	rep := &report{
		Target: o.target, Started: time.Now().UTC(), GoVersion: runtime.Version(), CPUs: runtime.NumCPU(),
		Concurrency: o.concurrency, DurationPerScenario: o.duration.String(), Warmup: o.warmup.String(),
		Command: "go run ./bench " + joinArgs(os.Args[1:]), Commit: gitCommit(ctx, root),
		Machine: machineName(runtime.NumCPU()),
	}
	var runtimes []string
	switch o.target {
	case "worker":
		runtimes = []string{runtimeMiniflare, runtimeWrangler}
	case runtimeMiniflare, runtimeWrangler, "native", "url":
		runtimes = []string{o.target}
	default:
		return fmt.Errorf("-target %q: want worker, miniflare, wrangler, native or url", o.target)
	}
	workers := o.target == "worker" || o.target == runtimeMiniflare || o.target == runtimeWrangler
	if workers {
		// Always measure the code in the tree: a bundle left from an
		// earlier build would be measured silently otherwise. go build is
		// incremental, so this takes a second when nothing changed.
		logf("building the Workers (make -s build-worker build-resource-worker)")
		build := exec.CommandContext(ctx, "make", "-s", "build-worker", "build-resource-worker")
		build.Dir, build.Stdout, build.Stderr = root, os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("make build-worker build-resource-worker: %w", err)
		}
		rep.Versions = versions(ctx, root)
	}
	wasm := filepath.Join(root, "build", "worker", "app.wasm")
	if raw, gz, mod, err := wasmSize(wasm); err == nil {
		rep.Wasm = &wasmInfo{Path: "build/worker/app.wasm", RawBytes: raw, GzipBytes: gz, Built: mod.UTC()}
	} else if workers {
		return err
	}

	logf("counting storage calls per operation (in-process server)")
	if rep.Storage, err = countStorage(ctx, o.storageRuns); err != nil {
		return fmt.Errorf("storage counts: %w", err)
	}

	for i, rt := range runtimes {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		rr, err := runOne(ctx, o, root, rt, i == 0)
		if err != nil {
			return fmt.Errorf("%s: %w", runtimeLabel(rt), err)
		}
		rep.Runs = append(rep.Runs, rr)
	}
	rep.Finished = time.Now().UTC()
	rep.evaluate()

	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return err
	}
	md := rep.markdown()
	if err := writeJSON(filepath.Join(o.out, "bench.json"), rep); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(o.out, "bench.md"), []byte(md), 0o644); err != nil {
		return err
	}
	table := rep.readmeTable()
	if err := os.WriteFile(filepath.Join(o.out, "readme.md"), []byte(table), 0o644); err != nil {
		return err
	}
	fmt.Print(md)
	logf("wrote %s, %s and %s", filepath.Join(o.out, "bench.json"), filepath.Join(o.out, "bench.md"), filepath.Join(o.out, "readme.md"))
	// Only a full run of both Worker runtimes stands for edgeauth in the
	// README: any other target or a subset of the scenarios leaves its
	// table alone.
	switch {
	case o.readme == "":
	case o.target != "worker" || o.only != "":
		logf("%s left as it is: only a full run with -target worker (no -scenarios) replaces its table", o.readme)
	default:
		path := o.readme
		if !filepath.IsAbs(path) {
			path = filepath.Join(root, path)
		}
		if err := updateReadme(path, table); err != nil {
			return err
		}
		logf("replaced the performance table of %s", path)
	}
	return nil
}

// runOne measures every selected scenario under one runtime: the servers
// start fresh, edgeauth is seeded, and each scenario alternates with the
// baseline. memory asks for the pool memory reading after 10,000 Go calls
// (the first Worker run only: it takes up to -mem-timeout).
func runOne(ctx context.Context, o options, root, rt string, memory bool) (*runReport, error) {
	selected := func(name string) bool { return o.only == "" || slices.Contains(strings.Split(o.only, ","), name) }
	need := func(what string) bool {
		if what == "peer" {
			return slices.ContainsFunc(scenarioOrder, func(n string) bool { return strings.HasPrefix(n, "peer_") && selected(n) })
		}
		return selected(what)
	}
	adminToken := randomSecret()
	rr := &runReport{Runtime: rt, Label: runtimeLabel(rt)}
	var ea, base *running
	var f *fleet
	var err error
	switch rt {
	case runtimeMiniflare, runtimeWrangler:
		if f, err = startFleet(ctx, root, rt, o, adminToken, need); err != nil {
			return nil, err
		}
		defer f.close()
		ea, base = f.ea, f.base
	case "native":
		if ea, err = startNative(adminToken, nil); err != nil {
			return nil, err
		}
		defer ea.close()
		base = startNativeBaseline()
		defer base.close()
	case "url":
		if o.url == "" || o.adminToken == "" {
			return nil, fmt.Errorf("-target url needs -url and -admin-token")
		}
		ea, adminToken = &running{url: o.url, close: func() {}}, o.adminToken
		if o.baselineURL != "" {
			base = &running{url: o.baselineURL, close: func() {}}
		}
	}
	rr.URL = ea.url
	if ea.startToFirst200 > 0 {
		rr.StartToFirst200Ms = ms(ea.startToFirst200)
		rr.FirstRequestMs = ms(ea.firstLatency)
	}

	transport := &http.Transport{MaxIdleConns: 4 * o.concurrency, MaxIdleConnsPerHost: 4 * o.concurrency, IdleConnTimeout: 90 * time.Second}
	counted := &countingTransport{next: transport}
	s := &server{base: ea.url, adminToken: adminToken, http: newHTTPClient(counted)}
	if err := s.seed(ctx); err != nil {
		return nil, fmt.Errorf("seeding: %w", err)
	}
	if st, ok, err := poolStatus(ctx, s.http, s.base, adminToken); err == nil && ok {
		rr.PoolAtStart = st
	}

	byName := map[string]scenario{}
	failed := map[string]string{}
	onEdgeauth := map[string]bool{}
	for _, sc := range edgeauthScenarios(s, counted) {
		sc.cpu, onEdgeauth[sc.name] = ea.cpu, true
		byName[sc.name] = sc
	}
	if f != nil {
		if need("api_call") {
			if r, err := f.startResource(ctx, root, s); err != nil {
				failed["api_call"] = "examples/resource-worker did not start: " + err.Error()
			} else {
				sc := apiCallScenario(s, r.url, transport)
				// edgeauth's pool counters during api_call count the
				// resource Worker's metadata and JWKS fetches.
				sc.cpu, onEdgeauth[sc.name] = r.cpu, true
				byName[sc.name] = sc
			}
		}
		if f.peer != nil {
			p := &peer{base: f.peer.url, adminToken: adminToken, http: newHTTPClient(transport)}
			err := p.seed(ctx)
			for _, sc := range peerScenarios(p, transport) {
				if err != nil {
					failed[sc.name] = "seeding the peer failed: " + err.Error()
					continue
				}
				sc.cpu = f.peer.cpu
				byName[sc.name] = sc
			}
		}
		if f.floor != nil {
			sc := d1FloorScenario(f.floor.url, transport)
			sc.cpu = f.floor.cpu
			byName[sc.name] = sc
		}
		if f.pbkdf2 != nil {
			sc := pbkdf2FloorScenario(f.pbkdf2.url, transport)
			sc.cpu = f.pbkdf2.cpu
			byName[sc.name] = sc
		}
	}

	var baseSc *scenario
	if base != nil {
		b := baselineScenario(base.url, transport)
		b.cpu = base.cpu
		baseSc = &b
		// Warm the baseline once: its first requests start its isolate.
		ops := []op{}
		for i := range o.concurrency {
			op, _ := b.newOp(ctx, i)
			ops = append(ops, op)
		}
		runSegment(ctx, ops, o.warmup, nil)
	}
	var baseSegs []segment
	for _, name := range scenarioOrder {
		if !selected(name) {
			continue
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if why, ok := failed[name]; ok {
			logf("  %s: FAILED: %s", name, why)
			rr.Scenarios = append(rr.Scenarios, result{Name: name, Failed: why})
			continue
		}
		sc, ok := byName[name]
		if !ok {
			continue // not available on this target (native, url)
		}
		logf("scenario %s (%s, %s each half, %d goroutines)", sc.name, runtimeLabel(rt), o.duration/2, o.concurrency)
		before, _, _ := poolStatus(ctx, s.http, s.base, adminToken)
		r, bs, err := measure(ctx, sc, baseSc, o.concurrency, o.duration, o.warmup)
		if err != nil {
			logf("  %s: FAILED: %v", name, err)
			rr.Scenarios = append(rr.Scenarios, result{Name: name, What: sc.what, Failed: err.Error()})
			continue
		}
		if after, ok, _ := poolStatus(ctx, s.http, s.base, adminToken); ok && before != nil && onEdgeauth[name] {
			r.GoCalls = num(after["served"]) - num(before["served"])
			r.Reused = num(after["reused"]) - num(before["reused"])
		}
		cpu := "-"
		if r.CPUMsPerOp != nil {
			cpu = fmt.Sprintf("%.2f", *r.CPUMsPerOp)
		}
		logf("  %s: %.1f ops/s p50 %.1f ms p99 %.1f ms CPU %s ms/op errors %d (baseline next to it %.1f/s)", r.Name, r.OpsPerSec, r.P50Ms, r.P99Ms, cpu, r.Errors, r.BaselineOps)
		rr.Scenarios = append(rr.Scenarios, r)
		baseSegs = append(baseSegs, bs...)
	}
	if baseSc != nil && len(baseSegs) > 0 {
		b := summarize(baseSc.name, baseSc.what, baseSegs)
		rr.Baseline = &b
	}
	judge(rr.Scenarios, targets)

	// Memory per instance after Go has served at least memRequests calls
	// (requests the pool answered without Go, worker.mjs rule 7, do not
	// count).
	switch {
	case rt == "native":
		rr.Memory = &memoryInfo{Requests: counted.n.Load(), Note: "native target: no wasm instances"}
	case memory:
		if st, ok, err := poolStatus(ctx, s.http, s.base, adminToken); err == nil && ok {
			if more := o.memRequests - num(st["served"]); more > 0 {
				logf("sending %d more GET /healthz (memory is read after %d Go calls)", more, o.memRequests)
				tctx, cancel := context.WithTimeout(ctx, o.memTimeout)
				topUp(tctx, s, counted, o.concurrency, counted.n.Load()+more)
				cancel()
			}
		}
		rr.Memory = readMemory(ctx, s, adminToken, counted.n.Load())
	}
	return rr, nil
}

// versions names the Node, wrangler, Miniflare and peer library the run
// used (from their package.json files; "" when unreadable).
func versions(ctx context.Context, root string) map[string]string {
	v := map[string]string{}
	if out, err := exec.CommandContext(ctx, "node", "--version").Output(); err == nil {
		v["node"] = strings.TrimSpace(string(out))
	}
	for name, path := range map[string]string{
		"wrangler":  filepath.Join(root, "node_modules", "wrangler", "package.json"),
		"miniflare": filepath.Join(root, "node_modules", "miniflare", "package.json"),
		"peer":      filepath.Join(root, "bench", "node_modules", "@cloudflare", "workers-oauth-provider", "package.json"),
	} {
		var p struct {
			Version string `json:"version"`
		}
		if b, err := os.ReadFile(path); err == nil && json.Unmarshal(b, &p) == nil {
			v[name] = p.Version
		}
	}
	return v
}

// gitCommit names the commit of the tree in root (its short hash, with
// "+changes" when tracked files other than README.md differ from it), or ""
// when git cannot tell.
func gitCommit(ctx context.Context, root string) string {
	out, err := exec.CommandContext(ctx, "git", "-C", root, "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return ""
	}
	commit := strings.TrimSpace(string(out))
	// The README is left out: this program rewrites its table.
	diff := exec.CommandContext(ctx, "git", "-C", root, "diff", "--quiet", "HEAD", "--", ".", ":(exclude)README.md")
	if err := diff.Run(); err != nil {
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != 1 {
			return commit // git could not compare: the hash is still right
		}
		commit += "+changes"
	}
	return commit
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func joinArgs(args []string) string {
	s := ""
	for i, a := range args {
		if i > 0 {
			s += " "
		}
		s += a
	}
	return s
}

// topUp sends GET /healthz (always served by Go) until the server has had
// want requests in all.
func topUp(ctx context.Context, s *server, counted *countingTransport, concurrency int, want int64) {
	c := newHTTPClient(counted)
	u := s.base + "/healthz"
	var wg sync.WaitGroup
	for range concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for counted.n.Load() < want && ctx.Err() == nil {
				get(ctx, c, u)
			}
		}()
	}
	wg.Wait()
}

func readMemory(ctx context.Context, s *server, adminToken string, requests int64) *memoryInfo {
	m := &memoryInfo{Requests: requests}
	st, ok, err := poolStatus(ctx, s.http, s.base, adminToken)
	switch {
	case err != nil:
		m.Note = "GET /admin/v1/pool failed: " + err.Error()
		return m
	case !ok:
		m.Note = "not exposed (GET /admin/v1/pool is 404)"
		return m
	}
	m.Exposed, m.Pool, m.GoCalls = true, st, num(st["served"])
	insts, _ := st["instances"].([]any)
	for _, it := range insts {
		inst, _ := it.(map[string]any)
		if b, ok := inst["memory_bytes"].(float64); ok {
			m.Instances = append(m.Instances, instanceMemory{ID: fmt.Sprint(inst["id"]), Served: num(inst["served"]), MemoryBytes: int64(b)})
			if int64(b) > m.MaxInstanceBytes {
				m.MaxInstanceBytes = int64(b)
			}
		}
	}
	// Instances the pool recycled or dropped (at most max_requests calls
	// each, the most any instance serves): the largest of them at its end.
	m.EndedMaxBytes = num(st["ended_max_memory_bytes"])
	m.MaxInstanceBytes = max(m.MaxInstanceBytes, m.EndedMaxBytes)
	if len(m.Instances) == 0 && m.EndedMaxBytes == 0 {
		m.Note = "the pool answered but names no instance memory_bytes"
	}
	return m
}

func num(v any) int64 {
	f, _ := v.(float64)
	return int64(f)
}
