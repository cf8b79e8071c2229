//go:build !js

package pooltest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Bundle writes a pool Worker bundle into dir: cmd/worker/worker.mjs, Go's
// wasm_exec.js and app.wasm built from pkg (a path relative to the
// repository root) with the build tags given, for the test of edgeauth's
// own panics.
func Bundle(root, dir, pkg, tags string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	goroot, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		return err
	}
	for src, dst := range map[string]string{
		filepath.Join(root, "cmd/worker/worker.mjs"):                              "worker.mjs",
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
	return BuildWasm(root, dir, pkg, tags)
}

// BuildWasm builds pkg for js/wasm into dir/app.wasm.
func BuildWasm(root, dir, pkg, tags string) error {
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-tags", tags, "-o", filepath.Join(dir, "app.wasm"), pkg)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("building %s: %v\n%s", pkg, err, out)
	}
	return nil
}

// WranglerConfig writes dir/wrangler.toml for the prebuilt bundle in dir,
// with a local D1 (migrations from migrations) and KV, and returns its
// path.
func WranglerConfig(dir, name, migrations string) (string, error) {
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
