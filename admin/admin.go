package admin

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"io"
	"log/slog"
	"net/http"

	"github.com/edgeauth/edgeauth/audit"
	"github.com/edgeauth/edgeauth/authz"
	"github.com/edgeauth/edgeauth/connections"
	"github.com/edgeauth/edgeauth/jwks"
	"github.com/edgeauth/edgeauth/password"
	"github.com/edgeauth/edgeauth/ratelimit"
	"github.com/edgeauth/edgeauth/storage"
)

// MinTokenLen is the shortest admin token New accepts.
const MinTokenLen = 32

// Config is what the admin API needs; every field but Logger is required.
type Config struct {
	// Authz renders errors and validates client metadata like the
	// protocol endpoints do.
	Authz *authz.Server
	// Store is read past any record cache (storecache.Store.Uncached):
	// admin handlers read, modify and write back.
	Store     storage.Store
	Keys      *jwks.Publisher
	Sealer    *jwks.Sealer
	Passwords password.Hasher
	Audit     *audit.Log
	// Connections checks connections and seals their client secrets.
	Connections *connections.Broker
	// Token is the admin API's bearer token (ADMIN_TOKEN): at least
	// MinTokenLen characters.
	Token string
	// Rand is the source of new keys; Retention how long audit events are
	// kept (for the documentation of the audit listing only).
	Rand   io.Reader
	Logger *slog.Logger
}

// API serves /admin/v1. Build it with New.
type API struct {
	cfg Config
	az  *authz.Server
}

// New checks cfg and builds the API.
func New(cfg Config) (*API, error) {
	if cfg.Authz == nil || cfg.Store == nil || cfg.Keys == nil || cfg.Sealer == nil || cfg.Audit == nil || cfg.Rand == nil || cfg.Connections == nil {
		return nil, errors.New("admin: Config.Authz, Store, Keys, Sealer, Audit, Rand and Connections are required")
	}
	if len(cfg.Token) < MinTokenLen {
		return nil, errors.New("admin: the admin token must be at least 32 characters (set ADMIN_TOKEN)")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &API{cfg: cfg, az: cfg.Authz}, nil
}

// tenant loads the tenant of r's path from the store, past any cache.
func (a *API) tenant(r *http.Request) (storage.Tenant, error) {
	return authz.LoadTenant(r.Context(), a.cfg.Store, r.PathValue("tenant"))
}

// Guard wraps an admin API handler with bearer authentication (RFC 6750
// §2.1) against Config.Token. Admin handlers read records through
// Config.Store, never from the record cache: they read, modify and write
// back.
func (a *API) Guard(h authz.HandlerFunc) authz.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := a.az.Limit(r.Context(), ratelimit.LimitAdmin, a.az.ClientIP(r)); err != nil {
			return err
		}
		token, ok := authz.BearerToken(r)
		if !ok || !a.isAdminToken(token) {
			if err := a.az.Limit(r.Context(), ratelimit.LimitAdminFails, a.az.ClientIP(r)); err != nil {
				return err
			}
		}
		if !ok {
			a.authFailed(r, "no bearer token")
			return &authz.Error{Code: authz.CodeInvalidToken, Description: "the admin API needs Authorization: Bearer <ADMIN_TOKEN>",
				WWWAuthenticate: `Bearer realm="edgeauth-admin"`}
		}
		if !a.isAdminToken(token) {
			a.authFailed(r, "wrong token")
			return &authz.Error{Code: authz.CodeInvalidToken, Description: "the admin token is not valid",
				WWWAuthenticate: `Bearer realm="edgeauth-admin", error="invalid_token"`}
		}
		return h(w, r)
	}
}

// authFailed counts a failed authentication in the audit log: per client
// address and hour (audit.Log.Count), never one row per request, and with
// the route, never the path the request sent (which can be of any length
// and content).
func (a *API) authFailed(r *http.Request, reason string) {
	e := a.cfg.Audit.Event("", "admin.auth_failed", "", r.Pattern, map[string]any{"reason": reason})
	a.cfg.Audit.Count(r.Context(), e, a.az.ClientIP(r))
}

// isAdminToken compares in constant time. Hashing both sides first makes
// the comparison independent of the tokens' lengths too.
func (a *API) isAdminToken(token string) bool {
	got := sha256.Sum256([]byte(token))
	want := sha256.Sum256([]byte(a.cfg.Token))
	return subtle.ConstantTimeCompare(got[:], want[:]) == 1
}

// maxChangeAttempts bounds the rereads of change.
const maxChangeAttempts = 5

// change is a read-modify-write of one record under the store's
// compare-and-set (UpdateTenant, UpdateClient): read gets the record as
// stored, modify applies the request to it, and write stores it unless
// another change landed since the read (storage.ErrConflict), in which case
// it starts again from a new read. So two changes of one record at once
// both take effect, each applied on top of the other, and neither undoes
// the other (a PATCH writing back a secret that a rotation replaced
// meanwhile). write may complete the record (its UpdatedAt) before it
// stores it.
func change[T any](read func() (T, error), modify, write func(*T) error) (T, error) {
	for range maxChangeAttempts {
		v, err := read()
		if err != nil {
			return v, err
		}
		if err := modify(&v); err != nil {
			return v, err
		}
		if err := write(&v); !errors.Is(err, storage.ErrConflict) {
			return v, err
		}
	}
	var zero T
	return zero, authz.Errorf(authz.CodeConflict, "the record kept changing while this request was applied; try again")
}

// changeTenant is change for the tenant of r's path.
func (a *API) changeTenant(r *http.Request, modify func(*storage.Tenant) error) (storage.Tenant, error) {
	ctx := r.Context()
	return change(func() (storage.Tenant, error) { return a.tenant(r) }, modify, func(t *storage.Tenant) error {
		t.UpdatedAt = a.az.Now()
		return authz.StorageError(a.cfg.Store.UpdateTenant(ctx, *t), "tenant")
	})
}

// changeClient is change for the client of r's path.
func (a *API) changeClient(r *http.Request, modify func(*storage.Client) error) (storage.Client, error) {
	ctx := r.Context()
	return change(func() (storage.Client, error) { return a.client(r) }, modify, func(c *storage.Client) error {
		c.UpdatedAt = a.az.Now()
		return authz.StorageError(a.cfg.Store.UpdateClient(ctx, *c), "client")
	})
}
