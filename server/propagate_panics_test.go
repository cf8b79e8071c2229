//go:build !js

package server_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/edgeauth/edgeauth/server"
	"github.com/edgeauth/edgeauth/storage"
	"github.com/edgeauth/edgeauth/storage/kv"
	"github.com/edgeauth/edgeauth/storage/storagefault"
)

// TestPropagatePanics: with Config.PropagatePanics a handler's panic
// leaves ServeHTTP with its own value, so that the Worker's pool learns of
// it and drops the instance (cfworker), once the same 500 answer as
// without the option is written and the request is logged.
func TestPropagatePanics(t *testing.T) {
	store, sealer := newTestStore(t), testSealer()
	if err := store.CreateTenant(context.Background(), storage.Tenant{ID: "acme"}); err != nil {
		t.Fatal(err)
	}
	armed := true
	var log strings.Builder
	srv, err := server.New(server.Config{BaseURL: "http://127.0.0.1:1", AdminToken: strings.Repeat("a", 32), Sealer: sealer,
		Store: panicStore{Store: storagefault.Store{Store: store, In: &storagefault.Injector{}}, armed: &armed}, KV: kv.NewMemory(time.Now),
		Logger: slog.New(slog.NewJSONHandler(&log, nil)), PropagatePanics: true})
	if err != nil {
		t.Fatal(err)
	}
	serve := func(path string) (rec *httptest.ResponseRecorder, panicked any) {
		rec = httptest.NewRecorder()
		defer func() { panicked = recover() }()
		srv.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		return rec, nil
	}

	// A JSON endpoint: the answer is the JSON server_error.
	log.Reset()
	rec, p := serve("/t/acme/.well-known/openid-configuration")
	if p != "boom: a bug in a handler" {
		t.Fatalf("ServeHTTP panicked with %v; want the handler's panic value", p)
	}
	var body struct{ Error, ErrorDescription string }
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || rec.Code != 500 || body.Error != "server_error" ||
		rec.Header().Get("Content-Type") != "application/json" || strings.Contains(rec.Body.String(), "boom") {
		t.Errorf("answer %d %q %q (%v); want a JSON server_error without the panic's text", rec.Code, rec.Header().Get("Content-Type"), rec.Body, err)
	}
	// The cause and the request's line, both logged once.
	if n := strings.Count(log.String(), `"msg":"request failed"`); n != 1 || !strings.Contains(log.String(), "server: panic: boom") {
		t.Errorf("the panic's cause is logged %d times; want once: %s", n, log.String())
	}
	if n := strings.Count(log.String(), `"msg":"request"`); n != 1 || !strings.Contains(log.String(), `"status":500`) {
		t.Errorf("the request is logged %d times; want once, as a 500: %s", n, log.String())
	}

	// A browser endpoint panics out too, after its HTML error page.
	rec, p = serve("/t/acme/authorize?client_id=x")
	if p == nil || rec.Code != 500 || strings.Contains(rec.Body.String(), "boom") {
		t.Errorf("GET /authorize: panicked %v, answer %d %q; want a panic and a 500 without the panic's text", p, rec.Code, rec.Body)
	}

	// Requests that do not panic are served and logged as usual.
	armed = false
	log.Reset()
	if rec, p = serve("/t/acme/.well-known/openid-configuration"); p != nil || rec.Code != 200 {
		t.Errorf("without a panic: panicked %v, answer %d; want 200", p, rec.Code)
	}
	if rec, p = serve("/t/nope/jwks.json"); p != nil || rec.Code != 404 {
		t.Errorf("unknown tenant: panicked %v, answer %d; want 404", p, rec.Code)
	}
	if n := strings.Count(log.String(), `"msg":"request"`); n != 1 {
		t.Errorf("%d request lines for one failed request; want 1: %s", n, log.String())
	}
}
