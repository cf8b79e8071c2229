//go:build !js

package wranglertest_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestWatchDirs: `wrangler dev` (make dev) rebuilds a Worker when a file
// under one of its config's build.watch_dir folders changes, so those
// folders must hold every package of the module the Worker is built from;
// a folder left out means an edit there is served stale until a restart.
// The config's own folder cannot be watched (wrangler writes .wrangler/tmp
// there), and is the one exception.
func TestWatchDirs(t *testing.T) {
	const mod = "github.com/edgeauth/edgeauth/"
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	quoted := regexp.MustCompile(`"([^"]+)"`)
	for _, c := range []struct{ config, main string }{
		{"wrangler.toml", "./cmd/worker"},
		{"examples/resource-worker/wrangler.toml", "./examples/resource-worker"},
	} {
		toml, err := os.ReadFile(filepath.Join(root, c.config))
		if err != nil {
			t.Fatal(err)
		}
		line := regexp.MustCompile(`(?ms)^watch_dir = \[(.*?)\]`).FindSubmatch(toml)
		if line == nil {
			t.Errorf("%s: no watch_dir = [...] line", c.config)
			continue
		}
		dir := filepath.Dir(filepath.Join(root, c.config))
		var watched []string
		for _, m := range quoted.FindAllSubmatch(line[1], -1) {
			watched = append(watched, filepath.Join(dir, string(m[1]))+string(filepath.Separator))
		}
		cmd := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}} {{.Dir}}", c.main)
		cmd.Dir, cmd.Env = root, append(os.Environ(), "GOOS=js", "GOARCH=wasm")
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("go list -deps %s: %v", c.main, err)
		}
		for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			path, pkgDir, _ := strings.Cut(l, " ")
			if !strings.HasPrefix(path, mod) || pkgDir == dir {
				continue
			}
			covered := false
			for _, w := range watched {
				covered = covered || strings.HasPrefix(pkgDir+string(filepath.Separator), w)
			}
			if !covered {
				rel, _ := filepath.Rel(root, pkgDir)
				t.Errorf("%s: the Worker is built from %s, which no watch_dir folder holds", c.config, rel)
			}
		}
	}
}
