package authflow

import (
	"context"
	"crypto/subtle"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/edgeauth/edgeauth/authz"
	"github.com/edgeauth/edgeauth/pages"
	"github.com/edgeauth/edgeauth/session"
	"github.com/edgeauth/edgeauth/storage"
)

// The logout endpoint, OpenID Connect RP-Initiated Logout 1.0: an
// application sends the browser to /t/{T}/logout (GET or POST, §2: the OP
// MUST support both) to end the user's session at edgeauth, and may name
// where the browser goes afterwards.
//
//   - id_token_hint (§2) proves which client and user the request is
//     about: an ID token this tenant issued (authz.VerifyIDTokenHint), an
//     expired one too (§4). A hint whose client was deleted since is a
//     request of no known client: no URI can be checked, none is followed.
//   - client_id names the client when there is no hint; with a hint it
//     must be the hint's audience (§2: the OP MUST verify it).
//   - post_logout_redirect_uri is followed only when it is exactly one of
//     the client's registered post_logout_redirect_uris (§3: the OP MUST
//     NOT redirect otherwise), with state added; a request that names one
//     but no client, or an invalid one, gets the error page (§4: no
//     redirect on errors). A client that registered itself (dynamic
//     registration, metadata documents) is redirected to only with a hint
//     issued to it for the user of this browser's session, as the session
//     ends: its URIs were vetted by nobody, and a logout URL anyone can
//     write (with the writer's own ID token) must not make edgeauth an
//     open redirector (RFC 9700 §4.11.2, as for authorization errors).
//   - The session ends at once and everywhere (package session: a row in
//     SQL) with the grants given in it (grants revoked: their access
//     tokens are inactive at introspection, their refresh tokens
//     refused). Only a hint whose sid is this session skips asking the
//     user first (§2: the OP MUST ask when the ID token does not belong to
//     the current OP session with the RP), so a hint without sid (the
//     device flow's) asks too; the page's form is bound to this browser
//     and carries a CSRF token, like the login form.
//   - The session cookie is SameSite=Lax, which a browser does not send
//     with a cross-site POST: a POST request without it is sent on, 303,
//     as the same request by GET, which carries it. Only a POST is, so
//     this cannot loop.
//   - Nothing is stored for a request without a session: a logout that
//     ends nothing writes nothing. A cookie of a session that has ended is
//     cleared.

// Bounds of the logout request's parameters, which travel sealed in the
// confirmation page's form.
const (
	maxLogoutState = 1024
	maxLogoutURI   = 2048
)

// logoutRequest is a validated logout request.
type logoutRequest struct {
	// ClientID is the client the request is from ("" when unknown) and
	// ClientName its name for the page.
	ClientID   string `json:"c,omitempty"`
	ClientName string `json:"cn,omitempty"`
	// RedirectURI is the post_logout_redirect_uri to follow, "" for none.
	RedirectURI string `json:"r,omitempty"`
	State       string `json:"s,omitempty"`
	// Sealed for the confirmation page only:
	Browser string `json:"b,omitempty"`
	CSRF    string `json:"csrf,omitempty"`
	Expires int64  `json:"exp,omitempty"`
	// hint is the verified id_token_hint, nil for none (not sealed: the
	// confirmation it would skip is being asked).
	hint *authz.IDTokenHint
	// unvetted is set for a self-registered client, whose RedirectURI is
	// followed, and whose name (its registrant's choice) is shown, only
	// as the hint's user signs out (Logout).
	unvetted bool
}

// Logout handles the end_session_endpoint: a logout request, and the
// confirmation page's form posted back (it carries req).
func (f *Flow) Logout(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	t, err := f.az.Tenant(ctx, r)
	if err != nil {
		return err
	}
	var p authz.Params
	if r.Method == http.MethodPost {
		p, err = authz.FormParams(w, r)
	} else {
		p, err = authz.QueryParams(r)
	}
	if err != nil {
		return err
	}
	if r.Method == http.MethodPost && p.Has("req") {
		return f.confirmLogout(w, r, t, p)
	}
	lr, err := f.parseLogout(ctx, t, p)
	if err != nil {
		return err
	}
	if r.Method == http.MethodPost && f.cookie(r, sessionCookie+t.ID) == "" {
		return logoutByGet(w, r, t, p)
	}
	sess, err := f.logoutSession(w, r, t.ID)
	if err != nil {
		return err
	}
	// RFC 9700 §4.11.2: an unvetted URI only for the user whose session
	// this request ends, never for a link followed by anyone else; and
	// for anyone else the page does not say that a name nobody vetted
	// ("Your bank") asks them to sign out.
	if lr.unvetted && (sess == nil || lr.hint == nil || lr.hint.Subject != sess.UserID) {
		lr.RedirectURI, lr.ClientName = "", ""
	}
	switch {
	case sess == nil:
		return f.loggedOut(w, r, t, lr, "You are not signed in.")
	case lr.hint != nil && lr.hint.Subject == sess.UserID && lr.hint.SessionID == sess.Handle:
		return f.logoutNow(w, r, t, lr, sess)
	}
	return f.askLogout(w, r, t, lr, sess)
}

