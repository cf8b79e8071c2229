package server

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/edgeauth/edgeauth/admin"
	"github.com/edgeauth/edgeauth/audit"
	"github.com/edgeauth/edgeauth/authflow"
	"github.com/edgeauth/edgeauth/authz"
	"github.com/edgeauth/edgeauth/connections"
	"github.com/edgeauth/edgeauth/cron"
	"github.com/edgeauth/edgeauth/internal/syntax"
	"github.com/edgeauth/edgeauth/jwks"
	"github.com/edgeauth/edgeauth/password"
	"github.com/edgeauth/edgeauth/session"
	"github.com/edgeauth/edgeauth/storage/storecache"
)

// Server is the whole HTTP surface of edgeauth and its scheduled job.
// Build it with New.
type Server struct {
	cfg   Config
	log   *slog.Logger
	mux   router
	authz *authz.Server
	flow  *authflow.Flow
	admin *admin.API
	job   *cron.Job
}

// New checks cfg and builds the server: the record cache in front of the
// store (unless Config.CacheTTL is negative), and the parts it composes,
// each given the store it may use: the protocol endpoints and the browser
// flow read through the cache, the admin API and the scheduled job past
// it.
func New(cfg Config) (*Server, error) {
	if err := cfg.Check(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	log := cfg.Logger
	raw, cached, fresh := cfg.Store, cfg.Store, cfg.Store
	var cache *storecache.Store
	if cfg.CacheTTL >= 0 {
		cache = storecache.New(raw, cfg.CacheTTL, cfg.Now, cfg.CacheGeneration)
		cached, fresh = cache, cache.Uncached()
	}
	keys := &jwks.Publisher{Keys: fresh, KV: cfg.KV, Logger: log}
	if cache != nil {
		keys.Changed = cache.Changed
	}
	auditLog := &audit.Log{Store: fresh, Now: cfg.Now, Logger: log}
	passwords := password.Hasher{Derive: cfg.DeriveKey, Rand: cfg.Rand}

	az, err := authz.New(authz.Config{
		BaseURL: cfg.BaseURL, Store: cached, Fresh: fresh, Cache: cache, KV: cfg.KV,
		Sealer: cfg.Sealer, Keys: keys, Audit: auditLog, Limiter: cfg.Limiter, ClientIPHeader: cfg.ClientIPHeader,
		RefreshKey:        cfg.Sealer.Subkey(authz.RefreshKeyPurpose),
		MetadataTransport: cfg.MetadataTransport, SignBackend: cfg.SignBackend, Now: cfg.Now, Rand: cfg.Rand, Logger: log,
	})
	if err != nil {
		return nil, err
	}
	// Connections are read past the record cache: a deleted one stops
	// working at once.
	broker, err := connections.New(connections.Config{
		Store: fresh, Transport: cfg.UpstreamTransport, SecretKey: cfg.Sealer.Subkey(connections.SecretKeyPurpose),
		InsecureLoopback: cfg.InsecureLoopbackUpstreams, Timeout: cfg.UpstreamTimeout, Now: cfg.Now, Rand: cfg.Rand, Logger: log,
	})
	if err != nil {
		return nil, err
	}
	flow, err := authflow.New(authflow.Config{
		Authz: az, Store: cached, Audit: auditLog, Passwords: passwords, Logger: log, Connections: broker,
		PendingKey:    cfg.Sealer.Subkey(authflow.PendingKeyPurpose),
		Sessions:      &session.Store{DB: fresh, Now: cfg.Now, Rand: cfg.Rand},
		SecureCookies: strings.HasPrefix(cfg.BaseURL, "https://"),
	})
	if err != nil {
		return nil, err
	}
	api, err := admin.New(admin.Config{
		Authz: az, Store: fresh, Keys: keys, Sealer: cfg.Sealer, Passwords: passwords, Audit: auditLog,
		Connections: broker, Token: cfg.AdminToken, Rand: cfg.Rand, Logger: log,
	})
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg: cfg, log: log, authz: az, flow: flow, admin: api,
		job: &cron.Job{Store: fresh, Keys: keys, Sealer: cfg.Sealer, Rand: cfg.Rand, Audit: auditLog,
			AuditRetention: cfg.AuditRetention, LockoutWindow: authflow.LockoutWindow, Now: cfg.Now, Logger: log},
	}
	s.routes()
	return s, nil
}

