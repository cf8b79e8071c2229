package authz

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/edgeauth/edgeauth/storage"
)

// Cookies. On https they carry the __Host- prefix (RFC 6265bis §4.1.3.2:
// Secure, Path=/, no Domain), so no other host or path can set them.
const (
	sessionCookie = "edgeauth-session-" // + tenant: one session per tenant
	browserCookie = "edgeauth-browser"  // binds pending requests to this browser
	browserTTL    = 24 * time.Hour
)

func (s *Server) secureCookies() bool { return strings.HasPrefix(s.cfg.BaseURL, "https://") }

func (s *Server) cookieName(name string) string {
	if s.secureCookies() {
		return "__Host-" + name
	}
	return name
}

func (s *Server) setCookie(w http.ResponseWriter, name, value string, maxAge time.Duration) {
	http.SetCookie(w, &http.Cookie{
		Name: s.cookieName(name), Value: value, Path: "/", MaxAge: int(maxAge / time.Second),
		HttpOnly: true, Secure: s.secureCookies(), SameSite: http.SameSiteLaxMode,
	})
}

func (s *Server) cookie(r *http.Request, name string) string {
	c, err := r.Cookie(s.cookieName(name))
	if err != nil {
		return ""
	}
	return c.Value
}

// browserID returns the browser-binding cookie's value, creating it when
// absent. A pending request stores its hash; the login and consent forms
// are accepted only from the browser that started the request, which stops
// login CSRF (RFC 9700 §4.4.1.8) even if a request id leaks.
//
// The cookie is set again at every authorization request, so that one
// started near the end of its lifetime does not lose it on the way.
func (s *Server) browserID(w http.ResponseWriter, r *http.Request) (string, error) {
	v := s.cookie(r, browserCookie)
	if len(v) != 43 {
		var err error
		if v, err = s.randomToken(32); err != nil {
			return "", err
		}
	}
	s.setCookie(w, browserCookie, v, browserTTL)
	return v, nil
}

// currentSession returns the tenant's session of this browser, or nil.
func (s *Server) currentSession(ctx context.Context, r *http.Request, tenant string) (*session, error) {
	id := s.cookie(r, sessionCookie+tenant)
	if id == "" {
		return nil, nil
	}
	var sess session
	switch err := s.getRecord(ctx, "sess", id, &sess); {
	case errors.Is(err, storage.ErrNotFound):
		return nil, nil
	case err != nil:
		return nil, err
	}
	// A session lasts sessionTTL from its sign-in, whatever KV still
	// returns.
	if sess.Tenant != tenant || s.now().Unix()-sess.AuthTime >= int64(sessionTTL/time.Second) {
		return nil, nil
	}
	return &sess, nil
}

// startSession signs the browser in to tenant as user.
func (s *Server) startSession(ctx context.Context, w http.ResponseWriter, tenant, userID string, now time.Time) (*session, error) {
	id, err := s.randomToken(32)
	if err != nil {
		return nil, err
	}
	sess := &session{Tenant: tenant, UserID: userID, AuthTime: now.Unix()}
	if err := s.putRecord(ctx, "sess", id, sess, sessionTTL); err != nil {
		return nil, err
	}
	s.setCookie(w, sessionCookie+tenant, id, sessionTTL)
	return sess, nil
}