// logoutParams are the logout request's parameters edgeauth reads (§2;
// ui_locales and logout_hint it ignores), the ones logoutByGet sends on.
var logoutParams = []string{"id_token_hint", "client_id", "post_logout_redirect_uri", "state"}

// logoutByGet answers a validated POST logout request that came without
// the session cookie with 303 to the same request by GET. A browser
// withholds a SameSite=Lax cookie from a cross-site POST but sends it
// with a cross-site top-level GET; answering the POST as is would report
// a sign-out while the session and its grants live on. The parameters
// are the validated ones, so the URL stays bounded.
func logoutByGet(w http.ResponseWriter, r *http.Request, t storage.Tenant, p authz.Params) error {
	q := url.Values{}
	for _, name := range logoutParams {
		if v := p.Get(name); v != "" {
			q.Set(name, v)
		}
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, authz.IssuerPath(t.ID)+"/logout?"+q.Encode(), http.StatusSeeOther)
	return nil
}

// logoutSession returns the browser's session of tenant, or nil; a
// cookie whose session has ended (an admin, another tab) is cleared, as a
// sign-out clears it.
func (f *Flow) logoutSession(w http.ResponseWriter, r *http.Request, tenant string) (*session.Session, error) {
	sess, err := f.currentSession(r, tenant)
	if err == nil && sess == nil && f.cookie(r, sessionCookie+tenant) != "" {
		f.setCookie(w, sessionCookie+tenant, "", -time.Second)
	}
	return sess, err
}

// parseLogout validates a logout request's parameters (RP-Initiated
// Logout 1.0 §2, §3).
func (f *Flow) parseLogout(ctx context.Context, t storage.Tenant, p authz.Params) (*logoutRequest, error) {
	lr := &logoutRequest{ClientID: p.Get("client_id"), State: p.Get("state")}
	uri := p.Get("post_logout_redirect_uri")
	switch {
	case len(lr.State) > maxLogoutState:
		return nil, authz.Errorf(authz.CodeInvalidRequest, "state is longer than %d bytes", maxLogoutState)
	case len(uri) > maxLogoutURI:
		return nil, authz.Errorf(authz.CodeInvalidRequest, "post_logout_redirect_uri is longer than %d bytes", maxLogoutURI)
	}
	if raw := p.Get("id_token_hint"); raw != "" {
		hint, err := authz.VerifyIDTokenHint(ctx, f.cfg.Store, f.az.Issuer(t.ID), t.ID, raw)
		if err != nil {
			return nil, err
		}
		// §2: with both, the OP MUST verify that client_id is the hint's.
		if lr.ClientID != "" && lr.ClientID != hint.ClientID {
			return nil, authz.Errorf(authz.CodeInvalidRequest, "client_id is not the client the id_token_hint was issued to")
		}
		lr.ClientID, lr.hint = hint.ClientID, &hint
	}
	if lr.ClientID == "" {
		if uri != "" {
			return nil, authz.Errorf(authz.CodeInvalidRequest, "post_logout_redirect_uri needs client_id or id_token_hint")
		}
		return lr, nil
	}
	client, err := f.az.LookupClient(ctx, t, lr.ClientID)
	switch {
	case errors.Is(err, storage.ErrNotFound) && lr.hint != nil:
		// The hint's client was deleted since: a request of no known
		// client, whose URI cannot be checked and is not followed (§3),
		// and whose hint skips no confirmation.
		return &logoutRequest{}, nil
	case errors.Is(err, storage.ErrNotFound):
		return nil, authz.Errorf(authz.CodeInvalidRequest, "the client is not known")
	case err != nil:
		return nil, err
	}
	lr.ClientName, lr.unvetted = clientLabel(client), authz.SelfRegistered(client)
	if uri == "" {
		return lr, nil
	}
	// §3: exactly one of the client's registered URIs, or no redirect.
	if !slices.Contains(client.PostLogoutRedirectURIs, uri) {
		return nil, authz.Errorf(authz.CodeInvalidRequest, "post_logout_redirect_uri is not registered for the client")
	}
	lr.RedirectURI = uri
	return lr, nil
}

