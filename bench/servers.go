//go:build !js

package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/edgeauth/edgeauth/internal/wranglertest"
)

// The two ways the bench serves a Worker: through Miniflare's API
// (bench/miniflare.mjs, no inspector proxy: the proxy-free run) and
// through stock `wrangler dev` (the stock run). Both run the same workerd.
const (
	runtimeMiniflare = "miniflare"
	runtimeWrangler  = "wrangler"
)

// runtimeLabel names a runtime in reports.
func runtimeLabel(rt string) string {
	switch rt {
	case runtimeMiniflare:
		return "proxy-free (Miniflare API)"
	case runtimeWrangler:
		return "stock wrangler dev"
	}
	return rt
}

// process is a started Node process (wrangler dev or bench/miniflare.mjs)
// in its own process group.
type process struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser // nil for wrangler dev
	out   *wranglertest.Buffer
	done  chan struct{}
}

func startProcess(dir string, env []string, withStdin bool, name string, args ...string) (*process, io.Reader, error) {
	p := &process{out: &wranglertest.Buffer{}, done: make(chan struct{})}
	// Not CommandContext: the server must outlive the context of its start.
	p.cmd = exec.Command(name, args...)
	p.cmd.Dir = dir
	p.cmd.Env = append(os.Environ(), "CI=true", "CLOUDFLARE_CF_FETCH_ENABLED=false", "WRANGLER_SEND_METRICS=false", "NO_COLOR=1")
	p.cmd.Env = append(p.cmd.Env, env...)
	p.cmd.Stderr = p.out
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var stdout io.Reader
	if withStdin {
		var err error
		if p.stdin, err = p.cmd.StdinPipe(); err != nil {
			return nil, nil, err
		}
		if stdout, err = p.cmd.StdoutPipe(); err != nil {
			return nil, nil, err
		}
	} else {
		p.cmd.Stdout = p.out
	}
	if err := p.cmd.Start(); err != nil {
		return nil, nil, fmt.Errorf("start %s: %w", name, err)
	}
	go func() {
		p.cmd.Wait()
		close(p.done)
	}()
	return p, stdout, nil
}

// stop closes stdin (bench/miniflare.mjs then disposes of Miniflare and
// exits) or sends SIGTERM to the group (wrangler dev), waits up to 5 s, and
// then kills what is left of the process group.
func (p *process) stop() {
	pgid := p.cmd.Process.Pid
	if p.stdin != nil {
		p.stdin.Close()
	} else {
		syscall.Kill(-pgid, syscall.SIGTERM)
	}
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		syscall.Kill(-pgid, syscall.SIGKILL)
		<-p.done
	}
	syscall.Kill(-pgid, syscall.SIGKILL) // children that outlived their parent
}

// mfConfig is bench/miniflare.mjs's CONFIG.json (documented there).
type mfConfig struct {
	Name              string            `json:"name"`
	ModulesRoot       string            `json:"modulesRoot"`
	Modules           []mfModule        `json:"modules"`
	CompatibilityDate string            `json:"compatibilityDate"`
	Vars              map[string]string `json:"vars,omitempty"`
	BaseURLVar        string            `json:"baseURLVar,omitempty"`
	D1                map[string]string `json:"d1,omitempty"`
	KV                []string          `json:"kv,omitempty"`
	RateLimits        map[string]mfRate `json:"ratelimits,omitempty"`
	Services          map[string]string `json:"services,omitempty"`
	Persist           string            `json:"persist,omitempty"`
}

type mfModule struct {
	Type string `json:"type"`
	Path string `json:"path"`
}

type mfRate struct {
	Limit  int `json:"limit"`
	Period int `json:"period"`
}

