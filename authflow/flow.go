package authflow

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"

	"github.com/edgeauth/edgeauth/audit"
	"github.com/edgeauth/edgeauth/authz"
	"github.com/edgeauth/edgeauth/connections"
	"github.com/edgeauth/edgeauth/password"
	"github.com/edgeauth/edgeauth/session"
	"github.com/edgeauth/edgeauth/storage"
)

// Config is what the browser flow needs. Authz, Store, Sessions, Audit
// and Connections are required.
type Config struct {
	// Authz validates authorization requests and issues codes.
	Authz *authz.Server
	// Store holds users, consents and the sign-in lockout; it may be the
	// record cache.
	Store storage.Store
	// Sessions reads and writes browser sessions in SQL, past any cache.
	Sessions  *session.Store
	Passwords password.Hasher
	Audit     *audit.Log
	// Connections signs users in through the tenants' upstream providers.
	Connections *connections.Broker
	// PendingKey seals pending requests: 32 bytes, the key-encryption
	// key's subkey for PendingKeyPurpose.
	PendingKey []byte
	// SecureCookies gives the cookies the Secure attribute and the __Host-
	// prefix: the server is on https.
	SecureCookies bool
	Logger        *slog.Logger
}

// Flow serves the browser's side of the authorization code flow: the
// authorization endpoint, the login and consent pages. Build it with New.
type Flow struct {
	cfg Config
	az  *authz.Server
	box box // pending authorization requests
	log *slog.Logger
}

