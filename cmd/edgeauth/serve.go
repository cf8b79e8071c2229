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

	"github.com/edgeauth/edgeauth/connections"
	"github.com/edgeauth/edgeauth/internal/safehttp"
	"github.com/edgeauth/edgeauth/jwks"
	"github.com/edgeauth/edgeauth/server"
	"github.com/edgeauth/edgeauth/storage"
	"github.com/edgeauth/edgeauth/storage/kv"
	"github.com/edgeauth/edgeauth/storage/sqlstore"
)

// Timeouts of the native HTTP server. The write timeout must exceed the
// longest a handler normally takes: a Client ID Metadata Document fetch is
// bounded at metadataFetchTimeout, an upstream sign-in's calls at
// connections.DefaultTimeout.
const (
	readHeaderTimeout    = 10 * time.Second
	readTimeout          = 30 * time.Second
	writeTimeout         = 30 * time.Second
	idleTimeout          = 60 * time.Second
	metadataFetchTimeout = 5 * time.Second
)

// shutdownGrace is how long requests in flight may still run once a
// shutdown has begun (a variable for the tests).
var shutdownGrace = 5 * time.Second

// serveOptions are serve's flags.
type serveOptions struct {
	addr, dbPath, baseURL string
	every                 time.Duration
	// insecureLoopbackUpstreams: connections may name providers on
	// loopback hosts (development).
	insecureLoopbackUpstreams bool
}

// parseServeFlags parses and checks serve's command line.
func parseServeFlags(args []string) (serveOptions, error) {
	var o serveOptions
	fs := flag.NewFlagSet("serve", flag.ExitOnError)
	fs.StringVar(&o.addr, "addr", "127.0.0.1:8787", "listen address")
	fs.StringVar(&o.dbPath, "db", "edgeauth.db", "SQLite database file (a new one is created with mode 0600)")
	fs.StringVar(&o.baseURL, "base-url", "", "public base URL (default http://<addr>); the issuer of tenant T is BASE/t/T")
	fs.DurationVar(&o.every, "cron", 15*time.Minute, "how often to run the scheduled job (key rotation), like the Worker's cron trigger; must be positive")
	fs.BoolVar(&o.insecureLoopbackUpstreams, "insecure-loopback-upstreams", false,
		"let connections name upstream identity providers on loopback hosts, over http (development and tests on one machine only)")
	fs.Parse(args)
	switch {
	case fs.NArg() > 0:
		return o, &usageError{fmt.Sprintf("serve: unexpected argument %q (flags only; see edgeauth serve -h)", fs.Arg(0))}
	case o.every <= 0:
		return o, &usageError{fmt.Sprintf("serve: -cron %v: the interval must be positive (e.g. -cron 15m)", o.every)}
	}
	if o.baseURL == "" {
		o.baseURL = "http://" + o.addr
	}
	return o, nil
}

func serve(ctx context.Context, args []string) error {
	o, err := parseServeFlags(args)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil))

	// The configuration is checked before the database is opened, so that
	// a mistake creates no file and migrates nothing.
	cfg, err := serverConfig(o, log)
	if err != nil {
		return err
	}
	store, db, err := sqlstore.OpenSQLite(o.dbPath)
	if err != nil {
		return err
	}
	defer db.Close()
	cfg.Store = store
	srv, err := server.New(cfg)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return err
	}
	log.Info("edgeauth serving", "addr", ln.Addr().String(), "base_url", o.baseURL, "db", o.dbPath)
	return run(ctx, ln, newHTTPServer(srv), srv.RunScheduled, o.every, log)
}

// newHTTPServer is the native server's http.Server around h.
func newHTTPServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
	}
}

// run serves hs on ln and runs job at start and then every interval until
// ctx is done. Then it stops accepting connections and waits for the
// requests in flight, up to shutdownGrace, after which the connections
// still open are closed. Only once the server has shut down is the job's
// context cancelled; run returns after the job has returned too, so the
// caller may close the database.
func run(ctx context.Context, ln net.Listener, hs *http.Server, job func(context.Context) error, every time.Duration, log *slog.Logger) error {
	jobCtx, stopJob := context.WithCancel(context.WithoutCancel(ctx))
	jobDone := make(chan struct{})
	go func() {
		defer close(jobDone)
		schedule(jobCtx, job, log, every)
	}()
	defer func() {
		stopJob()
		<-jobDone
	}()

	served := make(chan struct{})   // closed when Serve has returned
	shutDown := make(chan error, 1) // Shutdown's result
	go func() {
		select {
		case <-ctx.Done():
		case <-served:
			return // Serve failed on its own
		}
		sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
		defer cancel()
		err := hs.Shutdown(sctx)
		if err != nil {
			hs.Close() // the grace is over: cut the connections still open
		}
		shutDown <- err
	}()
	err := hs.Serve(ln)
	close(served)
	if !errors.Is(err, http.ErrServerClosed) {
		hs.Close()
		return err
	}
	// Serve returns as soon as Shutdown has closed the listener; the
	// requests in flight end only when Shutdown returns.
	if err := <-shutDown; err != nil {
		log.Warn("shutdown: requests still in flight were cut off", "grace", shutdownGrace.String(), "err", err)
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// serverConfig is the native server's configuration from ADMIN_TOKEN and
// KEY_ENCRYPTION_KEY in the environment and the flags o, checked
// (server.Config.Check) before any database exists: the caller sets
// Config.Store once the database is open.
func serverConfig(o serveOptions, log *slog.Logger) (server.Config, error) {
	baseURL := o.baseURL
	sealer, err := jwks.SealerFromKEK(os.Getenv("KEY_ENCRYPTION_KEY"))
	if err != nil {
		return server.Config{}, fmt.Errorf("KEY_ENCRYPTION_KEY: %w", err)
	}
	cfg := server.Config{
		BaseURL:    baseURL,
		AdminToken: os.Getenv("ADMIN_TOKEN"),
		Sealer:     sealer,
		KV:         kv.NewMemory(time.Now),
		// Client ID Metadata Documents: public addresses only, except when
		// the server itself runs on loopback (development).
		MetadataTransport: safehttp.NewTransport(strings.HasPrefix(baseURL, "http://"), metadataFetchTimeout),
		// Upstream identity providers: public addresses only, unless the
		// development flag allows loopback ones.
		UpstreamTransport:         safehttp.NewTransport(o.insecureLoopbackUpstreams, connections.DefaultTimeout),
		InsecureLoopbackUpstreams: o.insecureLoopbackUpstreams,
		Logger:                    log,
	}
	check := cfg
	check.Store = unopenedStore{}
	if err := check.Check(); err != nil {
		return server.Config{}, err
	}
	return cfg, nil
}

// unopenedStore stands for the database while the configuration is
// checked: Check only asks whether there is a store.
type unopenedStore struct{ storage.Store }

func printSecret() error {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return err
	}
	fmt.Println(base64.RawURLEncoding.EncodeToString(b))
	return nil
}

// schedule runs job at start and then every interval until ctx is done,
// as the Worker's cron trigger does.
func schedule(ctx context.Context, job func(context.Context) error, log *slog.Logger, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if err := job(ctx); err != nil && ctx.Err() != nil {
			log.Warn("scheduled job cut short by the shutdown", "err", err)
		} else if err != nil {
			log.Error("scheduled job failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