// startMiniflare serves cfg through bench/miniflare.mjs with its D1 and
// KV state in a new temporary folder, and waits for its URL. Then, if
// readyPath is set, it polls readyPath until it answers and times one
// GET of firstPath, as startWrangler does.
func startMiniflare(ctx context.Context, root string, cfg mfConfig, readyPath, firstPath string) (*running, error) {
	tmp, err := os.MkdirTemp("", "edgeauth-bench-mf-")
	if err != nil {
		return nil, err
	}
	cfg.Persist = filepath.Join(tmp, "state")
	raw, err := json.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	path := filepath.Join(tmp, "config.json")
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		return nil, err
	}
	t0 := time.Now()
	p, stdout, err := startProcess(root, nil, true, "node", filepath.Join(root, "bench", "miniflare.mjs"), path)
	if err != nil {
		os.RemoveAll(tmp)
		return nil, err
	}
	closeAll := func() { p.stop(); os.RemoveAll(tmp) }
	type ready struct {
		URL string `json:"url"`
		PID int    `json:"pid"`
	}
	got := make(chan ready, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			var r ready
			if json.Unmarshal(sc.Bytes(), &r) == nil && r.URL != "" {
				got <- r
				break
			}
		}
		io.Copy(io.Discard, stdout)
	}()
	var r ready
	select {
	case r = <-got:
	case <-p.done:
		closeAll()
		return nil, fmt.Errorf("miniflare.mjs (%s) exited before it was ready:\n%s", cfg.Name, p.out)
	case <-time.After(wranglertest.DefaultReadyTimeout):
		closeAll()
		return nil, fmt.Errorf("miniflare.mjs (%s) not ready after %s:\n%s", cfg.Name, wranglertest.DefaultReadyTimeout, p.out)
	case <-ctx.Done():
		closeAll()
		return nil, ctx.Err()
	}
	run := &running{url: r.URL, close: closeAll, output: p.out.String, cpu: treeCPU(p.cmd.Process.Pid), runtime: runtimeMiniflare}
	if err := run.first(ctx, p, t0, readyPath, firstPath); err != nil {
		closeAll()
		return nil, err
	}
	return run, nil
}

// first waits until readyPath answers anything and then times one GET of
// firstPath, which must be a 200 (the first request after start: for
// edgeauth, the start of the first Go instance). Nothing if readyPath is
// "".
func (r *running) first(ctx context.Context, p *process, t0 time.Time, readyPath, firstPath string) error {
	if readyPath == "" {
		return nil
	}
	c := &http.Client{Timeout: 10 * time.Second}
	deadline := time.Now().Add(wranglertest.DefaultReadyTimeout)
	for {
		req, err := http.NewRequestWithContext(ctx, "GET", r.url+readyPath, nil)
		if err != nil {
			return err
		}
		resp, err := c.Do(req)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			break
		}
		select {
		case <-p.done:
			return fmt.Errorf("%s exited early:\n%s", r.url, p.out)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s%s not answering after %s:\n%s", r.url, readyPath, wranglertest.DefaultReadyTimeout, p.out)
		}
	}
	if firstPath == "" {
		return nil
	}
	t := time.Now()
	resp, err := (&http.Client{Timeout: 60 * time.Second}).Get(r.url + firstPath)
	if err != nil {
		return fmt.Errorf("first request: %w", err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("first request %s%s = %d, want 200:\n%s", r.url, firstPath, resp.StatusCode, p.out)
	}
	r.startToFirst200, r.firstLatency = time.Since(t0), time.Since(t)
	return nil
}

