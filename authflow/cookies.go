package authflow

import (
	"context"
	"encoding/hex"
	"net/http"
	"time"

	"github.com/edgeauth/edgeauth/authz"
	"github.com/edgeauth/edgeauth/internal/secret"
	"github.com/edgeauth/edgeauth/session"
)

// Cookies. On https they carry the __Host- prefix (RFC 6265bis §4.1.3.2:
// Secure, Path=/, no Domain), so no other host or path can set them.
const (
	sessionCookie = "edgeauth-session-" // + tenant: one session per tenant
	browserCookie = "edgeauth-browser"  // binds pending requests to this browser
	browserTTL    = 24 * time.Hour
)

func (f *Flow) cookieName(name string) string {
	if f.cfg.SecureCookies {
		return "__Host-" + name
	}
	return name
}

func (f *Flow) setCookie(w http.ResponseWriter, name, value string, maxAge time.Duration) {
	http.SetCookie(w, &http.Cookie{
		Name: f.cookieName(name), Value: value, Path: "/", MaxAge: int(maxAge / time.Second),
		HttpOnly: true, Secure: f.cfg.SecureCookies, SameSite: http.SameSiteLaxMode,
	})
}

func (f *Flow) cookie(r *http.Request, name string) string {
	c, err := r.Cookie(f.cookieName(name))
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
func (f *Flow) browserID(w http.ResponseWriter, r *http.Request) (string, error) {
	v := f.cookie(r, browserCookie)
	if len(v) != 43 {
		var err error
		if v, err = f.az.NewSecret(32); err != nil {
			return "", err
		}
	}
	f.setCookie(w, browserCookie, v, browserTTL)
	return v, nil
}

// browserHash is what a pending request keeps of the browser cookie.
func browserHash(id string) string { return hex.EncodeToString(secret.Hash(id)) }

// currentSession returns the tenant's working session of this browser,
// with its user, or nil: one strongly consistent read (session.Store.Get),
// so a session signed out or revoked anywhere is gone here at once.
func (f *Flow) currentSession(r *http.Request, tenant string) (*session.Session, error) {
	return f.cfg.Sessions.Get(r.Context(), tenant, f.cookie(r, sessionCookie+tenant))
}

// startSession signs the browser in to tenant as userID, for the tenant's
// session lifetime (session.TTL), and sets the session cookie. The
// returned session's User is nil: the caller has the user it just checked.
func (f *Flow) startSession(ctx context.Context, w http.ResponseWriter, tenant, userID string) (*session.Session, error) {
	t, err := authz.LoadTenant(ctx, f.cfg.Store, tenant)
	if err != nil {
		return nil, err
	}
	ttl := session.TTL(t)
	id, sess, err := f.cfg.Sessions.Start(ctx, tenant, userID, f.az.Now(), ttl)
	if err != nil {
		return nil, err
	}
	f.setCookie(w, sessionCookie+tenant, id, ttl)
	return sess, nil
}

// endSession ends the browser's session of tenant sess, with the grants
// given in it, and clears its cookie; it reports how many grants it
// revoked.
func (f *Flow) endSession(ctx context.Context, w http.ResponseWriter, tenant string, sess *session.Session) (int64, error) {
	_, grants, err := f.cfg.Sessions.End(ctx, tenant, sess.Handle, true)
	if err != nil {
		return 0, err
	}
	f.setCookie(w, sessionCookie+tenant, "", -time.Second)
	return grants, nil
}
