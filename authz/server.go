package authz

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/edgeauth/edgeauth/storage"
	"github.com/edgeauth/edgeauth/storage/storecache"
)

// Server is the whole HTTP surface of edgeauth. Build it with New.
type Server struct {
	cfg   Config
	log   *slog.Logger
	mux   router
	cache *storecache.Store // also cfg.Store; nil when Config.CacheTTL < 0
}

// New checks cfg and builds the server.
func New(cfg Config) (*Server, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, log: cfg.Logger}
	if cfg.CacheTTL >= 0 {
		s.cache = storecache.New(cfg.Store, cfg.CacheTTL, cfg.Now, cfg.CacheGeneration)
		s.cfg.Store = s.cache
	}
	s.routes()
	return s, nil
}

// handlerFunc is a handler that returns its error for one writer to render.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

func (s *Server) routes() {
	m := &s.mux
	m.handle("GET /healthz", s.handle(func(w http.ResponseWriter, r *http.Request) error {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
		return nil
	}))

	// Discovery and keys (public).
	m.handle("GET /.well-known/oauth-authorization-server/t/{tenant}", s.handle(s.serveMetadata))
	m.handle("GET /t/{tenant}/.well-known/oauth-authorization-server", s.handle(s.serveMetadata))
	m.handle("GET /t/{tenant}/.well-known/openid-configuration", s.handle(s.serveOpenIDConfiguration))
	m.handle("GET /t/{tenant}/jwks.json", s.handle(s.serveJWKS))

	// OAuth 2.1: browser flow (HTML), then the back-channel endpoints (JSON).
	m.handle("GET /t/{tenant}/authorize", s.page(s.authorize))
	m.handle("POST /t/{tenant}/authorize", s.page(s.authorize))
	m.handle("GET /t/{tenant}/login", s.page(s.loginForm))
	m.handle("POST /t/{tenant}/login", s.page(s.login))
	m.handle("GET /t/{tenant}/consent", s.page(s.consentForm))
	m.handle("POST /t/{tenant}/consent", s.page(s.consent))
	m.handle("POST /t/{tenant}/token", s.handle(s.token))
	m.handle("OPTIONS /t/{tenant}/token", preflight("POST", "Content-Type"))
	m.handle("POST /t/{tenant}/revoke", s.handle(s.revoke))
	m.handle("OPTIONS /t/{tenant}/revoke", preflight("POST", "Content-Type"))
	m.handle("POST /t/{tenant}/introspect", s.handle(s.introspect))
	m.handle("POST /t/{tenant}/register", s.handle(s.register))
	m.handle("GET /t/{tenant}/userinfo", s.handle(s.userinfo))
	m.handle("POST /t/{tenant}/userinfo", s.handle(s.userinfo))
	m.handle("OPTIONS /t/{tenant}/userinfo", preflight("GET, POST", "Authorization, Content-Type"))

	// Admin API.
	m.handle("POST /admin/v1/tenants", s.admin(s.createTenant))
	m.handle("GET /admin/v1/tenants/{tenant}", s.admin(s.getTenant))
	m.handle("PATCH /admin/v1/tenants/{tenant}", s.admin(s.patchTenant))
	m.handle("DELETE /admin/v1/tenants/{tenant}", s.admin(s.deleteTenant))
	m.handle("POST /admin/v1/tenants/{tenant}/registration-token", s.admin(s.newRegistrationToken))
	m.handle("POST /admin/v1/tenants/{tenant}/clients", s.admin(s.createClient))
	m.handle("GET /admin/v1/tenants/{tenant}/clients", s.admin(s.listClients))
	m.handle("GET /admin/v1/tenants/{tenant}/clients/{client}", s.admin(s.getClient))
	m.handle("PATCH /admin/v1/tenants/{tenant}/clients/{client}", s.admin(s.patchClient))
	m.handle("DELETE /admin/v1/tenants/{tenant}/clients/{client}", s.admin(s.deleteClient))
	m.handle("POST /admin/v1/tenants/{tenant}/clients/{client}/secret", s.admin(s.rotateClientSecret))
	m.handle("POST /admin/v1/tenants/{tenant}/users", s.admin(s.createUser))
	m.handle("GET /admin/v1/tenants/{tenant}/users/{user}", s.admin(s.getUser))
	m.handle("DELETE /admin/v1/tenants/{tenant}/users/{user}", s.admin(s.deleteUser))
	m.handle("GET /admin/v1/tenants/{tenant}/keys", s.admin(s.listKeys))
	m.handle("GET /admin/v1/tenants/{tenant}/audit", s.admin(s.listAudit))
	m.handle("GET /admin/v1/audit", s.admin(s.listAudit))
	m.handle("POST /admin/v1/tenants/{tenant}/keys/rotate", s.admin(s.rotateKeys))
	m.handle("DELETE /admin/v1/tenants/{tenant}/keys/{kid}", s.admin(s.revokeKey))
}

