//go:build !js

package cfworker_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// buildEdgeauth builds edgeauth's own Worker (cmd/worker) with the panic
// hook of -tags pooltestpanic (cmd/worker/panichook.go: reading the tenant
// "pooltest-panic" panics) into a temporary folder, next to worker.mjs and
// Go's wasm_exec.js, and returns the path of a wrangler config for it.
func buildEdgeauth(t *testing.T) string {
	t.Helper()
	root, dir := repoRoot(t), t.TempDir()
	if err := bundle(root, dir, "./cmd/worker", "pooltestpanic"); err != nil {
		t.Fatal(err)
	}
	config, err := wranglerConfig(dir, "edgeauth-pooltest-panic", filepath.Join(root, "migrations"))
	if err != nil {
		t.Fatal(err)
	}
	return config
}

// bundle writes a pool Worker bundle into dir: cfworker/worker.mjs, Go's
// wasm_exec.js and app.wasm built from pkg (a path relative to the
// repository root) with the build tags given.
func bundle(root, dir, pkg, tags string) error {
	goroot, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		return err
	}
	for src, dst := range map[string]string{
		filepath.Join(root, "cfworker/worker.mjs"):                                "worker.mjs",
		filepath.Join(strings.TrimSpace(string(goroot)), "lib/wasm/wasm_exec.js"): "wasm_exec.js",
	} {
		b, err := os.ReadFile(src)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, dst), b, 0o644); err != nil {
			return err
		}
	}
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-tags", tags, "-o", filepath.Join(dir, "app.wasm"), pkg)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("building %s: %v\n%s", pkg, err, out)
	}
	return nil
}

// wranglerConfig writes dir/wrangler.toml for the prebuilt bundle in dir,
// with a local D1 (migrations from migrations) and KV, and returns its
// path.
func wranglerConfig(dir, name, migrations string) (string, error) {
	p := filepath.Join(dir, "wrangler.toml")
	body := fmt.Sprintf(`name = %q
main = "worker.mjs"
compatibility_date = "2026-04-01"

[[d1_databases]]
binding = "DB"
database_name = "edgeauth"
database_id = "00000000-0000-0000-0000-000000000000"
migrations_dir = %q

[[kv_namespaces]]
binding = "KV"
id = "00000000000000000000000000000000"
`, name, migrations)
	return p, os.WriteFile(p, []byte(body), 0o644)
}

// TestEdgeauthPanic: a panic in one of authz's handlers, in edgeauth's own
// Worker, answers one clean JSON 500 and drops the instance (worker.mjs,
// rule 5), whose state the panic may have left half-updated: authz
// recovers its handlers' panics, and passes them on to cfworker.Serve only
// because cmd/worker sets server.Config.PropagatePanics.
func TestEdgeauthPanic(t *testing.T) {
	needWorkerd(t)
	kek := make([]byte, 32)
	for i := range kek {
		kek[i] = byte(i) // a throwaway test key: wrangler prints vars
	}
	w := startConfig(t, buildEdgeauth(t), map[string]string{
		"BASE_URL": "http://127.0.0.1:8787", "KEY_ENCRYPTION_KEY": base64.StdEncoding.EncodeToString(kek), "POOL_MAX_INSTANCES": "2",
	})
	ctx := context.Background()
	before := w.status(t)
	// Discovery, the JWKS (JSON endpoints) and the authorization page (an
	// HTML endpoint, whose error page Serve's JSON 500 replaces).
	paths := []string{"/t/pooltest-panic/.well-known/openid-configuration", "/t/pooltest-panic/jwks.json", "/t/pooltest-panic/authorize?client_id=x"}
	for _, path := range paths {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, w.URL+path, nil)
		resp, err := w.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var e struct{ Error string }
		if resp.StatusCode != http.StatusInternalServerError || resp.Header.Get("Content-Type") != "application/json" ||
			json.Unmarshal(body, &e) != nil || e.Error != "server_error" || strings.Contains(string(body), "panic") {
			t.Errorf("GET %s = %d %q %q; want one JSON 500 server_error, without the panic's text", path, resp.StatusCode, resp.Header.Get("Content-Type"), body)
		}
	}
	after := w.status(t)
	if got := after.DropReasons["panic"] - before.DropReasons["panic"]; got != len(paths) {
		t.Errorf("instances dropped for a panic = %d; want %d (one per panic): %+v", got, len(paths), after)
	}
	// The Worker goes on serving, on new instances.
	if code, err := w.get(ctx, "/healthz", nil, nil); code != http.StatusOK {
		t.Errorf("GET /healthz after the panics = %d, %v; want 200", code, err)
	}
	if code, _ := w.get(ctx, "/t/acme/jwks.json", nil, nil); code != http.StatusNotFound {
		t.Errorf("GET /t/acme/jwks.json (no such tenant) = %d; want 404", code)
	}
	if got := w.status(t).DropReasons["panic"] - after.DropReasons["panic"]; got != 0 {
		t.Errorf("%d more instances dropped for a panic; want none", got)
	}
}
