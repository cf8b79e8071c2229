//go:build !js

package main

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strconv"

	"github.com/edgeauth/edgeauth/internal/wranglertest"
)

// fleet is every server of one Worker run, all under one runtime
// (Miniflare or stock wrangler dev), each in processes of its own so that
// its CPU time can be read: edgeauth, the trivial baseline Worker, the D1
// and PBKDF2 floors, the peer's fixture and examples/resource-worker.
type fleet struct {
	runtime                                 string
	ea, base, floor, pbkdf2, peer, resource *running
	tmp                                     string
	env                                     []string // for each wrangler dev
	closers                                 []func()
}

func (f *fleet) close() {
	for i := len(f.closers) - 1; i >= 0; i-- {
		f.closers[i]()
	}
	if f.tmp != "" {
		os.RemoveAll(f.tmp)
	}
}

func (f *fleet) add(r *running) *running {
	f.closers = append(f.closers, r.close)
	return r
}

// rateLimitOff is every rate limit of edgeauth's Worker in the bench: the
// bench signs in from one address into one tenant many times a second.
// The limiter is still called on every request, so its cost is measured.
const rateLimitOff = 1_000_000

// startFleet starts the servers of one run under runtime rt, those that
// need says the selected scenarios need; edgeauth always. The resource
// Worker starts later (startResource): it needs the seeded tenant.
func startFleet(ctx context.Context, root, rt string, o options, adminToken string, need func(string) bool) (_ *fleet, err error) {
	f := &fleet{runtime: rt}
	defer func() {
		if err != nil {
			f.close()
		}
	}()
	if f.tmp, err = os.MkdirTemp("", "edgeauth-bench-fleet-"); err != nil {
		return nil, err
	}
	if rt == runtimeWrangler {
		// A dev registry of the run's own: the resource Worker finds this
		// run's edgeauth through it, never a wrangler dev of someone else
		// on the machine.
		f.env = []string{"WRANGLER_REGISTRY_PATH=" + filepath.Join(f.tmp, "registry")}
	}
	js := func(name, dir string, d1 bool) (*running, error) {
		logf("starting %s (%s)", name, runtimeLabel(rt))
		if rt == runtimeWrangler {
			return startWrangler(ctx, wranglertest.Options{Dir: root, Config: filepath.Join(dir, "wrangler.toml"), SkipMigrations: !d1, Env: f.env, ReadyPath: "/"}, "")
		}
		cfg := mfConfig{Name: filepath.Base(dir), ModulesRoot: dir, CompatibilityDate: "2026-04-01",
			Modules: []mfModule{{"ESModule", filepath.Join(dir, "worker.mjs")}}}
		if d1 {
			cfg.D1 = map[string]string{"DB": filepath.Join(dir, "migrations")}
		}
		return startMiniflare(ctx, root, cfg, "/", "")
	}
	bench := filepath.Join(root, "bench")
	if f.base, err = js("the baseline Worker", filepath.Join(bench, "baseline"), false); err != nil {
		return nil, fmt.Errorf("baseline: %w", err)
	}
	f.add(f.base)
	if need("d1_floor") {
		if f.floor, err = js("the D1 floor Worker", filepath.Join(bench, "d1floor"), true); err != nil {
			return nil, fmt.Errorf("D1 floor: %w", err)
		}
		f.add(f.floor)
	}
	if need("pbkdf2_floor") {
		if f.pbkdf2, err = js("the PBKDF2 floor Worker", filepath.Join(bench, "pbkdf2"), false); err != nil {
			return nil, fmt.Errorf("PBKDF2 floor: %w", err)
		}
		f.add(f.pbkdf2)
	}
	if need("peer") {
		if f.peer, err = startPeer(ctx, root, rt, adminToken, f.env); err != nil {
			return nil, fmt.Errorf("peer: %w", err)
		}
		f.add(f.peer)
	}

	vars := map[string]string{"ADMIN_TOKEN": adminToken, "KEY_ENCRYPTION_KEY": randomSecret()}
	if o.logLevel != "" {
		vars["LOG_LEVEL"] = o.logLevel
	}
	maps.Copy(vars, o.vars)
	logf("starting edgeauth (%s, build/worker)", runtimeLabel(rt))
	// Ready once worker.mjs answers its pool status (plain JavaScript, no
	// Go instance yet); the first /healthz then starts the first Go
	// instance.
	if rt == runtimeWrangler {
		config, err := edgeauthConfig(root, filepath.Join(f.tmp, "edgeauth"))
		if err != nil {
			return nil, err
		}
		if f.ea, err = startWrangler(ctx, wranglertest.Options{Dir: root, Config: config, Vars: vars, Env: f.env, ReadyPath: "/admin/v1/pool"}, "/healthz"); err != nil {
			return nil, fmt.Errorf("edgeauth: %w", err)
		}
		f.add(f.ea)
		return f, nil
	}
	toml, err := os.ReadFile(filepath.Join(root, "wrangler.toml"))
	if err != nil {
		return nil, err
	}
	wc, err := parseWorkerConfig(string(toml))
	if err != nil {
		return nil, err
	}
	mods, err := copyWorker(filepath.Join(root, "build", "worker"), filepath.Join(f.tmp, "edgeauth"))
	if err != nil {
		return nil, err
	}
	limits := map[string]mfRate{}
	for _, name := range wc.rateLimits {
		limits[name] = mfRate{Limit: rateLimitOff, Period: 60}
	}
	cfg := mfConfig{Name: "edgeauth", ModulesRoot: filepath.Join(f.tmp, "edgeauth"), Modules: mods,
		CompatibilityDate: wc.compatibilityDate, Vars: vars, BaseURLVar: "BASE_URL",
		D1: map[string]string{"DB": filepath.Join(root, "migrations")}, KV: []string{"KV"}, RateLimits: limits}
	if f.ea, err = startMiniflare(ctx, root, cfg, "/admin/v1/pool", "/healthz"); err != nil {
		return nil, fmt.Errorf("edgeauth: %w", err)
	}
	f.add(f.ea)
	return f, nil
}