// RunScheduled runs the scheduled job once (package cron): key rotation
// and pruning.
func (s *Server) RunScheduled(ctx context.Context) error { return s.job.Run(ctx) }

func (s *Server) routes() {
	m := &s.mux
	az, fl, ad, ac := s.authz, s.flow, s.admin, s.admin.Access()
	m.handle("GET /healthz", s.json(func(w http.ResponseWriter, r *http.Request) error {
		authz.WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
		return nil
	}))

	// Discovery and keys (public).
	m.handleCORS("GET /.well-known/oauth-authorization-server/t/{tenant}", s.json(az.Metadata), corsAnyOrigin)
	m.handleCORS("GET /t/{tenant}/.well-known/oauth-authorization-server", s.json(az.Metadata), corsAnyOrigin)
	m.handleCORS("GET /t/{tenant}/.well-known/openid-configuration", s.json(az.OpenIDConfiguration), corsAnyOrigin)
	// The path-inserted form, which MCP clients try after RFC 8414's (MCP
	// authorization, 2025-11-25: authorization server metadata discovery).
	m.handleCORS("GET /.well-known/openid-configuration/t/{tenant}", s.json(az.OpenIDConfiguration), corsAnyOrigin)
	m.handleCORS("GET /t/{tenant}/jwks.json", s.json(az.JWKS), corsAnyOrigin)

	// OAuth 2.1: browser flow (HTML), then the back-channel endpoints (JSON).
	m.handle("GET /t/{tenant}/authorize", s.page(fl.Authorize))
	m.handle("POST /t/{tenant}/authorize", s.page(fl.Authorize))
	m.handle("GET /t/{tenant}/login", s.page(fl.LoginForm))
	m.handle("POST /t/{tenant}/login", s.page(fl.Login))
	m.handle("GET /t/{tenant}/consent", s.page(fl.ConsentForm))
	m.handle("POST /t/{tenant}/consent", s.page(fl.Consent))
	m.handle("GET /t/{tenant}/logout", s.page(fl.Logout))
	m.handle("POST /t/{tenant}/logout", s.page(fl.Logout))
	m.handle("GET /t/{tenant}/device", s.page(fl.DeviceForm))
	m.handle("POST /t/{tenant}/device", s.page(fl.Device))
	m.handle("POST /t/{tenant}/upstream", s.page(fl.StartUpstream))
	m.handle("GET /t/{tenant}/callback/{connection}", s.page(fl.UpstreamCallback))
	m.handleCORS("POST /t/{tenant}/token", s.json(az.Token), corsClient)
	m.handleCORS("POST /t/{tenant}/revoke", s.json(az.Revoke), corsClient)
	m.handleCORS("POST /t/{tenant}/device_authorization", s.json(func(w http.ResponseWriter, r *http.Request) error {
		return az.Device().Authorization(w, r)
	}), corsClient)
	m.handle("POST /t/{tenant}/introspect", s.json(az.Introspect))
	m.handleCORS("POST /t/{tenant}/register", s.json(az.Register), corsAnyOrigin)
	m.handleCORS("GET /t/{tenant}/userinfo", s.json(az.Userinfo), corsAnyOrigin)
	m.handleCORS("POST /t/{tenant}/userinfo", s.json(az.Userinfo), corsAnyOrigin)

	// Admin API.
	for _, r := range []struct {
		pattern string
		h       authz.HandlerFunc
	}{
		{"POST /admin/v1/tenants", ad.CreateTenant},
		{"GET /admin/v1/tenants/{tenant}", ad.GetTenant},
		{"PATCH /admin/v1/tenants/{tenant}", ad.PatchTenant},
		{"DELETE /admin/v1/tenants/{tenant}", ad.DeleteTenant},
		{"POST /admin/v1/tenants/{tenant}/registration-token", ad.NewRegistrationToken},
		{"POST /admin/v1/tenants/{tenant}/clients", ad.CreateClient},
		{"GET /admin/v1/tenants/{tenant}/clients", ad.ListClients},
		{"GET /admin/v1/tenants/{tenant}/clients/{client}", ad.GetClient},
		{"PATCH /admin/v1/tenants/{tenant}/clients/{client}", ad.PatchClient},
		{"DELETE /admin/v1/tenants/{tenant}/clients/{client}", ad.DeleteClient},
		{"POST /admin/v1/tenants/{tenant}/clients/{client}/secret", ad.RotateClientSecret},
		{"POST /admin/v1/tenants/{tenant}/users", ad.CreateUser},
		{"GET /admin/v1/tenants/{tenant}/users", ad.ListUsers},
		{"GET /admin/v1/tenants/{tenant}/users/{user}", ad.GetUser},
		{"PATCH /admin/v1/tenants/{tenant}/users/{user}", ad.PatchUser},
		{"DELETE /admin/v1/tenants/{tenant}/users/{user}", ad.DeleteUser},
		{"POST /admin/v1/tenants/{tenant}/users/{user}/disable", ac.DisableUser},
		{"POST /admin/v1/tenants/{tenant}/users/{user}/enable", ac.EnableUser},
		{"GET /admin/v1/tenants/{tenant}/users/{user}/sessions", ac.ListSessions},
		{"DELETE /admin/v1/tenants/{tenant}/users/{user}/sessions", ac.RevokeSessions},
		{"DELETE /admin/v1/tenants/{tenant}/users/{user}/sessions/{session}", ac.RevokeSession},
		{"GET /admin/v1/tenants/{tenant}/users/{user}/grants", ac.ListGrants},
		{"DELETE /admin/v1/tenants/{tenant}/users/{user}/grants", ac.RevokeGrants},
		{"DELETE /admin/v1/tenants/{tenant}/users/{user}/grants/{grant}", ac.RevokeGrant},
		{"GET /admin/v1/tenants/{tenant}/users/{user}/consents", ac.ListConsents},
		{"DELETE /admin/v1/tenants/{tenant}/users/{user}/consents", ac.RevokeConsents},
		{"DELETE /admin/v1/tenants/{tenant}/users/{user}/consents/{client}", ac.RevokeConsent},
		{"DELETE /admin/v1/tenants/{tenant}/users/{user}/identities/{connection}", ad.UnlinkIdentity},
		{"POST /admin/v1/tenants/{tenant}/connections", ad.CreateConnection},
		{"GET /admin/v1/tenants/{tenant}/connections", ad.ListConnections},
		{"GET /admin/v1/tenants/{tenant}/connections/{connection}", ad.GetConnection},
		{"PATCH /admin/v1/tenants/{tenant}/connections/{connection}", ad.PatchConnection},
		{"DELETE /admin/v1/tenants/{tenant}/connections/{connection}", ad.DeleteConnection},
		{"GET /admin/v1/tenants/{tenant}/keys", ad.ListKeys},
		{"GET /admin/v1/tenants/{tenant}/audit", ad.ListAudit},
		{"GET /admin/v1/audit", ad.ListAudit},
		{"POST /admin/v1/tenants/{tenant}/keys/rotate", ad.RotateKeys},
		{"DELETE /admin/v1/tenants/{tenant}/keys/{kid}", ad.RevokeKey},
	} {
		m.handle(r.pattern, s.json(ad.Guard(r.h)))
	}

	// The preflights of every route with a CORS rule (cors.go).
	m.corsRoutes()
}

