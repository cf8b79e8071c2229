// Package layering checks that edgeauth's imports run one way (DESIGN.md,
// STYLE.md): every package has a layer, and a package imports only
// packages of lower layers. So cmd -> server -> (admin, authflow, cron) ->
// authz -> (session, audit, jwks, verify, ...) -> storage, and nothing
// imports upward or sideways. A new package must be given a layer here
// before the test passes. It asks `go list` for both targets (native and
// js/wasm), since build tags change imports.
package layering

import (
	"encoding/json"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const mod = "github.com/edgeauth/edgeauth"

// layers lists edgeauth's packages from the ground up. A package may import
// only packages of lower layers, the standard library and the third-party
// modules thirdParty allows it.
var layers = [][]string{
	// Vocabulary and leaf helpers: the standard library only.
	{"storage", "migrations", "ratelimit", "password", "pages", "internal/secret", "internal/syntax", "internal/netcheck", "internal/jsasync", "internal/keyfit", "internal/expiring"},
	// The Workers runtime, and what builds on the vocabulary alone.
	{"cfworker", "storage/storecache", "storage/storagetest", "storage/storagefault", "storage/storagecount", "internal/oidctest",
		"internal/kvrecord", "internal/safehttp", "jwks", "verify", "audit", "device"},
	// Backends (D1 through the runtime in the Worker), sessions, upstream
	// sign-in.
	{"storage/kv", "storage/sqlstore", "session", "connections"},
	// The protocol.
	{"authz"},
	// What the server composes.
	{"authflow", "admin", "cron"},
	{"server"},
}

// top are the packages nothing imports: mains, tests, tools, examples.
var top = []string{"cmd/", "e2e", "bench", "tools/", "examples", "examples/", "internal/wranglertest", "internal/layering", "storage/sqlstore/workerd"}

// thirdParty lists, per package, the module path prefixes it may depend
// on (directly or not); packages not listed may depend on none.
var thirdParty = map[string][]string{
	"jwks":                {"github.com/go-jose/go-jose/v4"},
	"verify":              {"github.com/go-jose/go-jose/v4"},
	"authz":               {"github.com/go-jose/go-jose/v4"},
	"connections":         {"github.com/go-jose/go-jose/v4", "golang.org/x/oauth2"},
	"authflow":            {"github.com/go-jose/go-jose/v4", "golang.org/x/oauth2"},
	"admin":               {"github.com/go-jose/go-jose/v4", "golang.org/x/oauth2"},
	"cron":                {"github.com/go-jose/go-jose/v4"},
	"server":              {"github.com/go-jose/go-jose/v4", "golang.org/x/oauth2"},
	"cfworker":            {}, // usable by any Go Worker: not even syumai/workers
	"storage/kv":          {"github.com/syumai/workers"},
	"storage/storagetest": {"github.com/google/go-cmp"},
	"internal/oidctest":   {"github.com/go-jose/go-jose/v4"},
	"storage/sqlstore":    {"github.com/syumai/workers", "modernc.org/", "github.com/dustin/go-humanize", "github.com/google/uuid", "github.com/mattn/go-isatty", "github.com/ncruces/go-strftime", "github.com/remyoudompheng/bigfft", "golang.org/x/sys"},
}

type pkg struct {
	ImportPath string
	Imports    []string
	Deps       []string
	Standard   bool
}

func list(t *testing.T, env ...string) []pkg {
	t.Helper()
	cmd := exec.Command("go", "list", "-json=ImportPath,Imports,Deps,Standard", mod+"/...")
	cmd.Env = append(cmd.Environ(), env...)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var pkgs []pkg
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for dec.More() {
		var p pkg
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

// layerOf is the layer of an edgeauth package path (relative to the
// module), len(layers) for the top, or -1 if it has none.
func layerOf(rel string) int {
	for i, l := range layers {
		if slices.Contains(l, rel) {
			return i
		}
	}
	for _, p := range top {
		if rel == p || strings.HasSuffix(p, "/") && strings.HasPrefix(rel, p) {
			return len(layers)
		}
	}
	return -1
}

func TestLayering(t *testing.T) {
	for _, env := range [][]string{{"GOOS=linux", "GOARCH=amd64"}, {"GOOS=js", "GOARCH=wasm"}} {
		for _, p := range list(t, env...) {
			rel := strings.TrimPrefix(strings.TrimPrefix(p.ImportPath, mod), "/")
			l := layerOf(rel)
			if l < 0 {
				t.Errorf("%s has no layer: place it in internal/layering's layers or top", p.ImportPath)
				continue
			}
			if l == len(layers) {
				continue
			}
			for _, imp := range p.Imports {
				if !strings.HasPrefix(imp, mod+"/") {
					continue
				}
				irel := strings.TrimPrefix(imp, mod+"/")
				if il := layerOf(irel); il >= l {
					t.Errorf("%s (layer %d, %s) imports %s (layer %d): imports run downward only", rel, l, env[0], irel, il)
				}
			}
			for _, d := range p.Deps {
				if strings.HasPrefix(d, mod) || !strings.Contains(strings.SplitN(d, "/", 2)[0], ".") {
					continue // edgeauth's own (checked above) or the standard library
				}
				if !slices.ContainsFunc(thirdParty[rel], func(prefix string) bool { return strings.HasPrefix(d, prefix) }) {
					t.Errorf("%s (%s) depends on %s; allowed: %v", rel, env[0], d, thirdParty[rel])
				}
			}
		}
	}
}
