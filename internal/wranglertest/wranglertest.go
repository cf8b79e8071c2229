//go:build !js

package wranglertest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// DefaultReadyTimeout bounds how long Start waits for the Worker to answer.
// The build inside `wrangler dev` compiles Go to wasm, which takes 30-50 s on
// an empty Go build cache.
const DefaultReadyTimeout = 180 * time.Second

// Options configure Start.
type Options struct {
	// Dir is the project root: wrangler runs from there and is found at
	// Dir/node_modules/.bin/wrangler. Required.
	Dir string
	// Config is the path to the wrangler.toml, absolute or relative to Dir.
	// Required. With ExtraConfigs it is the primary Worker: the one that
	// serves the port.
	Config string
	// ExtraConfigs are more wrangler.toml files (absolute or relative to
	// Dir) run in the same `wrangler dev` after Config (-c each), so that
	// service bindings between the Workers resolve. Vars and Port apply to
	// the primary Worker only (wrangler 4 gives --var to the first config
	// alone); put the others' values in their own config.
	ExtraConfigs []string
	// MigrateConfig is the config whose D1 binding DB gets the migrations;
	// Config if empty.
	MigrateConfig string
	// PersistTo is the folder for local D1/KV state, absolute or relative to
	// Dir. Required: give each test run its own folder (t.TempDir()).
	PersistTo string
	// Env holds extra "KEY=value" entries added to wrangler's environment.
	Env []string
	// Vars are passed to `wrangler dev` as --var key:value. wrangler prints
	// their values in its bindings table, so they end up in Output (and in
	// failure messages): use throwaway test values only.
	Vars map[string]string
	// ReadyPath is the path Start polls until any HTTP response comes back;
	// "/" if empty.
	ReadyPath string
	// ReadyTimeout bounds the wait for the Worker; DefaultReadyTimeout if 0.
	ReadyTimeout time.Duration
	// Port is the port to listen on; a free one if 0. Give it when the
	// Worker must know its own URL (a BASE_URL var, say).
	Port int
	// SkipMigrations skips `wrangler d1 migrations apply` (for configs
	// without a D1 binding named DB).
	SkipMigrations bool
}

// Worker is a running `wrangler dev`.
type Worker struct {
	// URL is the Worker's base URL, e.g. "http://127.0.0.1:41234", without
	// a trailing slash.
	URL string

	cmd  *exec.Cmd
	out  *Buffer
	done chan struct{} // closed when the process has exited
	err  error         // Wait's result, valid after done is closed

	closeOnce sync.Once
}

// Start applies the D1 migrations to opts.PersistTo, starts `wrangler dev`
// and waits until an HTTP GET of opts.ReadyPath gets any response. On error
// the returned error includes wrangler's output. ctx bounds the start only;
// the Worker runs until Close.
func Start(ctx context.Context, opts Options) (*Worker, error) {
	if opts.Dir == "" || opts.Config == "" || opts.PersistTo == "" {
		return nil, errors.New("wranglertest: Dir, Config and PersistTo are required")
	}
	bin := filepath.Join(opts.Dir, "node_modules", ".bin", "wrangler")
	if _, err := os.Stat(bin); err != nil {
		return nil, fmt.Errorf("wranglertest: wrangler not installed (run npm ci in %s): %w", opts.Dir, err)
	}
	env := append(os.Environ(),
		"CI=true",
		"CLOUDFLARE_CF_FETCH_ENABLED=false",
		"WRANGLER_SEND_METRICS=false",
		"NO_COLOR=1",
	)
	env = append(env, opts.Env...)

	if !opts.SkipMigrations {
		migrate := opts.MigrateConfig
		if migrate == "" {
			migrate = opts.Config
		}
		cmd := exec.CommandContext(ctx, bin, "d1", "migrations", "apply", "DB", "--local",
			"--persist-to", opts.PersistTo, "-c", migrate)
		cmd.Dir = opts.Dir
		cmd.Env = env
		cmd.Stdin = nil // /dev/null: never prompt
		out, err := cmd.CombinedOutput()
		if err != nil {
			return nil, fmt.Errorf("wranglertest: wrangler d1 migrations apply: %w\n%s", err, out)
		}
	}

	port := opts.Port
	if port == 0 {
		var err error
		if port, err = FreePort(); err != nil {
			return nil, err
		}
	}
	inspector, err := FreePort()
	if err != nil {
		return nil, err
	}
	args := []string{"dev", "-c", opts.Config}
	for _, c := range opts.ExtraConfigs {
		args = append(args, "-c", c)
	}
	args = append(args,
		"--ip", "127.0.0.1", "--port", strconv.Itoa(port),
		"--inspector-ip", "127.0.0.1", "--inspector-port", strconv.Itoa(inspector),
		"--persist-to", opts.PersistTo,
		"--show-interactive-dev-session=false",
	)
	for k, v := range opts.Vars {
		args = append(args, "--var", k+":"+v)
	}
	w := &Worker{
		URL:  "http://127.0.0.1:" + strconv.Itoa(port),
		out:  &Buffer{},
		done: make(chan struct{}),
	}
	// Not CommandContext: the Worker must outlive ctx, which bounds Start only.
	w.cmd = exec.Command(bin, args...)
	w.cmd.Dir = opts.Dir
	w.cmd.Env = env
	w.cmd.Stdin = nil
	w.cmd.Stdout = w.out
	w.cmd.Stderr = w.out
	w.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := w.cmd.Start(); err != nil {
		return nil, fmt.Errorf("wranglertest: start wrangler dev: %w", err)
	}
	go func() {
		w.err = w.cmd.Wait()
		close(w.done)
	}()

	timeout := opts.ReadyTimeout
	if timeout == 0 {
		timeout = DefaultReadyTimeout
	}
	path := opts.ReadyPath
	if path == "" {
		path = "/"
	}
	if err := w.waitReady(ctx, path, timeout); err != nil {
		w.Close()
		return nil, fmt.Errorf("%w\nwrangler output:\n%s", err, w.Output())
	}
	return w, nil
}

func (w *Worker) waitReady(ctx context.Context, path string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	client := &http.Client{Timeout: 10 * time.Second}
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, w.URL+path, nil)
		if err != nil {
			return fmt.Errorf("wranglertest: %w", err)
		}
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wranglertest: worker not ready at %s%s: %w", w.URL, path, ctx.Err())
		case <-w.done:
			return fmt.Errorf("wranglertest: wrangler dev exited early: %v", w.err)
		case <-tick.C:
		}
	}
}

// Output returns everything wrangler has printed so far.
func (w *Worker) Output() string { return w.out.String() }

// Close stops wrangler and every process it started (workerd, the build)
// by killing the process group, and waits for it to exit. It is safe to
// call more than once.
func (w *Worker) Close() error {
	w.closeOnce.Do(func() {
		pgid := w.cmd.Process.Pid
		_ = syscall.Kill(-pgid, syscall.SIGTERM)
		select {
		case <-w.done:
		case <-time.After(5 * time.Second):
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
			<-w.done
		}
		// Children that ignored SIGTERM while the leader exited.
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
	})
	return nil
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("wranglertest: find free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Buffer is a bytes.Buffer safe for concurrent writers and readers: the
// output of a process, a logger's sink. Its zero value is ready.
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write appends p.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns everything written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// RepoRoot is the nearest folder up from the working directory that holds
// go.mod: where wrangler and the configs are found.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("wranglertest: no go.mod above the working directory")
		}
		dir = parent
	}
}
