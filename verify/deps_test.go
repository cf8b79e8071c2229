package verify_test

import (
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// TestDependencies keeps verify light enough to import from any Go service
// or Worker: the standard library and go-jose only, natively and on
// js/wasm. In particular nothing else of edgeauth (no storage, no authz)
// but internal/keyfit and internal/expiring (the standard library alone),
// which it shares with the server, and on js/wasm internal/jsasync
// (syscall/js alone), through which it calls WebCrypto; no syumai/workers and no SQLite driver (modernc.org);
// and natively no syscall/js.
func TestDependencies(t *testing.T) {
	if runtime.GOOS == "js" || runtime.GOOS == "wasip1" {
		t.Skip("needs the go command")
	}
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go command not found")
	}
	const self = "github.com/edgeauth/edgeauth/verify"
	for _, target := range []struct{ goos, goarch string }{
		{runtime.GOOS, runtime.GOARCH},
		{"js", "wasm"},
	} {
		t.Run(target.goos+"/"+target.goarch, func(t *testing.T) {
			cmd := exec.Command(goCmd, "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", self)
			cmd.Env = append(os.Environ(), "GOOS="+target.goos, "GOARCH="+target.goarch, "CGO_ENABLED=0")
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("go list -deps %s: %v\n%s", self, err, exitStderr(err))
			}
			for _, p := range strings.Fields(string(out)) {
				switch {
				case p == self, p == "github.com/edgeauth/edgeauth/internal/keyfit", p == "github.com/edgeauth/edgeauth/internal/expiring":
				case p == "github.com/edgeauth/edgeauth/internal/jsasync" && target.goos == "js":
				case strings.HasPrefix(p, "github.com/edgeauth/"),
					strings.HasPrefix(p, "github.com/syumai/"),
					strings.HasPrefix(p, "modernc.org/"):
					t.Errorf("verify depends on %s", p)
				case !strings.HasPrefix(p, "github.com/go-jose/go-jose/v4"):
					t.Errorf("verify depends on %s: only the standard library and go-jose are allowed", p)
				}
			}
			cmd = exec.Command(goCmd, "list", "-f", "{{join .Imports \"\\n\"}}", self)
			cmd.Env = append(os.Environ(), "GOOS="+target.goos, "GOARCH="+target.goarch, "CGO_ENABLED=0")
			out, err = cmd.Output()
			if err != nil {
				t.Fatalf("go list %s: %v\n%s", self, err, exitStderr(err))
			}
			if imports := strings.Fields(string(out)); len(imports) == 0 || slices.Contains(imports, "syscall/js") != (target.goos == "js") {
				t.Errorf("verify imports %q on %s; want syscall/js on js/wasm only", imports, target.goos)
			}
		})
	}
}

func exitStderr(err error) string {
	if ee, ok := err.(*exec.ExitError); ok {
		return string(ee.Stderr)
	}
	return ""
}
