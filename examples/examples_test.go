// Package examples_test builds each example the way a user who copies it
// out of the repository would: in a folder of its own, as a module of its
// own that requires edgeauth. Go refuses an import of edgeauth's internal
// packages from outside edgeauth's module, so an example that needs one
// fails here, although it builds inside the repository.
package examples_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

const edgeauth = "github.com/edgeauth/edgeauth"

func TestExamplesBuildOutsideTheRepository(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	gomod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	for _, ex := range []struct {
		name string
		env  []string // GOOS and GOARCH, if not the host's
	}{
		{"resource-worker", []string{"GOOS=js", "GOARCH=wasm"}},
		{"login-client", nil},
	} {
		t.Run(ex.name, func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join(t.TempDir(), ex.name)
			if err := os.CopyFS(dir, os.DirFS(ex.name)); err != nil {
				t.Fatal(err)
			}
			writeModule(t, dir, "example.com/"+ex.name, string(gomod), root)
			// vet type-checks the example's tests too.
			for _, args := range [][]string{{"build", "-o", os.DevNull, "."}, {"vet", "."}} {
				cmd := exec.Command("go", args...)
				cmd.Dir = dir
				// -mod=readonly: a requirement the module lacks is an
				// error, not an edit of go.mod.
				cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=readonly")
				cmd.Env = append(cmd.Env, ex.env...)
				if out, err := cmd.CombinedOutput(); err != nil {
					t.Errorf("%s in a copy of examples/%s: %v\n%s", strings.Join(slices.Concat(ex.env, cmd.Args), " "), ex.name, err, out)
				}
			}
		})
	}
}

// moduleLine is the module directive of a go.mod file.
var moduleLine = regexp.MustCompile(`(?m)^module .*$`)

// writeModule makes dir the root of the module path: its go.mod is
// edgeauth's own under another module path (the same go version and
// requirements, so that the repository's go.sum covers it and nothing is
// looked up), requiring edgeauth itself, replaced by the folder root.
func writeModule(t *testing.T, dir, path, gomod, root string) {
	t.Helper()
	if !moduleLine.MatchString(gomod) {
		t.Fatalf("edgeauth's go.mod has no module line:\n%s", gomod)
	}
	gomod = moduleLine.ReplaceAllLiteralString(gomod, "module "+path) +
		"\nrequire " + edgeauth + " v0.0.0-00010101000000-000000000000\n" +
		"\nreplace " + edgeauth + " => " + root + "\n"
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte(gomod), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "go.sum"), sum, 0o644); err != nil {
		t.Fatal(err)
	}
}