// logoutNow ends sess with its grants and finishes the request.
func (f *Flow) logoutNow(w http.ResponseWriter, r *http.Request, t storage.Tenant, lr *logoutRequest, sess *session.Session) error {
	ctx := r.Context()
	grants, err := f.endSession(ctx, w, t.ID, sess)
	if err != nil {
		return err
	}
	f.cfg.Audit.Record(ctx, t.ID, "session.ended", sess.UserID, sess.Handle,
		map[string]any{"reason": "logout", "client": lr.ClientID, "grants_revoked": grants})
	return f.loggedOut(w, r, t, lr, "You are signed out.")
}

// loggedOut sends the browser to the validated post_logout_redirect_uri
// with state (§3), or shows the signed-out page.
func (f *Flow) loggedOut(w http.ResponseWriter, r *http.Request, t storage.Tenant, lr *logoutRequest, msg string) error {
	w.Header().Set("Cache-Control", "no-store")
	if lr.RedirectURI == "" {
		pages.Write(w, http.StatusOK, pages.SignedOut{Title: "Signed out", TenantName: t.Name, Message: msg}.HTML())
		return nil
	}
	u, err := url.Parse(lr.RedirectURI)
	if err != nil {
		return err // registered, so checked: unreachable
	}
	if lr.State != "" {
		// The registered URI's own query is kept, state appended.
		if u.RawQuery != "" {
			u.RawQuery += "&"
		}
		u.RawQuery += url.Values{"state": {lr.State}}.Encode()
	}
	http.Redirect(w, r, u.String(), http.StatusSeeOther)
	return nil
}

// askLogout shows the confirmation page, its form bound to this browser
// and to a CSRF token, the request sealed in it.
func (f *Flow) askLogout(w http.ResponseWriter, r *http.Request, t storage.Tenant, lr *logoutRequest, sess *session.Session) error {
	bid, err := f.browserID(w, r)
	if err != nil {
		return err
	}
	lr.Browser = browserHash(bid)
	if lr.CSRF, err = f.az.NewSecret(32); err != nil {
		return err
	}
	lr.Expires = f.az.Now().Add(pendingTTL).Unix()
	req, err := f.box.sealAs(logoutLabel, t.ID, lr)
	if err != nil {
		return err
	}
	username := ""
	if sess.User != nil {
		username = sess.User.Username
	}
	pages.Write(w, http.StatusOK, pages.Logout{Title: "Sign out", TenantName: t.Name, Username: username, ClientName: lr.ClientName,
		Action: authz.IssuerPath(t.ID) + "/logout", RequestID: req, CSRF: lr.CSRF}.HTML())
	return nil
}

// confirmLogout takes the confirmation page's answer: the sealed request,
// from this browser, with its CSRF token, ends the browser's session now
// (whichever it is: the user confirmed signing out of this browser).
func (f *Flow) confirmLogout(w http.ResponseWriter, r *http.Request, t storage.Tenant, p authz.Params) error {
	var lr logoutRequest
	bid := f.cookie(r, browserCookie)
	if f.box.openAs(logoutLabel, t.ID, p.Get("req"), &lr) != nil || f.az.Now().Unix() >= lr.Expires || bid == "" ||
		subtle.ConstantTimeCompare([]byte(browserHash(bid)), []byte(lr.Browser)) != 1 ||
		subtle.ConstantTimeCompare([]byte(p.Get("csrf")), []byte(lr.CSRF)) != 1 {
		return authz.Errorf(authz.CodeInvalidRequest, "this sign-out request has expired or is not valid; sign out again from the application")
	}
	if p.Get("decision") != "logout" {
		return authz.Errorf(authz.CodeInvalidRequest, "decision must be logout")
	}
	sess, err := f.logoutSession(w, r, t.ID)
	if err != nil {
		return err
	}
	if sess == nil {
		return f.loggedOut(w, r, t, &lr, "You are signed out.")
	}
	return f.logoutNow(w, r, t, &lr, sess)
}
