//go:build js && wasm

// Command worker is edgeauth's Cloudflare Worker entry: it wires the D1
// binding DB, the KV binding KV and the Worker's variables and secrets to
// the authz handler. Build it with `make build-worker`.
package main

import (
	"database/sql"
	"errors"
	"log/slog"
	"net/http"
	"os"

	"github.com/syumai/workers"
	"github.com/syumai/workers/cloudflare"
	"github.com/syumai/workers/cloudflare/d1"

	"github.com/edgeauth/edgeauth/authz"
	"github.com/edgeauth/edgeauth/jwks"
	"github.com/edgeauth/edgeauth/storage/kv"
	"github.com/edgeauth/edgeauth/storage/sqlstore"
)

func main() {
	workers.Serve(handler())
}

// handler builds the server from the Worker's bindings. A misconfigured
// Worker answers every request with a JSON server_error and logs why
// (never a secret's value).
func handler() http.Handler {
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	srv, err := build(log)
	if err != nil {
		log.Error("edgeauth is misconfigured", "err", err)
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Cache-Control", "no-store")
			w.WriteHeader(http.StatusInternalServerError)
			w.Write([]byte(`{"error":"server_error","error_description":"the server is misconfigured; see its logs"}` + "\n"))
		})
	}
	return srv
}

func build(log *slog.Logger) (*authz.Server, error) {
	conn, err := d1.OpenConnector("DB")
	if err != nil {
		return nil, errors.New("worker: the D1 binding DB is missing")
	}
	store := sqlstore.New(sql.OpenDB(conn))
	kvs, err := kv.NewWorkers("KV")
	if err != nil {
		return nil, errors.New("worker: the KV binding KV is missing")
	}
	kek, err := jwks.ParseKEK(cloudflare.Getenv("KEY_ENCRYPTION_KEY"))
	if err != nil {
		return nil, err
	}
	sealer, err := jwks.NewSealer(kek)
	if err != nil {
		return nil, err
	}
	return authz.New(authz.Config{
		BaseURL:    cloudflare.Getenv("BASE_URL"),
		AdminToken: cloudflare.Getenv("ADMIN_TOKEN"),
		Sealer:     sealer,
		Store:      store,
		KV:         kvs,
		Logger:     log,
	})
}