// ServeHTTP routes r and logs one structured line for it. Unknown paths
// and wrong methods get JSON errors like every other failure. A handler's
// panic is a 500 server_error; with Config.PropagatePanics ServeHTTP then
// panics with it.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	ctx, info := authz.WithRequestInfo(r.Context())
	r = r.WithContext(ctx)
	info.Source = s.authz.ClientIP(r)
	sw := &statusWriter{ResponseWriter: w, code: http.StatusOK}
	rt, allow := s.mux.match(r)
	pattern := ""
	returned := false
	if s.cfg.PropagatePanics {
		// A panic that leaves ServeHTTP (the recoverer's) gets its
		// request's line too, with the 500 the runtime answers.
		defer func() {
			if !returned {
				s.logRequest(r, pattern, http.StatusInternalServerError, info, time.Since(start))
			}
		}()
	}
	switch {
	case rt != nil:
		pattern = rt.pattern
		rt.h.ServeHTTP(sw, r)
	case allow != nil:
		s.authz.WriteError(sw, r, &authz.Error{Code: authz.CodeMethodNotAllowed, Description: "method " + r.Method + " is not allowed here", Allow: strings.Join(allow, ", ")})
	default:
		s.authz.WriteError(sw, r, authz.Errorf(authz.CodeNotFound, "no such endpoint"))
	}
	returned = true
	s.logRequest(r, pattern, sw.code, info, time.Since(start))
}