// ServeHTTP routes r and logs one structured line for it. Unknown paths
// and wrong methods get JSON errors like every other failure. A handler's
// panic is a 500 server_error; with Config.PropagatePanics ServeHTTP then
// panics with it.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	info := &requestInfo{}
	r = r.WithContext(context.WithValue(r.Context(), requestInfoKey{}, info))
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
		s.writeError(sw, r, &Error{Code: CodeMethodNotAllowed, Description: "method " + r.Method + " is not allowed here", Allow: strings.Join(allow, ", ")})
	default:
		s.writeError(sw, r, errorf(CodeNotFound, "no such endpoint"))
	}
	returned = true
	s.logRequest(r, pattern, sw.code, info, time.Since(start))
}

// requestInfo collects what a handler learns that the request log line
// needs: the client, once authenticated or looked up.
type requestInfo struct{ client string }

type requestInfoKey struct{}

// noteClient records the request's client id for the log line.
func noteClient(ctx context.Context, id string) {
	if info, ok := ctx.Value(requestInfoKey{}).(*requestInfo); ok {
		info.client = id
	}
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
func (s *Server) logRequest(r *http.Request, pattern string, code int, info *requestInfo, d time.Duration) {
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
	if !validTenantID(tenant) {
		tenant = ""
	}
	s.log.LogAttrs(r.Context(), level, "request",
		slog.String("method", r.Method), slog.String("route", route), slog.Int("status", code),
		slog.String("tenant", tenant), slog.String("client", info.client),
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
// and writeDocument expect.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// handle adapts a handlerFunc of a JSON endpoint: it renders the returned
// error as JSON.
func (s *Server) handle(h handlerFunc) http.Handler {
	return s.recoverer(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.writeError(w, r, err)
		}
	}, s.writeError)
}

// recoverer turns a panic into server_error, rendered by render, so one bad
// request never takes the server down. With Config.PropagatePanics it then
// panics again with the same value, once the answer is written and the
// cause logged (ServeHTTP logs the request), so that the runtime learns
// of it.
func (s *Server) recoverer(h http.HandlerFunc, render func(http.ResponseWriter, *http.Request, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				render(w, r, fmt.Errorf("authz: panic: %v", p))
				if s.cfg.PropagatePanics {
					panic(p)
				}
			}
		}()
		h(w, r)
	})
}

// tenant loads the tenant named in the path. A malformed or unknown id is
// not_found: both mean there is no such issuer.
func (s *Server) tenant(ctx context.Context, r *http.Request) (storage.Tenant, error) {
	id := r.PathValue("tenant")
	if !validTenantID(id) {
		return storage.Tenant{}, errorf(CodeNotFound, "tenant not found")
	}
	t, err := s.cfg.Store.GetTenant(ctx, id)
	if err != nil {
		return storage.Tenant{}, storageError(err, "tenant")
	}
	return t, nil
}

// memo returns the value kept under key, or fill's, kept under the bounds
// of the record cache (storage/storecache). Use it for values derived from
// tenants, clients and keys; they must be immutable, and fill must read
// through the context it is given.
func (s *Server) memo(ctx context.Context, key string, fill func(context.Context) (any, error)) (any, error) {
	v, _, err := s.memoUntil(ctx, key, fill)
	return v, err
}

// memoUntil is memo, and also returns until when the value may be served
// without calling fill: zero when it is not kept.
func (s *Server) memoUntil(ctx context.Context, key string, fill func(context.Context) (any, error)) (any, time.Time, error) {
	if s.cache == nil {
		v, err := fill(ctx)
		return v, time.Time{}, err
	}
	return s.cache.MemoUntil(ctx, key, fill)
}

// issuer is the issuer identifier of tenant id.
func (s *Server) issuer(id string) string { return s.cfg.BaseURL + "/t/" + id }

// now is the server clock in UTC, truncated to the second like storage.
func (s *Server) now() time.Time { return s.cfg.Now().UTC().Truncate(time.Second) }
