//go:build !js

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/edgeauth/edgeauth/internal/wranglertest"
)

// server is the edgeauth under test.
type server struct {
	name       string // wrangler, native or url
	url        string // base URL, no trailing slash
	adminToken string
	log        func() string // its output so far
	stop       func()
}

func startServer(ctx context.Context, root, target, baseURL string) (*server, error) {
	switch target {
	case "wrangler":
		return startWrangler(ctx, root)
	case "native":
		return startNative(ctx, root)
	case "url":
		token := os.Getenv("EDGEAUTH_ADMIN_TOKEN")
		if baseURL == "" || token == "" {
			return nil, fmt.Errorf("-target url needs -url and EDGEAUTH_ADMIN_TOKEN")
		}
		return &server{name: "url", url: trimSlash(baseURL), adminToken: token,
			log: func() string { return "" }, stop: func() {}}, nil
	default:
		return nil, fmt.Errorf("-target %q: want wrangler, native or url", target)
	}
}

// startWrangler runs the Worker under wrangler dev on fresh local D1/KV, as
// e2e/main_test.go does.
func startWrangler(ctx context.Context, root string) (*server, error) {
	persist, err := os.MkdirTemp("", "edgeauth-conformance-wrangler-")
	if err != nil {
		return nil, err
	}
	port, err := wranglertest.FreePort()
	if err != nil {
		return nil, err
	}
	token := randomSecret()
	base := "http://127.0.0.1:" + strconv.Itoa(port)
	startCtx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	w, err := wranglertest.Start(startCtx, wranglertest.Options{
		Dir: root, Config: "wrangler.toml", PersistTo: persist, Port: port, ReadyPath: "/healthz",
		Vars: map[string]string{"BASE_URL": base, "ADMIN_TOKEN": token, "KEY_ENCRYPTION_KEY": randomSecret()},
	})
	if err != nil {
		os.RemoveAll(persist)
		return nil, err
	}
	return &server{name: "wrangler", url: w.URL, adminToken: token, log: w.Output,
		stop: func() { w.Close(); os.RemoveAll(persist) }}, nil
}

// startNative builds cmd/edgeauth and runs `edgeauth serve` on a fresh
// SQLite file.
func startNative(ctx context.Context, root string) (*server, error) {
	dir, err := os.MkdirTemp("", "edgeauth-conformance-native-")
	if err != nil {
		return nil, err
	}
	bin := filepath.Join(dir, "edgeauth")
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/edgeauth")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("go build ./cmd/edgeauth: %w\n%s", err, out)
	}
	port, err := wranglertest.FreePort()
	if err != nil {
		return nil, err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	token := randomSecret()
	out := &wranglertest.Buffer{}
	cmd := exec.Command(bin, "serve", "-addr", addr, "-db", filepath.Join(dir, "edgeauth.db"), "-base-url", "http://"+addr)
	cmd.Env = append(os.Environ(), "ADMIN_TOKEN="+token, "KEY_ENCRYPTION_KEY="+randomSecret())
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	stop := func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
		os.RemoveAll(dir)
	}
	s := &server{name: "native", url: "http://" + addr, adminToken: token, log: out.String, stop: stop}
	if err := waitReady(ctx, s.url+"/healthz", 30*time.Second, done); err != nil {
		stop()
		return nil, fmt.Errorf("%w\n%s", err, out.String())
	}
	return s, nil
}

func waitReady(ctx context.Context, u string, timeout time.Duration, exited <-chan struct{}) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	c := &http.Client{Timeout: 5 * time.Second}
	for {
		if resp, err := c.Get(u); err == nil {
			resp.Body.Close()
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("server not ready at %s: %w", u, ctx.Err())
		case <-exited:
			return fmt.Errorf("server exited before it was ready")
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// setUp creates the tenant, the client and the user the runner uses,
// through the admin API. A tenant or client that exists already (-target
// url, a second run) is left as it is; the user is new on every run.
func setUp(ctx context.Context, s *server, settings, username, password string) error {
	tenant := map[string]any{"id": tenantID, "name": "MCP conformance"}
	if settings != "" {
		var v map[string]any
		if err := json.Unmarshal([]byte(settings), &v); err != nil {
			return fmt.Errorf("-tenant-settings: %w", err)
		}
		tenant["settings"] = v
	}
	steps := []struct {
		what, path string
		body       any
	}{
		{"tenant", "/admin/v1/tenants", tenant},
		// A public first-party client: no secret (the runner then
		// authenticates with client_id only, "none"), no consent page. The
		// loopback IP literal matches the runner's callback on any port
		// (RFC 8252 §7.3). No scope: the runner sends none.
		{"client", "/admin/v1/tenants/" + tenantID + "/clients", map[string]any{
			"client_id": clientID, "client_name": "MCP conformance runner", "token_endpoint_auth_method": "none",
			"first_party": true, "redirect_uris": []string{"http://127.0.0.1/callback"},
			"grant_types": []string{"authorization_code", "refresh_token"}}},
		{"user", "/admin/v1/tenants/" + tenantID + "/users", map[string]any{
			"username": username, "password": password, "email": "conformance@example.com"}},
	}
	c := &http.Client{Timeout: 30 * time.Second}
	for _, st := range steps {
		b, _ := json.Marshal(st.body)
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url+st.path, bytes.NewReader(b))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+s.adminToken)
		resp, err := c.Do(req)
		if err != nil {
			return fmt.Errorf("create %s: %w", st.what, err)
		}
		raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		switch {
		case resp.StatusCode == http.StatusCreated:
		case resp.StatusCode == http.StatusConflict:
		default:
			return fmt.Errorf("create %s: POST %s: %s %s", st.what, st.path, resp.Status, raw)
		}
	}
	return nil
}

func trimSlash(s string) string {
	for len(s) > 0 && s[len(s)-1] == '/' {
		s = s[:len(s)-1]
	}
	return s
}
