package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestNodeClient signs in with a strict second client (issue 7):
// tools/nodeclient/client.mjs, built on the npm packages oauth4webapi
// (discovery, PKCE code flow, refresh, revocation, with all its response
// validation) and jose (the access token against the JWKS, typ at+jwt).
// The script runs in two steps and this test plays the browser between
// them. It needs Node and `make nodeclient-deps`, and runs when
// EDGEAUTH_NODE=1 asks for it (make test does); otherwise it skips, saying
// so.
func TestNodeClient(t *testing.T) {
	if os.Getenv("EDGEAUTH_NODE") != "1" {
		t.Skip("set EDGEAUTH_NODE=1 to run the oauth4webapi/jose client test (make test does, after make nodeclient-deps)")
	}
	dir, err := filepath.Abs(filepath.Join("..", "tools", "nodeclient"))
	if err != nil {
		t.Fatal(err)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node is not on PATH (Node 20.19 or later is needed): %v", err)
	}
	for _, pkg := range []string{"oauth4webapi", "jose"} {
		if _, err := os.Stat(filepath.Join(dir, "node_modules", pkg, "package.json")); err != nil {
			t.Fatalf("tools/nodeclient/node_modules/%s is missing: run `make nodeclient-deps`", pkg)
		}
	}

	f := newFixture(t)
	stateFile := filepath.Join(t.TempDir(), "state.json")
	// Any port matches the registered http://127.0.0.1/callback; nothing
	// listens there: the browser stops at the redirect to the client.
	const redirect = "http://127.0.0.1:8976/callback"

	out := runNode(t, node, dir, 0, "start", "--issuer", f.issuer, "--client-id", f.public,
		"--redirect-uri", redirect, "--scope", "openid profile read write", "--state-file", stateFile)
	var started struct {
		AuthorizationURL string `json:"authorization_url"`
		State            string `json:"state"`
	}
	if err := json.Unmarshal(out, &started); err != nil {
		t.Fatalf("start printed %q: %v", out, err)
	}
	if !strings.HasPrefix(started.AuthorizationURL, f.issuer+"/authorize?") {
		t.Fatalf("authorization_url = %q; want the discovered %s/authorize", started.AuthorizationURL, f.issuer)
	}

	b := newBrowser(t, f.username, f.password)
	cb := b.authorize(started.AuthorizationURL)
	if cb == nil {
		t.Fatalf("the flow did not come back to the client; last page %d: %.500s", b.last.status, b.last.body)
	}
	if got := strings.Join(b.seen, ","); got != "login" {
		t.Errorf("pages shown = %q; want login only (first-party client)", got)
	}
	noteSecret(cb.Query().Get("code"))
	if cb.Query().Get("state") != started.State {
		t.Errorf("callback state = %q; want %q", cb.Query().Get("state"), started.State)
	}

	out = runNode(t, node, dir, -1, "finish", "--state-file", stateFile, "--callback", cb.String())
	var result struct {
		OK     bool `json:"ok"`
		Checks []struct {
			Name   string `json:"name"`
			OK     bool   `json:"ok"`
			Detail string `json:"detail"`
		} `json:"checks"`
		Secrets []string `json:"secrets"`
	}
	if err := json.Unmarshal(out, &result); err != nil {
		t.Fatalf("finish printed %q: %v", out, err)
	}
	for _, s := range result.Secrets {
		noteSecret(s)
	}
	want := []string{
		"discovery",
		"authorization response (state, iss RFC 9207)",
		"code exchange (PKCE, ID token with nonce)",
		"access token (jose jwtVerify, typ at+jwt, RFC 9068)",
		"refresh (refresh token rotates)",
		"revocation of the new refresh token (RFC 7009)",
		"refresh with the revoked token is invalid_grant",
	}
	passed := map[string]bool{}
	for _, c := range result.Checks {
		if c.OK {
			passed[c.Name] = true
			t.Logf("ok   %s %s", c.Name, c.Detail)
		} else {
			t.Errorf("FAIL %s: %s", c.Name, c.Detail)
		}
	}
	for _, name := range want {
		if !passed[name] {
			t.Errorf("check %q did not pass", name)
		}
	}
	if !result.OK {
		t.Errorf("the node client reports failure")
	}
}

// runNode runs client.mjs with args and returns its stdout. wantExit 0
// fails the test on any other exit code; -1 accepts 0 and 1 (a failed
// check, which the caller reads from the JSON result), never anything else.
func runNode(t *testing.T, node, dir string, wantExit int, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, append([]string{filepath.Join(dir, "client.mjs")}, args...)...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	var exitErr *exec.ExitError
	switch {
	case errors.As(err, &exitErr):
		code = exitErr.ExitCode()
	case err != nil:
		t.Fatalf("node client.mjs %s: %v", args[0], err)
	}
	if code != 0 && !(wantExit == -1 && code == 1) {
		t.Fatalf("node client.mjs %s exited %d\nstdout: %s\nstderr: %s", args[0], code, stdout.Bytes(), stderr.Bytes())
	}
	if stderr.Len() > 0 {
		t.Logf("client.mjs %s stderr: %s", args[0], stderr.Bytes())
	}
	return stdout.Bytes()
}
