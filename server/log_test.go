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