// logRequest writes the one line per request: method, route pattern (never
// the raw path or query, which can hold codes and tokens), status, tenant,
// client, duration and request id (Cloudflare's CF-Ray when present). It
// never holds a secret. A failed request (status >= 400) logs at info, a
// successful one at debug: Cloudflare's invocation logs already record
// every request, the audit log every grant, and in a Worker each line is a
// console.log that costs about as much as the rest of a small request
// (measured: a trivial JavaScript Worker serves about 45% fewer requests
// with one console.log each).
func (s *Server) logRequest(r *http.Request, pattern string, code int, info *authz.RequestInfo, d time.Duration) {
	level := slog.LevelDebug
	if code >= 400 {
		level = slog.LevelInfo
	}
	if !s.log.Enabled(r.Context(), level) {
		return
	}
	route := pattern
	if route == "" {
		route = "(none)"
	}
	tenant := r.PathValue("tenant")
	if !syntax.ValidTenantID(tenant) {
		tenant = ""
	}
	s.log.LogAttrs(r.Context(), level, "request",
		slog.String("method", r.Method), slog.String("route", route), slog.Int("status", code),
		slog.String("tenant", tenant), slog.String("client", info.Client),
		slog.Float64("duration_ms", float64(d.Microseconds())/1000), slog.String("request_id", r.Header.Get("CF-Ray")))
}

// statusWriter remembers the status a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	code  int
	wrote bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.code, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(b)
}

// Unwrap returns the ResponseWriter underneath, as http.ResponseController
// and authz's reusable documents expect.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// json adapts a handler of a JSON endpoint: its errors are rendered as
// JSON (authz.Server.WriteError).
func (s *Server) json(h authz.HandlerFunc) http.Handler { return s.adapt(h, s.authz.WriteError) }

// page adapts a handler of an HTML endpoint: its errors become the HTML
// error page (authflow.Flow.WriteErrorPage).
func (s *Server) page(h authz.HandlerFunc) http.Handler { return s.adapt(h, s.flow.WriteErrorPage) }

// adapt renders the error h returns with render, and turns a panic into
// server_error, rendered the same way, so one bad request never takes the
// server down. With Config.PropagatePanics it then panics again with the
// same value, once the answer is written and the cause logged (ServeHTTP
// logs the request), so that the runtime learns of it.
func (s *Server) adapt(h authz.HandlerFunc, render func(http.ResponseWriter, *http.Request, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				render(w, r, fmt.Errorf("server: panic: %v", p))
				if s.cfg.PropagatePanics {
					panic(p)
				}
			}
		}()
		if err := h(w, r); err != nil {
			render(w, r, err)
		}
	})
}
