package authflow

import (
	"context"
	"crypto/subtle"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/edgeauth/edgeauth/authz"
	"github.com/edgeauth/edgeauth/connections"
	"github.com/edgeauth/edgeauth/pages"
	"github.com/edgeauth/edgeauth/ratelimit"
	"github.com/edgeauth/edgeauth/storage"
)

// An upstream sign-in leaves for the provider with its state in a cookie
// of the browser, and comes back to the callback:
//
//	POST /t/{T}/upstream (the login page's button: req, csrf, connection)
//	     -> cookie: the pending request, the connection, state, nonce and
//	        PKCE verifier, sealed -> 303 to the provider
//	GET  /t/{T}/callback/{connection}?code&state[&iss]
//	     -> the cookie's state must equal the response's -> code exchanged,
//	        ID token verified (package connections) -> user found, linked
//	        or made -> session -> the request goes on as after a password
//
// Why a cookie and not the state parameter: the pending request can be
// kilobytes (a state of 1,024 bytes, five resources), more than providers
// accept as state (edgeauth itself takes 1,024 bytes); and why not
// storage: an unauthenticated request must not store anything without a
// bound (DESIGN.md, State). The cookie is HttpOnly, SameSite=Lax (the
// provider's redirect back is a top-level GET, which carries it),
// __Host- on https, sealed with the tenant as associated data, lives as
// long as the pending request at most, and is cleared at the callback,
// so it serves one response. The state it holds binds the provider's
// answer to this browser (RFC 6749 §10.12, RFC 9700 §4.7); the browser
// cookie of the pending request is checked too, as on every page.
const (
	upstreamCookie      = "edgeauth-upstream-" // + tenant + "-" + chunk
	upstreamCookieChunk = 3800                 // a cookie's value, below browsers' 4,096 bytes with its name
	upstreamCookieMax   = (maxSealedUpstream + upstreamCookieChunk - 1) / upstreamCookieChunk
)

// upstreamState is what the upstream cookie holds, sealed.
type upstreamState struct {
	Pending    pending             `json:"p"`
	Connection string              `json:"c"`
	Attempt    connections.Attempt `json:"a"`
}

// StartUpstream handles the login page's upstream buttons: it sends the
// browser to the chosen connection's provider with a fresh state, nonce
// and PKCE verifier, kept in the upstream cookie.
func (f *Flow) StartUpstream(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	fl, p, err := f.form(w, r)
	if err != nil {
		return err
	}
	t := fl.t
	// A sign-in attempt like a password's: counted per address. Each
	// costs the server outbound requests, which anyone can cause.
	if err := f.az.Limit(ctx, ratelimit.LimitLoginIP, t.ID+"|"+f.az.ClientIP(r)); err != nil {
		return err
	}
	c, err := f.cfg.Store.GetConnection(ctx, t.ID, p.Get("connection"))
	switch {
	case errors.Is(err, storage.ErrNotFound) || err == nil && !f.cfg.Connections.Enabled():
		return f.showLogin(fl, http.StatusOK, "", "That way of signing in is not available.")
	case err != nil:
		return err
	}
	a, err := f.cfg.Connections.NewAttempt()
	if err != nil {
		return err
	}
	// prompt=login and max_age=0 asked for a new sign-in: the provider is
	// asked for one too (OIDC Core §3.1.2.1).
	u, err := f.cfg.Connections.AuthURL(ctx, c, connections.Start{RedirectURI: f.callbackURI(t.ID, c.ID), Attempt: a, Login: fl.ar.LoginAfter != 0})
	if err != nil {
		return f.upstreamFailed(fl, c, err)
	}
	sealed, err := f.box.sealAs(upstreamLabel, t.ID, upstreamState{Pending: *fl.ar, Connection: c.ID, Attempt: a})
	if err != nil {
		return err
	}
	f.setUpstreamCookie(w, r, t.ID, sealed, time.Unix(fl.ar.Expires, 0).Sub(f.az.Now()))
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, u, http.StatusSeeOther)
	return nil
}

// callbackURI is the redirect URI of a connection, registered at its
// provider.
func (f *Flow) callbackURI(tenant, connection string) string {
	return f.az.Issuer(tenant) + "/callback/" + connection
}