// startPeer serves bench/peer/worker.mjs, with the peer library from
// bench/node_modules.
func startPeer(ctx context.Context, root, rt, adminToken string, env []string) (*running, error) {
	logf("starting the peer's fixture Worker (%s)", runtimeLabel(rt))
	bench := filepath.Join(root, "bench")
	lib := filepath.Join(bench, "node_modules", "@cloudflare", "workers-oauth-provider", "dist", "oauth-provider.js")
	if _, err := os.Stat(lib); err != nil {
		return nil, fmt.Errorf("the peer library is not installed (cd bench && npm ci): %w", err)
	}
	vars := map[string]string{"ADMIN_TOKEN": adminToken}
	if rt == runtimeWrangler {
		return startWrangler(ctx, wranglertest.Options{Dir: root, Config: filepath.Join(bench, "peer", "wrangler.toml"), SkipMigrations: true, Vars: vars, Env: env, ReadyPath: "/.well-known/oauth-authorization-server"}, "")
	}
	cfg := mfConfig{Name: "peer", ModulesRoot: bench, CompatibilityDate: "2026-04-01",
		Modules: []mfModule{{"ESModule", filepath.Join(bench, "peer", "worker.mjs")}, {"ESModule", lib}},
		Vars:    vars, BaseURLVar: "BASE_URL", KV: []string{"OAUTH_KV"}}
	return startMiniflare(ctx, root, cfg, "/.well-known/oauth-authorization-server", "")
}

// startResource serves examples/resource-worker (build/resource-worker)
// for the tenant of s, with its service binding EDGEAUTH reaching the
// fleet's edgeauth: under Miniflare an external service at edgeauth's
// address, under wrangler dev the service "edgeauth" found through the
// run's dev registry.
func (f *fleet) startResource(ctx context.Context, root string, s *server) (*running, error) {
	logf("starting examples/resource-worker (%s)", runtimeLabel(f.runtime))
	dir := filepath.Join(f.tmp, "resource-worker")
	mods, err := copyWorker(filepath.Join(root, "build", "resource-worker"), dir)
	if err != nil {
		return nil, err
	}
	toml, err := os.ReadFile(filepath.Join(root, "examples", "resource-worker", "wrangler.toml"))
	if err != nil {
		return nil, err
	}
	wc, err := parseWorkerConfig(string(toml))
	if err != nil {
		return nil, err
	}
	vars := map[string]string{"ISSUER": s.issuer, "AUDIENCE": resourceAudience, "TENANT": s.tenant}
	var r *running
	if f.runtime == runtimeWrangler {
		config := filepath.Join(dir, "wrangler.toml")
		text := "name = \"edgeauth-bench-resource\"\nmain = " + strconv.Quote(filepath.Join(dir, "worker.mjs")) +
			"\ncompatibility_date = " + strconv.Quote(wc.compatibilityDate) +
			"\n\n[[services]]\nbinding = \"EDGEAUTH\"\nservice = \"edgeauth\"\n"
		if err := os.WriteFile(config, []byte(text), 0o644); err != nil {
			return nil, err
		}
		r, err = startWrangler(ctx, wranglertest.Options{Dir: root, Config: config, SkipMigrations: true, Vars: vars, Env: f.env, ReadyPath: "/"}, "")
	} else {
		addr := f.ea.url[len("http://"):]
		r, err = startMiniflare(ctx, root, mfConfig{Name: "resource-worker", ModulesRoot: dir, Modules: mods,
			CompatibilityDate: wc.compatibilityDate, Vars: vars, Services: map[string]string{"EDGEAUTH": addr}}, "/", "")
	}
	if err != nil {
		return nil, err
	}
	f.resource = f.add(r)
	return r, nil
}