// New builds the flow from cfg.
func New(cfg Config) (*Flow, error) {
	if cfg.Authz == nil || cfg.Store == nil || cfg.Sessions == nil || cfg.Audit == nil || cfg.Connections == nil {
		return nil, errors.New("authflow: Config.Authz, Store, Sessions, Audit and Connections are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	b, err := newBox(cfg.PendingKey)
	if err != nil {
		return nil, err
	}
	return &Flow{cfg: cfg, az: cfg.Authz, box: b, log: cfg.Logger}, nil
}

// flow is one browser request's way through the flow: the request and its
// answer, the tenant and client, the pending authorization request, and
// who is signed in (sess and user nil when no one is).
type flow struct {
	w      http.ResponseWriter
	r      *http.Request
	t      storage.Tenant
	client storage.Client
	ar     *pending
	id     string // the pending request's id; "" until it is stored
	sess   *session.Session
	user   *storage.User
}

func (fl *flow) ctx() context.Context { return fl.r.Context() }

// Authorize handles the authorization endpoint (OAuth 2.1 §4.1.1). Until
// client_id and redirect_uri are validated, errors are an HTML page and
// never a redirect (§4.1.2.1); after that they go back to the client with
// state and iss (RFC 9207), except that dynamically registered and
// metadata-document clients get them redirected only to a browser that
// has signed in (authorizeError).
func (f *Flow) Authorize(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	t, err := f.az.Tenant(ctx, r)
	if err != nil {
		return err
	}
	p, err := authz.AuthorizeParams(w, r)
	if err != nil {
		return err
	}
	if r.Method == http.MethodPost {
		// A cross-site form POST carries no SameSite=Lax cookie: answered
		// here, a signed-in browser would look signed out, and a new
		// binding cookie would replace the one its open login pages need.
		// The same request as a top-level GET carries them (RFC 6749 §3.1
		// allows both methods).
		w.Header().Set("Cache-Control", "no-store")
		http.Redirect(w, r, authz.IssuerPath(t.ID)+"/authorize?"+url.Values(p).Encode(), http.StatusSeeOther)
		return nil
	}
	req, client, err := f.az.ParseAuthRequest(ctx, t, p)
	if req == nil {
		return err
	}
	fl := &flow{w: w, r: r, t: t, client: client, ar: &pending{AuthRequest: *req}}
	if err != nil {
		return f.authorizeError(fl, err)
	}
	bid, err := f.browserID(w, r)
	if err != nil {
		return err
	}
	fl.ar.Browser = browserHash(bid)
	if fl.ar.CSRF, err = f.az.NewSecret(32); err != nil {
		return err
	}
	// prompt=login and max_age=0 ask for a fresh sign-in whatever the
	// session (OIDC Core §3.1.2.1: the server MUST reauthenticate): only a
	// sign-in after this request, in a session other than the browser's
	// present one, satisfies it, on every page it passes (needsLogin).
	// prompt=none forbids the login page, so the two together fail at once.
	if fl.ar.HasPrompt("login") || fl.ar.MaxAge == 0 {
		if fl.ar.Prompt == "none" {
			return f.authorizeError(fl, authz.Errorf(authz.CodeLoginRequired, "max_age=0 asks for a new sign-in, which prompt=none forbids"))
		}
		fl.ar.LoginAfter = f.az.Now().Unix()
		if sess, err := f.currentSession(r, t.ID); err != nil {
			return err
		} else if sess != nil {
			fl.ar.SessionBefore = sess.Handle
		}
		return f.toPage(fl, "login")
	}
	if err := f.signedIn(fl); err != nil {
		return err
	}
	return f.proceed(fl)
}

// authorizeError answers an authorization error once client_id and
// redirect_uri are validated: redirected to the client, except that a
// self-registered client's error is the error page unless the browser's
// user has approved that client before. RFC 9700 §4.11.2: the server MUST
// authenticate the user before it redirects, and SHOULD redirect
// automatically only to a URI it trusts; otherwise anyone who registers a
// client, or publishes a metadata document, could send people anywhere
// through this server, a signed-in victim included. That covers
// prompt=none's login_required too (the RFC's silent-authentication
// exception to the MUST; the SHOULD still holds for a URI nobody vetted).
func (f *Flow) authorizeError(fl *flow, err error) error {
	if authz.SelfRegistered(fl.client) {
		if trusted, terr := f.approvedBefore(fl); terr != nil {
			return terr
		} else if !trusted {
			return err
		}
	}
	return f.az.RedirectError(fl.w, fl.r, &fl.ar.AuthRequest, err)
}

// approvedBefore reports whether the browser's signed-in user has approved
// fl's client before: a consent of theirs for it is stored.
func (f *Flow) approvedBefore(fl *flow) (bool, error) {
	sess, err := f.currentSession(fl.r, fl.t.ID)
	if err != nil || sess == nil {
		return false, err
	}
	switch _, err := f.cfg.Store.GetConsent(fl.ctx(), fl.t.ID, sess.UserID, fl.client.ID); {
	case errors.Is(err, storage.ErrNotFound):
		return false, nil
	case err != nil:
		return false, err
	}
	return true, nil
}

// signedIn fills fl.sess and fl.user from the browser's session, leaving
// both nil when no one is signed in. The session and its user are one
// read (session.Store.Get); a deleted or disabled user has no session.
func (f *Flow) signedIn(fl *flow) error {
	sess, err := f.currentSession(fl.r, fl.t.ID)
	if err != nil || sess == nil {
		return err
	}
	fl.sess, fl.user = sess, sess.User
	return nil
}

// proceed moves a validated request on: to the login page, to the consent
// page, or back to the client with a code.
func (f *Flow) proceed(fl *flow) error {
	if f.needsLogin(fl) || fl.user == nil {
		if fl.ar.Prompt == "none" {
			return f.authorizeError(fl, authz.Errorf(authz.CodeLoginRequired, "the user is not signed in"))
		}
		return f.toPage(fl, "login")
	}
	if fl.ar.UserCode != "" {
		return f.toPage(fl, "device") // RFC 8628 §5.4: every device request is approved by hand
	}
	if f.needsConsent(fl) {
		if fl.ar.Prompt == "none" {
			return f.authorizeError(fl, authz.Errorf(authz.CodeConsentRequired, "the user has not approved this client"))
		}
		return f.toPage(fl, "consent")
	}
	return f.issueCode(fl)
}

// needsLogin: no session, a sign-in older than max_age, or one from
// before a request that asked for a new sign-in (prompt=login, max_age=0;
// OIDC Core §3.1.2.1). The login and consent pages ask it too, so a
// browser cannot skip the login page it was sent to.
func (f *Flow) needsLogin(fl *flow) bool {
	return fl.sess == nil || fl.sess.AuthTime < fl.ar.LoginAfter || fl.sess.Handle == fl.ar.SessionBefore ||
		fl.ar.MaxAge > 0 && f.az.Now().Unix()-fl.sess.AuthTime > fl.ar.MaxAge
}

// needsConsent: first-party clients never ask; others ask unless the user
// has already granted every requested scope for every requested resource
// (a consent for one API covers no other), or prompt=consent.
func (f *Flow) needsConsent(fl *flow) bool {
	if fl.client.FirstParty {
		return false
	}
	if authz.SelfRegistered(fl.client) {
		// A remembered consent covers scopes, not where the browser goes
		// or which resources: a self-registered client's next request may
		// send it to another loopback port or ask for another API, and the
		// user must see that (MCP: localhost redirect URI risks).
		return true
	}
	if fl.ar.HasPrompt("consent") {
		return true
	}
	c, err := f.cfg.Store.GetConsent(fl.ctx(), fl.t.ID, fl.user.ID, fl.client.ID)
	if err != nil {
		return true
	}
	return !coversScope(c.Scope, fl.ar.Scope) || !coversResources(c.Resources, consentResources(fl.ar.Resources))
}

// toPage seals the pending request (once) and sends the browser to the
// login or consent page with it.
func (f *Flow) toPage(fl *flow, page string) error {
	if fl.id == "" {
		id, err := f.sealPending(fl.ar)
		if err != nil {
			return err
		}
		fl.id = id
	}
	fl.w.Header().Set("Cache-Control", "no-store")
	http.Redirect(fl.w, fl.r, authz.IssuerPath(fl.t.ID)+"/"+page+"?req="+url.QueryEscape(fl.id), http.StatusSeeOther)
	return nil
}

// issueCode issues the code for the signed-in user and sends the browser
// back to the client (OAuth 2.1 §4.1.2).
func (f *Flow) issueCode(fl *flow) error {
	// The user has approved this client: a metadata-document client gets
	// its row now (its grants refer to it), not before.
	if err := f.az.StoreClient(fl.ctx(), fl.client); err != nil {
		return err
	}
	code, err := f.az.IssueCode(fl.ctx(), &fl.ar.AuthRequest, *fl.user, fl.sess.AuthTime, fl.sess.Handle)
	if err != nil {
		return err
	}
	f.az.RedirectCode(fl.w, fl.r, &fl.ar.AuthRequest, code)
	return nil
}