// UpstreamCallback handles the provider's authorization response (RFC
// 6749 §4.1.2): it checks it against the upstream cookie, completes the
// sign-in upstream and signs the browser in as the user of the upstream
// account, then goes on with the pending request as Login does.
func (f *Flow) UpstreamCallback(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	t, err := f.az.Tenant(ctx, r)
	if err != nil {
		return err
	}
	q, err := authz.QueryParams(r)
	if err != nil {
		return err
	}
	var st upstreamState
	ok := f.box.openAs(upstreamLabel, t.ID, f.upstreamCookieValue(r, t.ID), &st) == nil
	f.clearUpstreamCookie(w, r, t.ID) // one response per cookie
	if !ok {
		return authz.Errorf(authz.CodeInvalidRequest, "this sign-in has expired or was started in another browser; start again from the application")
	}
	if err := f.az.Limit(ctx, ratelimit.LimitLoginIP, t.ID+"|"+f.az.ClientIP(r)); err != nil {
		return err
	}
	id, err := f.box.seal(t.ID, &st.Pending) // the page's id again, its expiry kept
	if err != nil {
		return err
	}
	fl, err := f.resumePending(w, r, t, &st.Pending, id)
	if err != nil {
		return err
	}
	// RFC 6749 §10.12: the response must carry the state this browser's
	// request was sent with, or it is another's (login CSRF).
	if r.PathValue("connection") != st.Connection || subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(st.Attempt.State)) != 1 {
		f.countFailure(ctx, t.ID, "upstream.failed", f.az.ClientIP(r))
		return f.backToLogin(fl, authz.CodeInvalidRequest, "The provider's answer does not belong to this sign-in. Start signing in again.")
	}
	c, err := f.cfg.Store.GetConnection(ctx, t.ID, st.Connection)
	if errors.Is(err, storage.ErrNotFound) {
		return f.backToLogin(fl, authz.CodeInvalidRequest, "That way of signing in is no longer available.")
	} else if err != nil {
		return err
	}
	if e := q.Get("error"); e != "" {
		return f.upstreamRefused(fl, c, e)
	}
	if q.Get("code") == "" {
		return f.backToLogin(fl, authz.CodeInvalidRequest, "The provider's answer has no code. Start signing in again.")
	}
	prof, err := f.cfg.Connections.Finish(ctx, c, f.callbackURI(t.ID, c.ID), st.Attempt, connections.Response{Code: q.Get("code"), Issuer: q.Get("iss")})
	if err != nil {
		return f.upstreamFailed(fl, c, err)
	}
	acc, err := f.cfg.Connections.SignIn(ctx, t, c, prof)
	if err != nil {
		return f.upstreamFailed(fl, c, err)
	}
	return f.signedInUpstream(fl, c, acc)
}

// signedInUpstream starts the session of an upstream sign-in and goes on
// with the pending request.
func (f *Flow) signedInUpstream(fl *flow, c storage.Connection, acc connections.Account) error {
	ctx, t := fl.ctx(), fl.t
	actor := "connection:" + c.ID
	switch {
	case acc.Created:
		f.cfg.Audit.Record(ctx, t.ID, "user.created", actor, acc.User.ID, nil)
	case acc.Linked:
		f.cfg.Audit.Record(ctx, t.ID, "identity.linked", actor, acc.User.ID, map[string]any{"connection": c.ID})
	}
	if acc.User.Disabled {
		// As for a password (login.go): a disabled user gets no session,
		// whichever way they sign in.
		f.cfg.Audit.Record(ctx, t.ID, "login.refused", acc.User.ID, fl.client.ID, map[string]any{"reason": "disabled", "connection": c.ID})
		return f.backToLogin(fl, authz.CodeAccessDenied, "This account is disabled. Ask your administrator.")
	}
	var err error
	if fl.sess, err = f.startSession(ctx, fl.w, t.ID, acc.User.ID); err != nil {
		return err
	}
	fl.user = &acc.User
	f.cfg.Audit.Record(ctx, t.ID, "login.succeeded", acc.User.ID, fl.client.ID, map[string]any{"connection": c.ID})
	return f.proceed(fl)
}

// upstreamRefused answers a provider's error response (RFC 6749
// §4.1.2.1): access_denied (the user said no, or the provider would not
// let them) goes back to the client as access_denied, under the rule of
// every authorization error (authorizeError); another error is the
// provider's or its configuration's, and the user may go back and sign in
// another way.
func (f *Flow) upstreamRefused(fl *flow, c storage.Connection, code string) error {
	f.countFailure(fl.ctx(), fl.t.ID, "upstream.failed", f.az.ClientIP(fl.r))
	if code == "access_denied" && fl.ar.UserCode == "" {
		// A device's request has no redirect URI: its user gets the page.
		return f.authorizeError(fl, authz.Errorf(authz.CodeAccessDenied, "the user did not sign in at %s", c.Name))
	}
	return f.backToLogin(fl, authz.CodeAccessDenied, c.Name+" could not sign you in. Try again, or sign in another way.")
}

