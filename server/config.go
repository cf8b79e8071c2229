package server

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/edgeauth/edgeauth/admin"
	"github.com/edgeauth/edgeauth/internal/syntax"
	"github.com/edgeauth/edgeauth/jwks"
	"github.com/edgeauth/edgeauth/password"
	"github.com/edgeauth/edgeauth/ratelimit"
	"github.com/edgeauth/edgeauth/storage"
	"github.com/edgeauth/edgeauth/storage/storecache"
)

// Config is everything the server needs. Store, KV, BaseURL, AdminToken and
// Sealer are required; New fails when one is missing.
type Config struct {
	// BaseURL is the public origin of the server, e.g.
	// "https://auth.example.com" (no path: the routes start at /). The
	// issuer of tenant T is BaseURL + "/t/" + T. It must be https unless
	// the host is a loopback address (local development).
	BaseURL string
	// AdminToken is the bearer token of the admin API: at least 32
	// characters.
	AdminToken string
	// Sealer encrypts private signing keys at rest under the
	// key-encryption key.
	Sealer *jwks.Sealer
	// Store holds tenants, clients, users, keys and grants.
	Store storage.Store
	// KV holds short-lived data: codes and the JWKS document.
	KV storage.KV
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Rand is the source of randomness for secrets and keys; nil means
	// crypto/rand.Reader.
	Rand io.Reader
	// MetadataTransport fetches Client ID Metadata Documents; nil disables
	// them. It is a RoundTripper, not an http.Client: redirects are never
	// followed, and the Worker's wasm does not carry net/http's own client
	// stack (TLS, HTTP/2), which http.Client.Do would pull in.
	// Natively use internal/safehttp's transport, which refuses
	// non-public addresses; in the Worker, the runtime's fetch.
	MetadataTransport http.RoundTripper
	// UpstreamTransport carries the requests of sign-ins through upstream
	// identity providers (package connections, golang.org/x/oauth2);
	// nil turns upstream sign-in off (connections can still be managed).
	// Redirects are never followed. Natively use internal/safehttp's
	// transport, which refuses non-public addresses; in the Worker
	// cfworker.FetchTransport, which stops at the sign-in's deadline.
	UpstreamTransport http.RoundTripper
	// InsecureLoopbackUpstreams lets connections name upstream providers
	// on loopback hosts, over http or https: for development and tests on
	// one machine (an edgeauth tenant on 127.0.0.1 as the provider of
	// another), never for a server others use. The transport must allow
	// loopback too.
	InsecureLoopbackUpstreams bool
	// UpstreamTimeout bounds the upstream calls of one sign-in; zero means
	// connections.DefaultTimeout (10 s).
	UpstreamTimeout time.Duration
	// DeriveKey is PBKDF2-HMAC-SHA512 for password hashes; nil means
	// crypto/pbkdf2. The Worker passes WebCrypto's, which workerd runs
	// natively (cfworker).
	DeriveKey password.DeriveKeyFunc
	// SignBackend signs tokens with an opened key; nil means Go's crypto.
	// The Worker passes WebCrypto's (cfworker), which workerd runs natively
	// (Go's ECDSA and RSA in wasm take milliseconds per signature).
	SignBackend jwks.Backend
	// Limiter enforces the rate limits; nil means a
	// ratelimit.MemoryLimiter with ratelimit.DefaultRates.
	Limiter ratelimit.Limiter
	// ClientIPHeader names a header that carries the client's address,
	// set by a trusted proxy ("CF-Connecting-IP" in the Worker); empty
	// means the connection's address. Never name a header clients can set
	// unchecked.
	ClientIPHeader string
	// AuditRetention is how long audit events are kept; zero means
	// cron.DefaultAuditRetention.
	AuditRetention time.Duration
	// Logger receives one line per failed request, never a secret; nil
	// discards.
	Logger *slog.Logger
	// CacheTTL bounds how long tenants, clients, key lists, the JWKS and
	// opened signing keys are served from memory (storage/storecache): a
	// change made by another server or isolate takes effect within it; a
	// change made through this server at once. Zero means
	// storecache.DefaultTTL (30 s); negative turns the cache off.
	CacheTTL time.Duration
	// CacheGeneration is shared by servers whose caches must drop each
	// other's stale entries at once (the Worker's instances in one
	// isolate); nil means this server's own.
	CacheGeneration storecache.Generation
	// PropagatePanics passes a handler's panic on once its 500
	// server_error is written and logged, so that ServeHTTP panics with
	// the same value: for a runtime that must learn of it, like the
	// Worker's pool, which drops the Go instance whose state the panic
	// may have left half-updated (cfworker answers its own 500 in place
	// of whatever was written). False recovers the panic in the handler,
	// so one bad request never takes the server down.
	PropagatePanics bool
}

// Check reports what is wrong with cfg, all of it at once, without
// building anything: New calls it, and a runtime can call it before it
// opens its database.
func (c Config) Check() error {
	var errs []error
	if c.Store == nil {
		errs = append(errs, errors.New("server: Config.Store is required"))
	}
	if c.KV == nil {
		errs = append(errs, errors.New("server: Config.KV is required"))
	}
	if c.Sealer == nil {
		errs = append(errs, errors.New("server: Config.Sealer is required (set KEY_ENCRYPTION_KEY)"))
	}
	if len(c.AdminToken) < admin.MinTokenLen {
		errs = append(errs, fmt.Errorf("server: Config.AdminToken must be at least %d characters (set ADMIN_TOKEN)", admin.MinTokenLen))
	}
	if err := checkBaseURL(c.BaseURL); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// withDefaults fills the optional fields.
func (c Config) withDefaults() Config {
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Rand == nil {
		c.Rand = rand.Reader
	}
	if c.Limiter == nil {
		c.Limiter = ratelimit.NewMemoryLimiter(nil, c.Now)
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

func checkBaseURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || s == "" {
		return errors.New("server: Config.BaseURL must be an absolute URL (set BASE_URL)")
	}
	switch {
	case u.Scheme != "https" && !(u.Scheme == "http" && syntax.IsLoopbackHost(u.Hostname())):
		return fmt.Errorf("server: Config.BaseURL %q must use https (http only on a loopback host)", s)
	case u.Host == "" || u.User != nil || u.Path != "" || u.RawQuery != "" || u.Fragment != "" || strings.HasSuffix(s, "/"):
		return fmt.Errorf("server: Config.BaseURL %q must be scheme://host[:port], without path, query or trailing slash", s)
	}
	return nil
}