// startWrangler runs stock `wrangler dev` on w.Config from w.Dir (the D1
// migrations first unless w.SkipMigrations), with the inspector wrangler
// always starts, and waits as startMiniflare does, for w.ReadyPath and then
// firstPath. w.Env is added to wrangler's environment, w.Vars given as
// --var; a free port and a temporary state folder are its own.
func startWrangler(ctx context.Context, w wranglertest.Options, firstPath string) (*running, error) {
	root, config, skipMigrations, vars, env, readyPath := w.Dir, w.Config, w.SkipMigrations, w.Vars, w.Env, w.ReadyPath
	persist, err := os.MkdirTemp("", "edgeauth-bench-")
	if err != nil {
		return nil, err
	}
	port, err := wranglertest.FreePort()
	if err != nil {
		return nil, err
	}
	inspector, err := wranglertest.FreePort()
	if err != nil {
		return nil, err
	}
	url := "http://127.0.0.1:" + strconv.Itoa(port)
	if vars != nil && vars["BASE_URL"] == "" {
		vars["BASE_URL"] = url
	}
	if !skipMigrations {
		if err := applyMigrations(ctx, root, config, persist); err != nil {
			os.RemoveAll(persist)
			return nil, err
		}
	}
	args := []string{"dev", "-c", config, "--ip", "127.0.0.1", "--port", strconv.Itoa(port),
		"--inspector-ip", "127.0.0.1", "--inspector-port", strconv.Itoa(inspector),
		"--persist-to", persist, "--show-interactive-dev-session=false"}
	for k, v := range vars {
		args = append(args, "--var", k+":"+v)
	}
	t0 := time.Now()
	p, _, err := startProcess(root, env, false, filepath.Join(root, "node_modules", ".bin", "wrangler"), args...)
	if err != nil {
		os.RemoveAll(persist)
		return nil, err
	}
	closeAll := func() { p.stop(); os.RemoveAll(persist) }
	r := &running{url: url, close: closeAll, output: p.out.String, cpu: treeCPU(p.cmd.Process.Pid), runtime: runtimeWrangler}
	if readyPath == "" {
		readyPath = "/"
	}
	if err := r.first(ctx, p, t0, readyPath, firstPath); err != nil {
		closeAll()
		return nil, err
	}
	return r, nil
}

// workerConfig is what the bench reads of a wrangler.toml to serve the
// same Worker through Miniflare: its compatibility date and the names of
// its rate-limit bindings.
type workerConfig struct {
	compatibilityDate string
	rateLimits        []string
}

var (
	compatRE    = regexp.MustCompile(`(?m)^compatibility_date\s*=\s*"([^"]+)"`)
	rateLimitRE = regexp.MustCompile(`(?m)^\[\[ratelimits\]\]\s*\nname\s*=\s*"([^"]+)"`)
)

// parseWorkerConfig reads the fields of workerConfig from a wrangler.toml:
// `compatibility_date = "..."` at the start of a line, and each
// `[[ratelimits]]` table whose first line is `name = "..."` (the layout
// of the project's wrangler.toml).
func parseWorkerConfig(toml string) (workerConfig, error) {
	m := compatRE.FindStringSubmatch(toml)
	if m == nil {
		return workerConfig{}, errors.New("wrangler.toml: no compatibility_date")
	}
	c := workerConfig{compatibilityDate: m[1]}
	for _, m := range rateLimitRE.FindAllStringSubmatch(toml, -1) {
		c.rateLimits = append(c.rateLimits, m[1])
	}
	if n := strings.Count(toml, "[[ratelimits]]"); n != len(c.rateLimits) {
		return workerConfig{}, fmt.Errorf("wrangler.toml: %d [[ratelimits]] tables, %d with a name on their first line", n, len(c.rateLimits))
	}
	return c, nil
}

// copyWorker copies the files of a built Worker folder (build/worker,
// build/resource-worker) into dir, so that a build elsewhere during the
// bench does not change what is measured, and returns its modules for
// Miniflare: worker.mjs (the entry), wasm_exec.js, app.wasm.
func copyWorker(src, dir string) ([]mfModule, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var mods []mfModule
	for _, m := range []mfModule{{"ESModule", "worker.mjs"}, {"ESModule", "wasm_exec.js"}, {"CompiledWasm", "app.wasm"}} {
		b, err := os.ReadFile(filepath.Join(src, m.Path))
		if err != nil {
			return nil, err
		}
		if err := os.WriteFile(filepath.Join(dir, m.Path), b, 0o644); err != nil {
			return nil, err
		}
		mods = append(mods, mfModule{m.Type, filepath.Join(dir, m.Path)})
	}
	return mods, nil
}