// upstreamFailed answers a sign-in that failed at or because of the
// provider with the error page, saying what happened in words, and a way
// back to the sign-in page. A failure of edgeauth's own (its storage) is
// returned as it is.
func (f *Flow) upstreamFailed(fl *flow, c storage.Connection, err error) error {
	var msg string
	code := authz.CodeAccessDenied
	switch {
	case errors.Is(err, context.DeadlineExceeded) && errors.Is(err, connections.ErrUnavailable):
		code, msg = authz.CodeTemporarilyUnavail, c.Name+" did not answer in time. Try again, or sign in another way."
	case errors.Is(err, connections.ErrUnavailable), errors.Is(err, connections.ErrDisabled):
		code, msg = authz.CodeTemporarilyUnavail, c.Name+" cannot be reached, or gave an answer that cannot be used. Try again later, or sign in another way."
	case errors.Is(err, connections.ErrRefused):
		msg = c.Name + " did not accept the sign-in. Start signing in again."
	case errors.Is(err, connections.ErrIDToken):
		msg = c.Name + "'s answer could not be verified, so it was not accepted."
	case errors.Is(err, connections.ErrProfile):
		msg = c.Name + " did not say who you are."
	case errors.Is(err, connections.ErrNoAccount):
		msg = "There is no account here for your " + c.Name + " account, and none can be made for it. Ask an administrator."
	case errors.Is(err, connections.ErrLinkConflict):
		msg = "The account here with your e-mail address is linked to another " + c.Name + " account."
	default:
		return err
	}
	f.log.WarnContext(fl.ctx(), "upstream sign-in failed", "tenant", fl.t.ID, "connection", c.ID, "err", err)
	f.countFailure(fl.ctx(), fl.t.ID, "upstream.failed", f.az.ClientIP(fl.r))
	return f.backToLogin(fl, code, msg)
}

// backToLogin writes the error page with msg and a way back to the
// sign-in page of the pending request. The status is 403 for
// access_denied and 400 otherwise, temporarily_unavailable included: the
// failure is the provider's, not this server's, and nothing here answers
// a 5xx for it.
func (f *Flow) backToLogin(fl *flow, code authz.ErrorCode, msg string) error {
	status := http.StatusBadRequest
	if code == authz.CodeAccessDenied {
		status = http.StatusForbidden
	}
	pages.Write(fl.w, status, pages.Error{Title: "Sign-in failed", Message: msg, Code: string(code),
		BackAction: authz.IssuerPath(fl.t.ID) + "/login", BackRequestID: fl.id}.HTML())
	return nil
}

// loginChoices are the ways in the tenant's sign-in pages offer besides
// the password: its connections, when the server can reach providers;
// and whether the password form is left out.
func (f *Flow) loginChoices(ctx context.Context, t storage.Tenant) ([]pages.Upstream, bool, error) {
	noPassword := t.Settings.PasswordLogin == "off"
	if !f.cfg.Connections.Enabled() {
		return nil, noPassword, nil
	}
	list, err := f.cfg.Store.ListConnections(ctx, t.ID)
	if err != nil {
		return nil, false, err
	}
	ups := make([]pages.Upstream, 0, len(list))
	for _, c := range list {
		ups = append(ups, pages.Upstream{ID: c.ID, Name: c.Name})
	}
	return ups, noPassword, nil
}

// upstreamCookieName is the name of chunk i of tenant's upstream cookie.
func (f *Flow) upstreamCookieName(tenant string, i int) string {
	return upstreamCookie + tenant + "-" + strconv.Itoa(i)
}

// setUpstreamCookie stores value in the tenant's upstream cookie, in
// chunks, for ttl, and clears chunks of an earlier value it does not use.
func (f *Flow) setUpstreamCookie(w http.ResponseWriter, r *http.Request, tenant, value string, ttl time.Duration) {
	i := 0
	for ; len(value) > 0; i++ {
		n := min(len(value), upstreamCookieChunk)
		f.setCookie(w, f.upstreamCookieName(tenant, i), value[:n], ttl)
		value = value[n:]
	}
	for ; i < upstreamCookieMax && f.cookie(r, f.upstreamCookieName(tenant, i)) != ""; i++ {
		f.setCookie(w, f.upstreamCookieName(tenant, i), "", -time.Second)
	}
}

// upstreamCookieValue is the tenant's upstream cookie, its chunks joined.
func (f *Flow) upstreamCookieValue(r *http.Request, tenant string) string {
	var v string
	for i := range upstreamCookieMax {
		c := f.cookie(r, f.upstreamCookieName(tenant, i))
		if c == "" {
			break
		}
		v += c
	}
	return v
}

// clearUpstreamCookie removes the tenant's upstream cookie.
func (f *Flow) clearUpstreamCookie(w http.ResponseWriter, r *http.Request, tenant string) {
	for i := 0; i < upstreamCookieMax && f.cookie(r, f.upstreamCookieName(tenant, i)) != ""; i++ {
		f.setCookie(w, f.upstreamCookieName(tenant, i), "", -time.Second)
	}
}
