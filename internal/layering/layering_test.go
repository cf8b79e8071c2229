// Package layering checks that edgeauth's vocabulary flows down
// (STYLE.md): storage imports only the standard library; jwks only storage
// and go-jose; authz never a runtime (syumai/workers, SQLite) nor a
// concrete backend. It asks `go list -deps`, so indirect imports count.
package layering

import (
	"os/exec"
	"strings"
	"testing"
)

const mod = "github.com/edgeauth/edgeauth"

func deps(t *testing.T, pkg string, env ...string) []string {
	t.Helper()
	cmd := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", pkg)
	cmd.Env = append(cmd.Environ(), env...)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -deps %s: %v", pkg, err)
	}
	return strings.Fields(string(out))
}

func TestLayering(t *testing.T) {
	cases := []struct {
		pkg     string
		allowed []string // import path prefixes a dependency may have
	}{
		{mod + "/storage", []string{mod + "/storage"}},
		{mod + "/storage/storagetest", []string{mod + "/storage", mod + "/storage/storagetest", "github.com/google/go-cmp"}},
		{mod + "/jwks", []string{mod + "/jwks", mod + "/storage", "github.com/go-jose/go-jose/v4"}},
		{mod + "/storage/storecache", []string{mod + "/storage", mod + "/storage/storecache"}},
		{mod + "/authz", []string{mod + "/authz", mod + "/jwks", mod + "/storage", mod + "/storage/storecache", mod + "/internal/netcheck", mod + "/ratelimit", mod + "/verify", "github.com/go-jose/go-jose/v4"}},
		{mod + "/ratelimit", []string{mod + "/ratelimit"}},
	}
	for _, goos := range []string{"GOOS=linux GOARCH=amd64", "GOOS=js GOARCH=wasm"} {
		for _, tc := range cases {
			for _, d := range deps(t, tc.pkg, strings.Fields(goos)...) {
				if !allowed(d, tc.allowed) {
					t.Errorf("%s (%s) depends on %s; allowed: %v", tc.pkg, goos, d, tc.allowed)
				}
			}
		}
	}
}

// allowed reports whether dep is one of the prefixes or below one.
// storage's sub-packages are backends (sqlstore, kv) or test code, not
// vocabulary: only storage itself is allowed by the "storage" prefix.
func allowed(dep string, prefixes []string) bool {
	for _, p := range prefixes {
		if dep == p || strings.HasPrefix(dep, p+"/") && p != mod+"/storage" {
			return true
		}
	}
	return false
}
