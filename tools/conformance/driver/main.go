//go:build !js

// Command driver runs the MCP authorization conformance suite
// (@modelcontextprotocol/conformance, pinned in tools/conformance/package.json)
// against edgeauth, once per MCP spec date, and fails unless every check of
// every run passes.
//
//	go run ./tools/conformance/driver [-target wrangler|native|url] [-specs 2025-03-26,...]
//
// It starts the server (the Worker under `wrangler dev` by default, or the
// native `edgeauth serve`), creates a tenant, a first-party public client
// with the loopback redirect http://127.0.0.1/callback and a user through the
// admin API, then runs `conformance authorization --url <issuer> --client-id
// <id>` (both scenarios in one invocation) for each spec date. The runner
// prints an authorization URL and waits for its callback on
// http://127.0.0.1:<port>/callback: the driver plays the browser (signs in
// through the HTML form with a cookie jar and follows the redirects to the
// callback). Every check the runner saves (--output-dir) must be SUCCESS; a
// WARNING fails too unless -warnings-ok, and a SKIPPED grant is a failure.
//
// Run it from the repository root (make conformance does). Needs `npm ci`
// in the root (wrangler) and in tools/conformance (the runner and Node 22).
package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"flag"
	"fmt"
	"github.com/edgeauth/edgeauth/internal/wranglertest"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

// specDates are the MCP specification revisions the runner knows.
var specDates = []string{"2025-03-26", "2025-06-18", "2025-11-25", "2026-07-28"}

// scenarios are the runner's authorization-server scenarios; each run must
// report both.
var scenarios = []string{"authorization-server-metadata-endpoint", "authorization-code-grant"}

const (
	tenantID = "conformance"
	clientID = "conformance-cli"
)

func main() {
	target := flag.String("target", "wrangler", "server to test: wrangler (the Worker under wrangler dev), native (edgeauth serve on SQLite) or url (a running server: -url and EDGEAUTH_ADMIN_TOKEN)")
	baseURL := flag.String("url", "", "base URL of a running edgeauth (with -target url); its issuers are BASE/t/T")
	specs := flag.String("specs", strings.Join(specDates, ","), "comma-separated MCP spec dates to run the suite for")
	runTimeout := flag.Duration("timeout", 2*time.Minute, "bound on one run of the runner (it waits 5 minutes for a callback that never comes)")
	warningsOK := flag.Bool("warnings-ok", false, "let WARNING checks pass (by default only SUCCESS passes)")
	resultsDir := flag.String("results", "", "keep the runner's checks.json files under this folder (default: a temporary folder, removed)")
	// CIMD on: the suite expects client_id_metadata_document_supported=true
	// from 2025-11-25 on, and a tenant advertises it only when enabled.
	tenantSettings := flag.String("tenant-settings", `{"client_id_metadata_documents":true}`, `JSON "settings" for the test tenant ("" for none)`)
	resource := flag.String("resource", "", "also send this RFC 8707 resource (the MCP server's canonical URI) in the authorization and token requests")
	verbose := flag.Bool("v", false, "print the runner's whole output and the server's log on failure")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ok, err := run(ctx, options{
		target: *target, baseURL: *baseURL, specs: splitList(*specs), runTimeout: *runTimeout,
		warningsOK: *warningsOK, resultsDir: *resultsDir, resource: *resource, tenantSettings: *tenantSettings, verbose: *verbose,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "conformance:", err)
		os.Exit(2)
	}
	if !ok {
		os.Exit(1)
	}
}

type options struct {
	target, baseURL string
	specs           []string
	runTimeout      time.Duration
	warningsOK      bool
	resultsDir      string
	resource        string
	tenantSettings  string
	verbose         bool
}

func run(ctx context.Context, o options) (bool, error) {
	for _, s := range o.specs {
		if !slices.Contains(specDates, s) {
			return false, fmt.Errorf("unknown spec date %q (known: %s)", s, strings.Join(specDates, ", "))
		}
	}
	root, err := wranglertest.RepoRoot()
	if err != nil {
		return false, err
	}
	runner, err := findRunner(ctx, filepath.Join(root, "tools", "conformance"))
	if err != nil {
		return false, err
	}

	start := time.Now()
	srv, err := startServer(ctx, root, o.target, o.baseURL)
	if err != nil {
		return false, err
	}
	defer srv.stop()
	fmt.Printf("conformance: %s server at %s (ready in %s)\n", srv.name, srv.url, time.Since(start).Round(100*time.Millisecond))

	username, password := "conformance-"+randomSecret()[:8], randomSecret()[:24]
	if err := setUp(ctx, srv, o.tenantSettings, username, password); err != nil {
		if o.verbose {
			fmt.Fprintln(os.Stderr, srv.log())
		}
		return false, err
	}
	issuer := srv.url + "/t/" + tenantID
	fmt.Printf("conformance: issuer %s, client %s, user %s; runner %s on node %s\n", issuer, clientID, username, runner.version, runner.nodeVersion)

	results := o.resultsDir
	if results == "" {
		if results, err = os.MkdirTemp("", "edgeauth-conformance-"); err != nil {
			return false, err
		}
		defer os.RemoveAll(results)
	} else if results, err = filepath.Abs(results); err != nil {
		return false, err
	}

	var reports []*report
	for _, spec := range o.specs {
		if ctx.Err() != nil {
			return false, ctx.Err()
		}
		r := runOnce(ctx, runner, runConfig{
			spec: spec, issuer: issuer, clientID: clientID, username: username, password: password,
			outDir: filepath.Join(results, spec), timeout: o.runTimeout, resource: o.resource, verbose: o.verbose,
		})
		r.judge(o.warningsOK)
		r.print(os.Stdout)
		reports = append(reports, r)
	}

	fmt.Printf("\n=== edgeauth MCP authorization conformance (%s, %s) ===\n", srv.name, runner.version)
	allOK := true
	for _, r := range reports {
		fmt.Println(r.summaryLine())
		allOK = allOK && r.ok
	}
	if !allOK {
		fmt.Println("FAIL")
		if o.verbose {
			fmt.Fprintln(os.Stderr, "server log:\n"+srv.log())
		}
		return false, nil
	}
	fmt.Println("PASS")
	return true, nil
}

func randomSecret() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
