//go:build !js

package server_test

import (
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/edgeauth/edgeauth/server"
	"github.com/edgeauth/edgeauth/storage/kv"
)

// The request log line: a failed request at info, a successful one at
// debug (SECURITY.md, README LOG_LEVEL).
func TestRequestLogLevels(t *testing.T) {
	store := newTestStore(t)
	for _, tc := range []struct {
		level      slog.Level
		path       string
		wantLogged bool
	}{
		{slog.LevelInfo, "/healthz", false},
		{slog.LevelInfo, "/t/nope/jwks.json", true},
		{slog.LevelDebug, "/healthz", true},
		{slog.LevelWarn, "/t/nope/jwks.json", false},
	} {
		var buf strings.Builder
		srv, err := server.New(server.Config{BaseURL: "http://127.0.0.1:1", AdminToken: strings.Repeat("a", 32), Sealer: testSealer(),
			Store: store, KV: kv.NewMemory(time.Now), Logger: slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: tc.level}))})
		if err != nil {
			t.Fatal(err)
		}
		srv.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", tc.path, nil))
		if got := strings.Contains(buf.String(), `"msg":"request"`); got != tc.wantLogged {
			t.Errorf("level %v, GET %s: logged %v, want %v (%q)", tc.level, tc.path, got, tc.wantLogged, buf.String())
		}
	}
}

// No log line holds the path a request sent, only its route: paths are
// whatever a client writes. (A tenant id of valid syntax is named, in its
// own field: at most 63 characters of a-z, 0-9 and "-".)
func TestLogsNameRoutesNotPaths(t *testing.T) {
	var buf strings.Builder
	srv, err := server.New(server.Config{BaseURL: "http://127.0.0.1:1", AdminToken: strings.Repeat("a", 32), Sealer: testSealer(),
		Store: newTestStore(t), KV: kv.NewMemory(time.Now), Logger: slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{
		"/t/markerxyzzy/.well-known/openid-configuration", // an unknown tenant: an error logged at warn
		"/t/markerxyzzy/jwks.json",
		"/admin/v1/tenants/markerxyzzy/clients/CLIENT-MARKER-Q",
		"/PATH-MARKER-Z/" + strings.Repeat("w", 4096),
	} {
		srv.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", path, nil))
	}
	logs := buf.String()
	for _, leak := range []string{`"path"`, "CLIENT-MARKER-Q", "PATH-MARKER-Z", "wwww"} {
		if strings.Contains(logs, leak) {
			t.Errorf("the log holds %q from a request's path:\n%s", leak, logs)
		}
	}
	if strings.Count(logs, "markerxyzzy") != strings.Count(logs, `"tenant":"markerxyzzy"`) {
		t.Errorf("the tenant id appears outside the tenant field:\n%s", logs)
	}
	if !strings.Contains(logs, `"route":"GET /t/{tenant}/.well-known/openid-configuration"`) {
		t.Errorf("the log does not name the route:\n%s", logs)
	}
}
