//go:build js && wasm

// Command worker is edgeauth's Cloudflare Worker entry: it wires the D1
// binding DB, the KV binding KV and the Worker's variables and secrets to
// the authz handler. Build it with `make build-worker`.
//
// It runs under worker.mjs, a pool of live instances per isolate: main
// runs once per instance, builds the handler from the bindings of the
// request that started the instance, and then serves one request after
// another through cfworker.Serve (DESIGN.md, Runtime).
package main

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"os"

	"github.com/syumai/workers/cloudflare"

	"github.com/edgeauth/edgeauth/cfworker"
	"github.com/edgeauth/edgeauth/jwks"
	"github.com/edgeauth/edgeauth/ratelimit"
	"github.com/edgeauth/edgeauth/server"
	"github.com/edgeauth/edgeauth/storage"
	"github.com/edgeauth/edgeauth/storage/kv"
	"github.com/edgeauth/edgeauth/storage/sqlstore"
)

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: logLevel()}))
	srv, err := build(log)
	if err != nil {
		// A misconfigured Worker answers every request with a JSON
		// server_error and logs why (never a secret's value).
		log.Error("edgeauth is misconfigured", "err", err)
		serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Cache-Control", "no-store")
			w.WriteHeader(http.StatusInternalServerError)
			w.Write([]byte(`{"error":"server_error","error_description":"the server is misconfigured; see its logs"}` + "\n"))
		}), func(context.Context) error { return err })
		return
	}
	serve(srv, srv.RunScheduled)
}

// logLevel reads the LOG_LEVEL var (debug, info, warn or error; info if
// unset or unknown). Every log line is a console.log in the Worker, which
// costs noticeable CPU: "info" logs a line per failed request, "debug" one
// per request, "warn" none.
func logLevel() slog.Level {
	var l slog.Level
	if err := l.UnmarshalText([]byte(cloudflare.Getenv("LOG_LEVEL"))); err != nil {
		return slog.LevelInfo
	}
	return l
}

// wrapStore, when set, wraps the D1 store: only the pool test's build
// sets it (panichook.go).
var wrapStore func(storage.Store) storage.Store

func build(log *slog.Logger) (*server.Server, error) {
	store, err := sqlstore.NewD1("DB")
	if err != nil {
		return nil, errors.New("worker: the D1 binding DB is missing")
	}
	var st storage.Store = store
	if wrapStore != nil {
		st = wrapStore(st)
	}
	kvs, err := kv.NewWorkers("KV")
	if err != nil {
		return nil, errors.New("worker: the KV binding KV is missing")
	}
	sealer, err := jwks.SealerFromKEK(cloudflare.Getenv("KEY_ENCRYPTION_KEY"))
	if err != nil {
		return nil, err
	}
	// Rate limits through the Workers Rate Limiting bindings. Without them
	// (a config that lacks [[ratelimits]], or a secondary Worker of a
	// multi-config wrangler dev, where they are not wired) each instance
	// limits in memory instead, and says so: weaker, never absent.
	var limiter ratelimit.Limiter = cfworker.RateLimiter{}
	if err := cfworker.CheckRateLimits(); err != nil {
		log.Warn("rate limiting per instance in memory", "reason", err.Error())
		limiter = ratelimit.NewMemoryLimiter(nil, nil)
	}
	return server.New(server.Config{
		BaseURL:    cloudflare.Getenv("BASE_URL"),
		AdminToken: cloudflare.Getenv("ADMIN_TOKEN"),
		Sealer:     sealer,
		Store:      st,
		KV:         kvs,
		Logger:     log,
		// PBKDF2 through WebCrypto: workerd runs it natively, about ten
		// times faster than Go's SHA-512 compiled to wasm.
		DeriveKey: cfworker.PBKDF2SHA512,
		// Token signatures through WebCrypto too: natively in workerd,
		// where Go's ECDSA in wasm takes 2-3 ms and RSA 8 ms per token.
		SignBackend: cfworker.SignBackend,
		// Client ID Metadata Documents through the runtime's fetch, aborted
		// at the fetch's deadline (authz bounds it to 5 s), redirects not
		// followed; syumai's fetch transport would run on past it, and
		// leaks a callback per call. Cloudflare's fetch cannot reach
		// private networks.
		MetadataTransport: cfworker.FetchTransport{MaxBody: 64 << 10},
		// Upstream identity providers through the runtime's fetch, which
		// cfworker aborts at the sign-in's deadline; Cloudflare's fetch
		// reaches no private network. INSECURE_LOOPBACK_UPSTREAMS=true lets
		// connections name loopback providers: for wrangler dev only.
		UpstreamTransport:         cfworker.FetchTransport{},
		InsecureLoopbackUpstreams: cloudflare.Getenv("INSECURE_LOOPBACK_UPSTREAMS") == "true",
		// Keyed by the address Cloudflare puts in CF-Connecting-IP.
		Limiter:        limiter,
		ClientIPHeader: "CF-Connecting-IP",
		// The record cache (default TTL): the instances of this isolate
		// drop it together when one of them changes a record; other
		// isolates see a change within the TTL.
		CacheGeneration: cacheGeneration(),
		// Under the pool, a handler's panic goes on once its 500 is
		// written and logged, so that cfworker.Serve reports it and the
		// pool drops this instance, whose state the panic may have left
		// half-updated (worker.mjs, rule 5).
		PropagatePanics: propagatePanics,
	})
}
