package authz

import (
	"context"
	"crypto/rand"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/edgeauth/edgeauth/audit"
	"github.com/edgeauth/edgeauth/internal/expiring"
	"github.com/edgeauth/edgeauth/internal/secret"
	"github.com/edgeauth/edgeauth/internal/syntax"
	"github.com/edgeauth/edgeauth/jwks"
	"github.com/edgeauth/edgeauth/ratelimit"
	"github.com/edgeauth/edgeauth/storage"
	"github.com/edgeauth/edgeauth/storage/storecache"
	"github.com/edgeauth/edgeauth/verify"
)

// Config is what the protocol endpoints need. The server package builds
// it from its own Config; BaseURL, Store, Fresh, KV, Sealer, Keys, Audit
// and Limiter are required.
type Config struct {
	// BaseURL is the public origin; the issuer of tenant T is
	// BaseURL + "/t/" + T.
	BaseURL string
	// Store is read on every request; it may be the record cache
	// (storage/storecache) in front of the database.
	Store storage.Store
	// Fresh is the same store read past any cache: a signing key missing
	// from the cached list is looked up there before a token is refused.
	Fresh storage.Store
	// Cache keeps values derived from records (signers, documents); nil
	// keeps none.
	Cache *storecache.Store
	// KV holds authorization codes and the JWKS document.
	KV     storage.KV
	Sealer *jwks.Sealer
	Keys   *jwks.Publisher
	Audit  *audit.Log
	// Limiter and ClientIPHeader: see ratelimit.
	Limiter        ratelimit.Limiter
	ClientIPHeader string
	// RefreshKey signs refresh tokens (refresh.go): 32 bytes, the
	// key-encryption key's subkey for RefreshKeyPurpose.
	RefreshKey []byte
	// MetadataTransport fetches Client ID Metadata Documents; nil disables
	// them.
	MetadataTransport http.RoundTripper
	// SignBackend signs tokens with an opened key; nil means Go's crypto.
	SignBackend jwks.Backend
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Rand is the source of secrets; nil means crypto/rand.Reader.
	Rand io.Reader
	// Logger receives what failed, never a secret; nil discards.
	Logger *slog.Logger
}

// Server serves the protocol endpoints. Build it with New.
type Server struct {
	cfg Config
	log *slog.Logger

	signers  *storecache.Memo[*jwks.Signer]
	keys     *storecache.Memo[verify.Key]
	docs     *storecache.Memo[[]byte]
	jwksDocs *storecache.Memo[jwks.Doc]
	fetched  *expiring.Map[string, fetchedDoc] // metadata documents (cimd.go)
	refresh  refreshKey                        // refresh tokens' MACs (refresh.go)
	device   *DeviceFlow                       // RFC 8628 (device.go)
	exchange *exchanger                        // RFC 8693 (grant_exchange.go)
}

// New checks cfg and builds the server.
func New(cfg Config) (*Server, error) {
	var errs []error
	for name, missing := range map[string]bool{
		"Store": cfg.Store == nil, "Fresh": cfg.Fresh == nil, "KV": cfg.KV == nil, "Sealer": cfg.Sealer == nil,
		"Keys": cfg.Keys == nil, "Audit": cfg.Audit == nil, "Limiter": cfg.Limiter == nil,
	} {
		if missing {
			errs = append(errs, errors.New("authz: Config."+name+" is required"))
		}
	}
	if cfg.BaseURL == "" {
		errs = append(errs, errors.New("authz: Config.BaseURL is required"))
	}
	if len(cfg.RefreshKey) < 32 {
		errs = append(errs, errors.New("authz: Config.RefreshKey must be 32 bytes"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{
		cfg: cfg, log: cfg.Logger, refresh: refreshKey(cfg.RefreshKey),
		signers:  storecache.NewMemo[*jwks.Signer](cfg.Cache, "signer"),
		keys:     storecache.NewMemo[verify.Key](cfg.Cache, "public"),
		docs:     storecache.NewMemo[[]byte](cfg.Cache, "discovery"),
		jwksDocs: storecache.NewMemo[jwks.Doc](cfg.Cache, "jwks"),
		fetched:  expiring.New[string, fetchedDoc](cimdKeepMax),
	}
	s.device, s.exchange = &DeviceFlow{s: s}, &exchanger{s: s}
	return s, nil
}

// Tenant loads the tenant named in r's path. A malformed or unknown id is
// not_found: both mean there is no such issuer.
func (s *Server) Tenant(ctx context.Context, r *http.Request) (storage.Tenant, error) {
	return LoadTenant(ctx, s.cfg.Store, r.PathValue("tenant"))
}

// LoadTenant reads tenant id from store; a malformed or unknown id is
// not_found.
func LoadTenant(ctx context.Context, store storage.Tenants, id string) (storage.Tenant, error) {
	if !syntax.ValidTenantID(id) {
		return storage.Tenant{}, Errorf(CodeNotFound, "tenant not found")
	}
	t, err := store.GetTenant(ctx, id)
	if err != nil {
		return storage.Tenant{}, StorageError(err, "tenant")
	}
	return t, nil
}

// Issuer is the issuer identifier of tenant id.
func (s *Server) Issuer(id string) string { return s.cfg.BaseURL + "/t/" + id }

// IssuerPath is the path of the tenant's issuer, for same-origin
// redirects (BaseURL has no path).
func IssuerPath(tenant string) string { return "/t/" + tenant }

// Now is the server clock in UTC, truncated to the second like storage.
func (s *Server) Now() time.Time { return s.cfg.Now().UTC().Truncate(time.Second) }

// NewSecret returns n random bytes, base64url-encoded (internal/secret).
func (s *Server) NewSecret(n int) (string, error) { return secret.New(s.cfg.Rand, n) }

// Limit applies rule to key and answers 429 too_many_requests with
// Retry-After when it is exceeded. A limiter failure lets the request
// through, logged: the lockout and the other controls still hold.
func (s *Server) Limit(ctx context.Context, rule ratelimit.Rule, key string) error {
	ok, retry, err := s.cfg.Limiter.Allow(ctx, rule, key)
	if err != nil {
		s.log.WarnContext(ctx, "rate limiter failed", "rule", string(rule), "err", err)
		return nil
	}
	if ok {
		return nil
	}
	return &Error{Code: CodeTooManyRequests, Description: "too many requests; try again later", RetryAfter: max(retry, time.Second)}
}

// ClientIP is r's client address as a rate-limit key (ratelimit.ClientIP).
func (s *Server) ClientIP(r *http.Request) string { return ratelimit.ClientIP(r, s.cfg.ClientIPHeader) }

// record appends an audit event (audit.Log.Record).
func (s *Server) record(ctx context.Context, tenant, event, actor, subject string, detail map[string]any) {
	s.cfg.Audit.Record(ctx, tenant, event, actor, subject, detail)
}
