package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/edgeauth/edgeauth/authz"
	"github.com/edgeauth/edgeauth/internal/safehttp"
	"github.com/edgeauth/edgeauth/jwks"
	"github.com/edgeauth/edgeauth/storage/kv"
	"github.com/edgeauth/edgeauth/storage/sqlstore"
)

func serve(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("serve", flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:8787", "listen address")
	dbPath := fs.String("db", "edgeauth.db", "SQLite database file")
	baseURL := fs.String("base-url", "", "public base URL (default http://<addr>); the issuer of tenant T is BASE/t/T")
	every := fs.Duration("cron", 15*time.Minute, "how often to run the scheduled job (key rotation), like the Worker's cron trigger")
	fs.Parse(args)
	if *baseURL == "" {
		*baseURL = "http://" + *addr
	}
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil))

	store, db, err := sqlstore.OpenSQLite(*dbPath)
	if err != nil {
		return err
	}
	defer db.Close()
	srv, err := newServer(*baseURL, store, log)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	go schedule(ctx, srv, log, *every)
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		hs.Shutdown(shutdown)
	}()
	log.Info("edgeauth serving", "addr", ln.Addr().String(), "base_url", *baseURL, "db", *dbPath)
	if err := hs.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// newServer builds the native server from ADMIN_TOKEN and
// KEY_ENCRYPTION_KEY in the environment.
func newServer(baseURL string, store *sqlstore.Store, log *slog.Logger) (*authz.Server, error) {
	sealer, err := jwks.SealerFromKEK(os.Getenv("KEY_ENCRYPTION_KEY"))
	if err != nil {
		return nil, fmt.Errorf("KEY_ENCRYPTION_KEY: %w", err)
	}
	return authz.New(authz.Config{
		BaseURL:    baseURL,
		AdminToken: os.Getenv("ADMIN_TOKEN"),
		Sealer:     sealer,
		Store:      store,
		KV:         kv.NewMemory(time.Now),
		// Client ID Metadata Documents: public addresses only, except when
		// the server itself runs on loopback (development).
		MetadataTransport: safehttp.NewTransport(strings.HasPrefix(baseURL, "http://"), 5*time.Second),
		Logger:            log,
	})
}

func printSecret() error {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return err
	}
	fmt.Println(base64.RawURLEncoding.EncodeToString(b))
	return nil
}

// schedule runs the scheduled job at start and then every interval, as the
// Worker's cron trigger does.
func schedule(ctx context.Context, srv *authz.Server, log *slog.Logger, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if err := srv.RunScheduled(ctx); err != nil {
			log.Error("scheduled job failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
