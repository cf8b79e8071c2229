//go:build !js

// Command abbench measures edgeauth's Worker before and after the pool, in
// one run, under `wrangler dev` on this machine:
//
//	go run ./cmd/worker/pooltest/abbench [-d 5s] [-c 16] [-rounds 2] [-log-level info]
//
// It builds and starts five Workers side by side: a trivial JavaScript
// Worker (the yardstick), edgeauth under syumai/workers' generated
// worker.mjs (A, "shim") and under the pool (B, "pool"), and the pool test
// Worker both ways for a KV read, which no edgeauth route does yet. Then,
// round after round (A B A B), it loads each route for -d with -c requests
// in flight and prints req/s as a Markdown table. Run it from the
// repository root on an otherwise idle machine.
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/edgeauth/edgeauth/cmd/worker/pooltest"
	"github.com/edgeauth/edgeauth/internal/wranglertest"
)

func main() {
	d := flag.Duration("d", 5*time.Second, "load per route, variant and round")
	c := flag.Int("c", 16, "requests in flight")
	rounds := flag.Int("rounds", 2, "A B rounds")
	logLevel := flag.String("log-level", "info", "edgeauth's LOG_LEVEL var (info logs failed requests, debug every request)")
	flag.Parse()
	log.SetFlags(0)
	root, err := os.Getwd()
	if err != nil {
		log.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		log.Fatal("abbench: run it from the repository root")
	}
	tmp, err := os.MkdirTemp("", "edgeauth-abbench-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	admin := secret()

	// Builds: edgeauth and the pool test app, each under both entries.
	must(build(root, filepath.Join(tmp, "edgeauth-shim"), "./cmd/worker", true))
	must(build(root, filepath.Join(tmp, "edgeauth-pool"), "./cmd/worker", false))
	must(build(root, filepath.Join(tmp, "pooltest-shim"), "./cmd/worker/pooltest/app", true))
	must(build(root, filepath.Join(tmp, "pooltest-pool"), "./cmd/worker/pooltest/app", false))

	ctx := context.Background()
	start := func(name, config, migrations string, vars map[string]string) *wranglertest.Worker {
		w, err := wranglertest.Start(ctx, wranglertest.Options{
			Dir: root, Config: config, PersistTo: filepath.Join(tmp, "state-"+name),
			Vars: vars, ReadyPath: "/healthz", SkipMigrations: migrations == "",
		})
		if err != nil {
			must(fmt.Errorf("%s: %w", name, err))
		}
		started = append(started, w)
		return w
	}
	edgeVars := func() map[string]string {
		return map[string]string{"ADMIN_TOKEN": admin, "KEY_ENCRYPTION_KEY": secret(), "BASE_URL": "http://127.0.0.1:8787", "LOG_LEVEL": *logLevel}
	}
	mig := filepath.Join(root, "migrations")
	ptMig := filepath.Join(root, "cmd/worker/pooltest/migrations")
	trivial := start("trivial", "cmd/worker/pooltest/testdata/trivial/wrangler.toml", "", nil)
	defer trivial.Close()
	es := start("edgeauth-shim", config(tmp, "edgeauth-shim", mig), mig, edgeVars())
	defer es.Close()
	ep := start("edgeauth-pool", config(tmp, "edgeauth-pool", mig), mig, edgeVars())
	defer ep.Close()
	ps := start("pooltest-shim", config(tmp, "pooltest-shim", ptMig), ptMig, nil)
	defer ps.Close()
	pp := start("pooltest-pool", config(tmp, "pooltest-pool", ptMig), ptMig, map[string]string{"ADMIN_TOKEN": admin})
	defer pp.Close()

	client := pooltest.Client(*c)
	for _, w := range []*wranglertest.Worker{es, ep} {
		must(send(client, "POST", w.URL+"/admin/v1/tenants", admin, `{"id":"bench","name":"Bench"}`, http.StatusCreated))
	}
	for _, w := range []*wranglertest.Worker{ps, pp} {
		must(send(client, "POST", w.URL+"/kv?key=bench&value=hello", "", "", http.StatusNoContent))
	}

	type route struct{ name, path, token string }
	edgeRoutes := []route{
		{"metadata (tenant from the record cache)", "/.well-known/oauth-authorization-server/t/bench", ""},
		{"JWKS (document from the record cache)", "/t/bench/jwks.json", ""},
		{"admin GET tenant (D1 read)", "/admin/v1/tenants/bench", admin},
		{"/healthz", "/healthz", ""},
	}
	load := func(url, token string) float64 {
		res := pooltest.For(ctx, *d, *c, func(ctx context.Context, _ int) error {
			return send(client, "GET", url, token, "", http.StatusOK)
		})
		if res.Errors > 0 {
			log.Printf("  %s: %d of %d failed; first: %v", url, res.Errors, res.Requests, res.FirstErr)
		}
		return res.PerSecond()
	}
	type row struct {
		name string
		js   []float64
		shim []float64
		pool []float64
	}
	var rows []row
	for _, r := range edgeRoutes {
		rows = append(rows, row{name: r.name})
	}
	rows = append(rows, row{name: "KV read (pool test app)"})
	for round := 0; round < *rounds; round++ {
		log.Printf("round %d", round+1)
		for i, r := range edgeRoutes {
			rows[i].js = append(rows[i].js, load(trivial.URL+"/", ""))
			rows[i].shim = append(rows[i].shim, load(es.URL+r.path, r.token))
			rows[i].pool = append(rows[i].pool, load(ep.URL+r.path, r.token))
		}
		k := len(rows) - 1
		rows[k].js = append(rows[k].js, load(trivial.URL+"/", ""))
		rows[k].shim = append(rows[k].shim, load(ps.URL+"/kv?key=bench", ""))
		rows[k].pool = append(rows[k].pool, load(pp.URL+"/kv?key=bench", ""))
	}
	fmt.Printf("\n%d rounds of A (syumai's shim) then B (pool), %v each, %d in flight, LOG_LEVEL=%s; trivial JS Worker measured before each pair.\n\n", *rounds, *d, *c, *logLevel)
	fmt.Println("| route | trivial JS req/s | A: shim req/s | B: pool req/s | B/A | B/JS |")
	fmt.Println("|---|---|---|---|---|---|")
	for _, r := range rows {
		js, a, b := mean(r.js), mean(r.shim), mean(r.pool)
		fmt.Printf("| %s | %s | %s | %s | %.1fx | %.0f%% |\n", r.name, list(r.js), list(r.shim), list(r.pool), b/a, 100*b/js)
	}
}

// build writes a Worker bundle into dir: syumai's generated entry for the
// shim, cmd/worker/worker.mjs and Go's wasm_exec.js for the pool.
func build(root, dir, pkg string, shim bool) error {
	if !shim {
		return pooltest.Bundle(root, dir, pkg, "")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := run(root, nil, "go", "run", "github.com/syumai/workers/cmd/workers-assets-gen", "-mode=go", "-o", dir); err != nil {
		return err
	}
	return pooltest.BuildWasm(root, dir, pkg, "syumaishim")
}

// config writes a wrangler.toml for the prebuilt bundle in tmp/name.
func config(tmp, name, migrations string) string {
	p, err := pooltest.WranglerConfig(filepath.Join(tmp, name), name, migrations)
	must(err)
	return p
}

func run(dir string, env []string, name string, args ...string) error {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %v: %v\n%s", name, args, err, out)
	}
	return nil
}

func send(c *http.Client, method, url, token, body string, want int) error {
	req, err := http.NewRequest(method, url, bytes.NewReader([]byte(body)))
	if err != nil {
		return err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != want {
		return fmt.Errorf("%s %s = %d: %.200s", method, url, resp.StatusCode, b)
	}
	return nil
}

func secret() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func mean(xs []float64) float64 {
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

func list(xs []float64) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = fmt.Sprintf("%.0f", x)
	}
	return strings.Join(parts, ", ")
}

// started are the wrangler dev processes to stop before a fatal exit,
// which skips main's deferred Close calls.
var started []*wranglertest.Worker

func must(err error) {
	if err != nil {
		for _, w := range started {
			w.Close()
		}
		log.Fatal(err)
	}
}
