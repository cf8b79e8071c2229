//go:build !js

package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/edgeauth/edgeauth/internal/safehttp"
	"github.com/edgeauth/edgeauth/jwks"
	"github.com/edgeauth/edgeauth/ratelimit"
	edgeauth "github.com/edgeauth/edgeauth/server"
	"github.com/edgeauth/edgeauth/storage/kv"
	"github.com/edgeauth/edgeauth/storage/sqlstore"
	"github.com/edgeauth/edgeauth/storage/storagecount"
)

// running is a started server.
type running struct {
	url   string
	close func()
	// startToFirst200 is the time from starting the process to the first
	// 200 of GET /healthz; firstLatency is how long that request took.
	startToFirst200, firstLatency time.Duration
	output                        func() string
	// cpu reads the CPU time used so far by every process serving the
	// Worker (nil: not measured, as for the native and url targets).
	cpu     func() (time.Duration, error)
	runtime string // runtimeMiniflare, runtimeWrangler or ""
}

// edgeauthConfig copies the built Worker (build/worker) into dir and
// writes there a copy of root/wrangler.toml without its [build] section
// and with its rate limits raised
// (make bench has built the Worker already, so the start is not a Go
// build), whose main is the copy and whose other paths are absolute. The
// copy keeps a `make build-worker` run elsewhere during the bench from
// making wrangler dev reload the Worker mid-measurement.
func edgeauthConfig(root, dir string) (string, error) {
	raw, err := os.ReadFile(filepath.Join(root, "wrangler.toml"))
	if err != nil {
		return "", err
	}
	built := filepath.Join(root, "build", "worker")
	files, err := os.ReadDir(built)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Join(dir, "build", "worker"), 0o755); err != nil {
		return "", err
	}
	for _, f := range files {
		if f.IsDir() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(built, f.Name()))
		if err != nil {
			return "", err
		}
		if err := os.WriteFile(filepath.Join(dir, "build", "worker", f.Name()), b, 0o644); err != nil {
			return "", err
		}
	}
	var out strings.Builder
	skip := false
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for sc.Scan() {
		line := sc.Text()
		t := strings.TrimSpace(line)
		if strings.HasPrefix(t, "[") {
			skip = t == "[build]"
		}
		if skip {
			continue
		}
		// The bench signs in from one address into one tenant many times a
		// second: its copy raises the rate limits out of the way. The
		// limiter is still called on every request, so its cost is measured.
		if strings.HasPrefix(t, "simple = { limit =") {
			line = "simple = { limit = 1000000, period = 60 }"
		}
		for _, key := range []string{"main", "migrations_dir"} {
			if k, v, ok := strings.Cut(t, "="); ok && strings.TrimSpace(k) == key {
				p, err := strconv.Unquote(strings.TrimSpace(v))
				if err != nil {
					return "", fmt.Errorf("wrangler.toml: %s: %w", key, err)
				}
				base := root
				if key == "main" {
					base = dir
				}
				line = key + " = " + strconv.Quote(filepath.Join(base, p))
			}
		}
		out.WriteString(line + "\n")
	}
	path := filepath.Join(dir, "wrangler.toml")
	return path, os.WriteFile(path, []byte(out.String()), 0o644)
}

func applyMigrations(ctx context.Context, root, config, persist string) error {
	return runWrangler(ctx, root, "d1", "migrations", "apply", "DB", "--local", "--persist-to", persist, "-c", config)
}

// startNative runs edgeauth in this process on SQLite and in-memory KV,
// with counting wrappers (c) around both, behind a real HTTP listener.
func startNative(adminToken string, c *storagecount.Counter) (*running, error) {
	dir, err := os.MkdirTemp("", "edgeauth-bench-native-")
	if err != nil {
		return nil, err
	}
	store, db, err := sqlstore.OpenSQLite(filepath.Join(dir, "bench.db"))
	if err != nil {
		return nil, err
	}
	sealer, err := jwks.SealerFromKEK(randomSecret())
	if err != nil {
		return nil, err
	}
	ts := httptest.NewUnstartedServer(nil)
	url := "http://" + ts.Listener.Addr().String()
	t0 := time.Now()
	srv, err := edgeauth.New(edgeauth.Config{
		BaseURL: url, AdminToken: adminToken, Sealer: sealer,
		Store: storagecount.NewStore(store, c), KV: storagecount.NewKV(kv.NewMemory(time.Now), c),
		MetadataTransport: safehttp.NewTransport(true, 5*time.Second),
		// No rate limits, as in the bench's copy of wrangler.toml: the
		// bench signs in from one address many times a second.
		Limiter: ratelimit.NewMemoryLimiter(map[ratelimit.Rule]ratelimit.Rate{}, nil),
	})
	if err != nil {
		return nil, err
	}
	ts.Config.Handler = srv
	ts.Start()
	r := &running{url: url, close: func() { ts.Close(); db.Close(); os.RemoveAll(dir) }, output: func() string { return "" }}
	t := time.Now()
	if err := get(context.Background(), http.DefaultClient, url+"/healthz"); err != nil {
		r.close()
		return nil, err
	}
	r.startToFirst200, r.firstLatency = time.Since(t0), time.Since(t)
	return r, nil
}

// startNativeBaseline is the native counterpart of the baseline Worker.
func startNativeBaseline() *running {
	body := []byte(`{"ok":true,"issuer":"http://127.0.0.1/t/baseline"}` + "\n")
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		w.Write(body)
	}))
	return &running{url: ts.URL, close: ts.Close, output: func() string { return "" }}
}

// wasmSize returns the raw and gzip -9 sizes of the Worker's wasm.
func wasmSize(path string) (raw, gz int64, modTime time.Time, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, time.Time{}, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return 0, 0, time.Time{}, err
	}
	var n countWriter
	zw, _ := gzip.NewWriterLevel(&n, gzip.BestCompression)
	if _, err := io.Copy(zw, f); err != nil {
		return 0, 0, time.Time{}, err
	}
	zw.Close()
	return st.Size(), int64(n), st.ModTime(), nil
}

type countWriter int64

func (c *countWriter) Write(p []byte) (int, error) { *c += countWriter(len(p)); return len(p), nil }

// poolStatus asks the Worker's pool for its counters (GET /admin/v1/pool).
// exposed is false when the endpoint does not exist.
func poolStatus(ctx context.Context, c *http.Client, base, adminToken string) (status map[string]any, exposed bool, err error) {
	req, err := http.NewRequestWithContext(ctx, "GET", base+"/admin/v1/pool", nil)
	if err != nil {
		return nil, false, err
	}
	req.Header.Set("Authorization", "Bearer "+adminToken)
	resp, err := c.Do(req)
	if err != nil {
		return nil, false, err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode == http.StatusNotFound {
		return nil, false, nil
	}
	if resp.StatusCode != http.StatusOK {
		return nil, false, fmt.Errorf("GET /admin/v1/pool: %d %s", resp.StatusCode, body)
	}
	if err := json.Unmarshal(body, &status); err != nil {
		return nil, false, fmt.Errorf("GET /admin/v1/pool: %w", err)
	}
	return status, true, nil
}

// runWrangler runs node_modules/.bin/wrangler with args non-interactively
// and offline, as wranglertest does.
func runWrangler(ctx context.Context, root string, args ...string) error {
	cmd := exec.CommandContext(ctx, filepath.Join(root, "node_modules", ".bin", "wrangler"), args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CI=true", "CLOUDFLARE_CF_FETCH_ENABLED=false", "WRANGLER_SEND_METRICS=false", "NO_COLOR=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("wrangler %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	return nil
}
