package main

import (
	"context"
	"encoding/base64"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/edgeauth/edgeauth/connections"
)

var discard = slog.New(slog.DiscardHandler)

// TestRunWaitsForRequestsInFlight: once ctx is done, run stops accepting
// connections but returns only after the request in flight has completed,
// and the scheduled job's context is cancelled only after that.
func TestRunWaitsForRequestsInFlight(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	entered, release := make(chan struct{}), make(chan struct{})
	var finished atomic.Bool
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-release
		io.WriteString(w, "done")
		finished.Store(true)
	})
	jobCtxs := make(chan context.Context, 1)
	job := func(ctx context.Context) error {
		select {
		case jobCtxs <- ctx:
		default:
		}
		return nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ran := make(chan error, 1)
	go func() { ran <- run(ctx, ln, newHTTPServer(h), job, time.Hour, discard) }()
	jobCtx := <-jobCtxs

	type answer struct {
		status int
		body   string
		err    error
	}
	answered := make(chan answer, 1)
	go func() {
		resp, err := http.Get("http://" + addr + "/")
		if err != nil {
			answered <- answer{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		answered <- answer{resp.StatusCode, string(b), err}
	}()
	<-entered
	cancel()

	// The shutdown has begun once the listener refuses connections.
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			break
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatal("the listener still accepts connections 5 s after ctx was cancelled")
		}
		time.Sleep(10 * time.Millisecond)
	}
	select {
	case err := <-ran:
		t.Fatalf("run returned (%v) while a request was in flight", err)
	case <-time.After(200 * time.Millisecond):
	}
	if err := jobCtx.Err(); err != nil {
		t.Errorf("the job's context was cancelled (%v) while a request was in flight", err)
	}

	close(release)
	select {
	case err := <-ran:
		if err != nil {
			t.Errorf("run = %v; want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not return after the request completed")
	}
	if !finished.Load() {
		t.Error("run returned before the handler had finished")
	}
	if jobCtx.Err() == nil {
		t.Error("the job's context is not cancelled after run returned")
	}
	a := <-answered
	if a.err != nil || a.status != http.StatusOK || a.body != "done" {
		t.Errorf("the request in flight got %d %q, err %v; want 200 \"done\"", a.status, a.body, a.err)
	}
}

// TestRunGraceOver: a request that outlasts the grace is cut off, and run
// still returns, with an error.
func TestRunGraceOver(t *testing.T) {
	defer func(g time.Duration) { shutdownGrace = g }(shutdownGrace)
	shutdownGrace = 100 * time.Millisecond
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	entered, release := make(chan struct{}), make(chan struct{})
	defer close(release)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-release
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ran := make(chan error, 1)
	go func() {
		ran <- run(ctx, ln, newHTTPServer(h), func(context.Context) error { return nil }, time.Hour, discard)
	}()
	go func() {
		if resp, err := http.Get("http://" + ln.Addr().String() + "/"); err == nil {
			resp.Body.Close()
		}
	}()
	<-entered
	cancel()
	select {
	case err := <-ran:
		if err == nil {
			t.Error("run = nil after cutting a request off; want an error")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("run did not return after the grace")
	}
}

// TestRunServeFails: when Serve fails on its own, run returns its error
// without waiting for ctx.
func TestRunServeFails(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln.Close()
	ran := make(chan error, 1)
	go func() {
		ran <- run(context.Background(), ln, newHTTPServer(http.NotFoundHandler()), func(context.Context) error { return nil }, time.Hour, discard)
	}()
	select {
	case err := <-ran:
		if err == nil || errors.Is(err, http.ErrServerClosed) {
			t.Errorf("run = %v; want the listener's error", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("run did not return after Serve failed")
	}
}

func TestHTTPServerTimeouts(t *testing.T) {
	hs := newHTTPServer(http.NotFoundHandler())
	for _, c := range []struct {
		name      string
		got, want time.Duration
	}{
		{"ReadHeaderTimeout", hs.ReadHeaderTimeout, 10 * time.Second},
		{"ReadTimeout", hs.ReadTimeout, 30 * time.Second},
		{"WriteTimeout", hs.WriteTimeout, 30 * time.Second},
		{"IdleTimeout", hs.IdleTimeout, 60 * time.Second},
	} {
		if c.got != c.want {
			t.Errorf("%s = %v; want %v", c.name, c.got, c.want)
		}
	}
	// A handler fetching a Client ID Metadata Document, or finishing
	// during a shutdown, must not hit the write timeout first.
	if hs.WriteTimeout <= metadataFetchTimeout || hs.WriteTimeout <= shutdownGrace || hs.WriteTimeout <= connections.DefaultTimeout {
		t.Errorf("WriteTimeout %v must exceed the metadata fetch timeout %v, the upstream sign-in's %v and the shutdown grace %v",
			hs.WriteTimeout, metadataFetchTimeout, connections.DefaultTimeout, shutdownGrace)
	}
}

func TestParseServeFlags(t *testing.T) {
	o, err := parseServeFlags(nil)
	if err != nil {
		t.Fatal(err)
	}
	if o.addr != "127.0.0.1:8787" || o.dbPath != "edgeauth.db" || o.baseURL != "http://127.0.0.1:8787" || o.every != 15*time.Minute || o.insecureLoopbackUpstreams {
		t.Errorf("defaults = %+v", o)
	}
	if o, err := parseServeFlags([]string{"-insecure-loopback-upstreams"}); err != nil || !o.insecureLoopbackUpstreams {
		t.Errorf("parseServeFlags(-insecure-loopback-upstreams) = %+v, %v", o, err)
	}
	o, err = parseServeFlags([]string{"-addr", "127.0.0.1:9000", "-cron", "1s"})
	if err != nil || o.baseURL != "http://127.0.0.1:9000" || o.every != time.Second {
		t.Errorf("parseServeFlags(-addr, -cron 1s) = %+v, %v", o, err)
	}
	for _, args := range [][]string{
		{"-cron", "0"},
		{"-cron", "0s"},
		{"-cron", "-1m"},
		{"extra"},
		{"-db", "x.db", "extra"},
		{"-db", "x.db", "--", "-cron"},
	} {
		_, err := parseServeFlags(args)
		var ue *usageError
		if !errors.As(err, &ue) {
			t.Errorf("parseServeFlags(%q) = %v; want a usage error", args, err)
		}
	}
}

// validEnv sets a valid ADMIN_TOKEN and KEY_ENCRYPTION_KEY.
func validEnv(t *testing.T) {
	t.Setenv("ADMIN_TOKEN", strings.Repeat("a", 40))
	t.Setenv("KEY_ENCRYPTION_KEY", base64.RawURLEncoding.EncodeToString(make([]byte, 32)))
}

// TestServeChecksBeforeOpeningTheDatabase: a bad command line or
// configuration fails before the database file is created.
func TestServeChecksBeforeOpeningTheDatabase(t *testing.T) {
	for _, c := range []struct {
		name  string
		env   map[string]string
		args  []string
		usage bool
	}{
		{name: "cron 0", args: []string{"-cron", "0"}, usage: true},
		{name: "cron negative", args: []string{"-cron", "-5s"}, usage: true},
		{name: "positional argument", args: []string{"serve"}, usage: true},
		{name: "no ADMIN_TOKEN", env: map[string]string{"ADMIN_TOKEN": ""}},
		{name: "short ADMIN_TOKEN", env: map[string]string{"ADMIN_TOKEN": "short"}},
		{name: "no KEY_ENCRYPTION_KEY", env: map[string]string{"KEY_ENCRYPTION_KEY": ""}},
		{name: "bad KEY_ENCRYPTION_KEY", env: map[string]string{"KEY_ENCRYPTION_KEY": "not a key"}},
		{name: "http base URL on a public host", args: []string{"-base-url", "http://auth.example.com"}},
		{name: "base URL with a path", args: []string{"-base-url", "https://auth.example.com/x"}},
		{name: "base URL from an addr without host", args: []string{"-addr", ":0"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			validEnv(t)
			for k, v := range c.env {
				t.Setenv(k, v)
			}
			db := filepath.Join(t.TempDir(), "edgeauth.db")
			args := append([]string{"-db", db, "-addr", "127.0.0.1:0"}, c.args...)
			err := serve(context.Background(), args)
			if err == nil {
				t.Fatal("serve = nil; want an error")
			}
			var ue *usageError
			if errors.As(err, &ue) != c.usage {
				t.Errorf("serve = %v (%T); usage error: want %v", err, err, c.usage)
			}
			if _, serr := os.Stat(db); !errors.Is(serr, os.ErrNotExist) {
				t.Errorf("after %v: stat of the database: %v; want it not created", err, serr)
			}
		})
	}
}

// TestServeStartsAndStops: with a valid configuration serve creates the
// database (owner-only), serves, and returns nil once ctx is done.
func TestServeStartsAndStops(t *testing.T) {
	validEnv(t)
	db := filepath.Join(t.TempDir(), "edgeauth.db")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := serve(ctx, []string{"-db", db, "-addr", "127.0.0.1:0"}); err != nil {
		t.Fatalf("serve = %v", err)
	}
	fi, err := os.Stat(db)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		t.Errorf("database mode %v; want no access for group and others", fi.Mode())
	}
}

// TestMainExitCodes runs main in a child process: a mistake on the
// command line exits 2, a bad configuration 1, each with a message and
// without creating the database.
func TestMainExitCodes(t *testing.T) {
	if args := os.Getenv("EDGEAUTH_TEST_MAIN_ARGS"); args != "" {
		os.Args = append([]string{"edgeauth"}, strings.Split(args, "\x1f")...)
		main()
		os.Exit(0)
	}
	for _, c := range []struct {
		args []string
		env  []string
		code int
		msg  string
	}{
		{[]string{"serve", "-cron", "0"}, nil, 2, "-cron"},
		{[]string{"serve", "-cron", "-1s"}, nil, 2, "-cron"},
		{[]string{"serve", "oops"}, nil, 2, `unexpected argument "oops"`},
		{[]string{"serve", "-no-such-flag"}, nil, 2, "no-such-flag"},
		{[]string{"serve"}, []string{"ADMIN_TOKEN="}, 1, "AdminToken"},
		{[]string{"serve"}, []string{"KEY_ENCRYPTION_KEY=x"}, 1, "KEY_ENCRYPTION_KEY"},
	} {
		t.Run(strings.Join(c.args, " ")+" "+strings.Join(c.env, " "), func(t *testing.T) {
			dir := t.TempDir()
			db := filepath.Join(dir, "edgeauth.db")
			args := append([]string{c.args[0], "-db", db, "-addr", "127.0.0.1:0"}, c.args[1:]...)
			cmd := exec.Command(os.Args[0], "-test.run=^TestMainExitCodes$")
			cmd.Env = append(os.Environ(),
				"EDGEAUTH_TEST_MAIN_ARGS="+strings.Join(args, "\x1f"),
				"ADMIN_TOKEN="+strings.Repeat("a", 40),
				"KEY_ENCRYPTION_KEY="+base64.RawURLEncoding.EncodeToString(make([]byte, 32)))
			cmd.Env = append(cmd.Env, c.env...) // the last value of a name wins
			out, err := cmd.CombinedOutput()
			var ee *exec.ExitError
			if !errors.As(err, &ee) {
				t.Fatalf("exit: %v; want status %d\n%s", err, c.code, out)
			}
			if ee.ExitCode() != c.code {
				t.Errorf("exit status %d; want %d\n%s", ee.ExitCode(), c.code, out)
			}
			if !strings.Contains(string(out), c.msg) {
				t.Errorf("output does not mention %q:\n%s", c.msg, out)
			}
			if _, err := os.Stat(db); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("stat of the database: %v; want it not created", err)
			}
		})
	}
}
