package e2e

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/edgeauth/edgeauth/internal/safehttp"
	"github.com/edgeauth/edgeauth/internal/wranglertest"
	"github.com/edgeauth/edgeauth/jwks"
	"github.com/edgeauth/edgeauth/server"
	"github.com/edgeauth/edgeauth/storage/kv"
	"github.com/edgeauth/edgeauth/storage/sqlstore"
)

// target is the server under test.
var target struct {
	name       string // native, wrangler or url
	url        string // base URL without trailing slash
	adminToken string
	// runCron runs the scheduled job once.
	runCron func() error
	// state measures the server's stored state and memory (abuse_test.go).
	state func() stateSize
}

func TestMain(m *testing.M) {
	stop, err := startTarget()
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		os.Exit(1)
	}
	code := m.Run()
	logs := stop()
	if code != 0 {
		printLastRequests(logs, 40)
	}
	if code == 0 {
		if leaked := leakedSecrets(logs); len(leaked) > 0 {
			fmt.Fprintf(os.Stderr, "e2e: the server's log output contains %d secrets seen in this run (passwords, client secrets, codes or tokens), e.g. one of %d characters\n", len(leaked), len(leaked[0]))
			code = 1
		} else {
			fmt.Printf("e2e: scanned %d bytes of server log for %d secrets seen in this run: none found\n", len(logs), secretCount())
		}
	}
	os.Exit(code)
}

// printLastRequests prints the server's last n request lines (method,
// route or path, status, duration; no query strings, headers or bodies),
// so that a failed run shows what the server was answering when it failed.
func printLastRequests(logs string, n int) {
	var lines []string
	for _, l := range strings.Split(logs, "\n") {
		if strings.Contains(l, "[wrangler:info]") || strings.Contains(l, `"msg":"request"`) {
			lines = append(lines, strings.TrimSpace(l))
		}
	}
	lines = lines[max(0, len(lines)-n):]
	fmt.Fprintf(os.Stderr, "e2e: the server's last %d requests:\n%s\n", len(lines), strings.Join(lines, "\n"))
}

func randomSecret() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// startTarget starts the server under test; stop ends it and returns all
// the log output the server wrote.
func startTarget() (stop func() string, err error) {
	target.name = os.Getenv("EDGEAUTH_E2E")
	target.adminToken = randomSecret()
	kek := randomSecret()
	noteSecret(target.adminToken)
	noteSecret(kek)
	switch target.name {
	case "", "native":
		target.name = "native"
		return startNative(kek)
	case "wrangler":
		return startWrangler(kek)
	case "url":
		target.url, target.adminToken = os.Getenv("EDGEAUTH_E2E_URL"), os.Getenv("EDGEAUTH_E2E_ADMIN_TOKEN")
		if target.url == "" || target.adminToken == "" {
			return nil, fmt.Errorf("EDGEAUTH_E2E=url needs EDGEAUTH_E2E_URL and EDGEAUTH_E2E_ADMIN_TOKEN")
		}
		target.runCron = func() error { return triggerCron(target.url) }
		return func() string { return "" }, nil
	default:
		return nil, fmt.Errorf("EDGEAUTH_E2E=%q: want native, wrangler or url", target.name)
	}
}

func startNative(kek string) (func() string, error) {
	dir, err := os.MkdirTemp("", "edgeauth-e2e-")
	if err != nil {
		return nil, err
	}
	store, db, err := sqlstore.OpenSQLite(filepath.Join(dir, "e2e.db"))
	if err != nil {
		return nil, err
	}
	sealer, err := jwks.SealerFromKEK(kek)
	if err != nil {
		return nil, err
	}
	ts := httptest.NewUnstartedServer(nil)
	target.url = "http://" + ts.Listener.Addr().String()
	now := func() time.Time { return time.Now().Add(time.Duration(clockOffset.Load())) }
	logs := &wranglertest.Buffer{}
	memKV := kv.NewMemory(now)
	srv, err := server.New(server.Config{
		Logger:  slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		BaseURL: target.url, AdminToken: target.adminToken, Sealer: sealer,
		Store: store, KV: memKV, Now: now, MetadataTransport: safehttp.NewTransport(true, 5*time.Second),
		// Upstream providers on 127.0.0.1: another tenant of this server,
		// and the providers the tests write. A short timeout keeps the
		// slow-provider test short.
		UpstreamTransport: safehttp.NewTransport(true, 10*time.Second), InsecureLoopbackUpstreams: true, UpstreamTimeout: 3 * time.Second,
	})
	if err != nil {
		return nil, err
	}
	ts.Config.Handler = srv
	ts.Start()
	target.runCron = func() error { return srv.RunScheduled(context.Background()) }
	target.state = func() stateSize { return nativeState(db, memKV) }
	return func() string { ts.Close(); db.Close(); os.RemoveAll(dir); return logs.String() }, nil
}

// clockOffset moves the native server's clock (and its KV's) forward.
var clockOffset atomic.Int64

// advanceClock moves the server's clock forward by d for the rest of the
// test. Only the native target's clock can be moved: elsewhere the test is
// skipped, saying so.
func advanceClock(t *testing.T, d time.Duration) {
	t.Helper()
	if target.name != "native" {
		t.Skipf("moving the clock needs the native target (this is %s); expiry is covered there", target.name)
	}
	clockOffset.Add(int64(d))
	t.Cleanup(func() { clockOffset.Add(-int64(d)) })
}

func startWrangler(kek string) (func() string, error) {
	root, err := filepath.Abs("..")
	if err != nil {
		return nil, err
	}
	persist, err := os.MkdirTemp("", "edgeauth-e2e-wrangler-")
	if err != nil {
		return nil, err
	}
	port, err := wranglertest.FreePort()
	if err != nil {
		return nil, err
	}
	base := "http://127.0.0.1:" + strconv.Itoa(port)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	w, err := wranglertest.Start(ctx, wranglertest.Options{
		Dir: root, Config: "wrangler.toml", PersistTo: persist, Port: port, ReadyPath: "/healthz",
		// Vars given on the command line win over wrangler.toml and .dev.vars.
		// LOG_LEVEL debug: every request's line, for the secret scan.
		// INSECURE_LOOPBACK_UPSTREAMS: the upstream providers of the tests
		// are on 127.0.0.1.
		Vars: map[string]string{"BASE_URL": base, "ADMIN_TOKEN": target.adminToken, "KEY_ENCRYPTION_KEY": kek, "LOG_LEVEL": "debug",
			"INSECURE_LOOPBACK_UPSTREAMS": "true"},
	})
	if err != nil {
		return nil, err
	}
	target.url = w.URL
	target.runCron = func() error { return triggerCron(w.URL) }
	target.state = func() stateSize { return wranglerState(persist) }
	return func() string {
		w.Close()
		if os.Getenv("EDGEAUTH_E2E_LOG") != "" {
			fmt.Fprintln(os.Stderr, w.Output())
		}
		os.RemoveAll(persist)
		return w.Output()
	}, nil
}

var httpClient = &http.Client{
	Timeout: 30 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	},
}

// triggerCron fires the Worker's cron trigger the way wrangler dev allows.
func triggerCron(base string) error {
	resp, err := httpClient.Get(base + "/cdn-cgi/handler/scheduled?cron=*/15+*+*+*+*")
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("scheduled handler answered %s", resp.Status)
	}
	return nil
}
