package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/edgeauth/edgeauth/jwks"
	"github.com/edgeauth/edgeauth/server"
	"github.com/edgeauth/edgeauth/storage/kv"
	"github.com/edgeauth/edgeauth/storage/sqlstore"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/admin")

// testNow is the clock of the test servers and of the CLI in tests.
var testNow = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// liveServer is the real server (server.New) on SQLite in a temporary
// directory, as `edgeauth serve` runs it.
type liveServer struct {
	url, token string
}

// startServer starts a live server whose clock stands at testNow.
func startServer(t *testing.T) *liveServer {
	t.Helper()
	store, db, err := sqlstore.OpenSQLite(filepath.Join(t.TempDir(), "edgeauth.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	sealer, err := jwks.SealerFromKEK(base64.RawURLEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32)))
	if err != nil {
		t.Fatal(err)
	}
	now := func() time.Time { return testNow }
	ts := httptest.NewUnstartedServer(nil)
	s := &liveServer{url: "http://" + ts.Listener.Addr().String(), token: strings.Repeat("t", 40)}
	srv, err := server.New(server.Config{
		BaseURL: s.url, AdminToken: s.token, Sealer: sealer, Store: store, KV: kv.NewMemory(now), Now: now,
		Rand: &lockedRand{r: rand.NewChaCha8([32]byte{1})},
	})
	if err != nil {
		t.Fatal(err)
	}
	ts.Config.Handler = srv
	ts.Start()
	t.Cleanup(ts.Close)
	return s
}

// env is the environment of a CLI that talks to s.
func (s *liveServer) env() map[string]string {
	return map[string]string{"EDGEAUTH_URL": s.url, "EDGEAUTH_ADMIN_TOKEN": s.token}
}

// lockedRand is a seeded source the server may read from several
// goroutines. Key generation reads it a varying number of times, so what
// the server makes at random differs from run to run all the same.
type lockedRand struct {
	mu sync.Mutex
	r  *rand.ChaCha8
}

func (l *lockedRand) Read(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.r.Read(p)
}

// result is what a run of the CLI printed and its exit status.
type result struct {
	stdout, stderr string
	code           int
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
}

// runCLI runs `edgeauth admin args...` as main does, with env as the
// whole environment: XDG_CONFIG_HOME is a new empty directory unless env
// sets it, so no test reads the profile file of the person running it.
func runCLI(t *testing.T, env map[string]string, stdin string, args ...string) result {
	t.Helper()
	return runCLIContext(context.Background(), t, env, stdin, args...)
}

func runCLIContext(ctx context.Context, t *testing.T, env map[string]string, stdin string, args ...string) result {
	t.Helper()
	if _, ok := env["XDG_CONFIG_HOME"]; !ok {
		env = with(env, "XDG_CONFIG_HOME", t.TempDir())
	}
	var out, errb bytes.Buffer
	s := &sys{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errb,
		getenv: func(k string) string { return env[k] }, now: func() time.Time { return testNow }}
	err := admin(ctx, args, s)
	if err != nil {
		fmt.Fprintln(&errb, "edgeauth:", err)
	}
	return result{out.String(), errb.String(), exitCode(err)}
}

// mustCLI is runCLI for a command that must succeed.
func mustCLI(t *testing.T, env map[string]string, stdin string, args ...string) result {
	t.Helper()
	r := runCLI(t, env, stdin, args...)
	if r.code != 0 {
		t.Fatalf("edgeauth admin %s: %v", strings.Join(args, " "), r)
	}
	return r
}

// with is env with k set to v (env itself is left as it is).
func with(env map[string]string, kv ...string) map[string]string {
	out := map[string]string{}
	for k, v := range env {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

// jsonOf decodes the JSON a command printed with -o json.
func jsonOf[T any](t *testing.T, r result) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(r.stdout), &v); err != nil {
		t.Fatalf("-o json printed what is not JSON (%v):\n%s", err, r.stdout)
	}
	return v
}

// golden compares got with testdata/admin/name.golden, or writes it
// there with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "admin", name+".golden")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./cmd/edgeauth -run %s -update to write it)", err, t.Name())
	}
	if got != string(want) {
		t.Errorf("%s differs from %s (go test ./cmd/edgeauth -run %s -update rewrites it):\n--- got\n%s--- want\n%s", name, path, t.Name(), got, want)
	}
}
