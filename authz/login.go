package authz

import (
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/edgeauth/edgeauth/ratelimit"
	"github.com/edgeauth/edgeauth/storage"
)

// pendingRequest loads the pending authorization request named by the
// "req" parameter and checks that this browser started it. Anything wrong
// is one HTML error: the user starts again from the application.
func (s *Server) pendingRequest(r *http.Request, t storage.Tenant, id string) (*authRequest, storage.Client, error) {
	ctx := r.Context()
	expired := errorf(CodeInvalidRequest, "this sign-in request has expired or is not valid")
	if len(id) != 43 {
		return nil, storage.Client{}, expired
	}
	var ar authRequest
	switch err := s.getRecord(ctx, "ar", id, &ar); {
	case errors.Is(err, storage.ErrNotFound):
		return nil, storage.Client{}, expired
	case err != nil:
		return nil, storage.Client{}, err
	}
	bid := s.cookie(r, browserCookie)
	if ar.Expires != 0 && s.now().Unix() >= ar.Expires || ar.Tenant != t.ID || bid == "" || subtle.ConstantTimeCompare([]byte(hex.EncodeToString(hashSecret(bid))), []byte(ar.Browser)) != 1 {
		return nil, storage.Client{}, expired
	}
	client, err := s.cfg.Store.GetClient(ctx, t.ID, ar.ClientID)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, storage.Client{}, expired
	} else if err != nil {
		return nil, storage.Client{}, err
	}
	return &ar, client, nil
}

// pendingForm reads a form posted by the login or consent page: the
// tenant, the parameters, and the pending request they refer to, after
// checking the browser binding and the CSRF field.
func (s *Server) pendingForm(w http.ResponseWriter, r *http.Request) (storage.Tenant, params, *authRequest, storage.Client, error) {
	t, err := s.tenant(r.Context(), r)
	if err != nil {
		return t, nil, nil, storage.Client{}, err
	}
	p, err := formParams(w, r)
	if err != nil {
		return t, nil, nil, storage.Client{}, err
	}
	ar, client, err := s.pendingRequest(r, t, p.get("req"))
	if err != nil {
		return t, nil, nil, storage.Client{}, err
	}
	if err := checkCSRF(ar, p); err != nil {
		return t, nil, nil, storage.Client{}, err
	}
	return t, p, ar, client, nil
}

// checkCSRF compares the form's csrf field with the pending request's
// token. Together with the SameSite=Lax browser cookie it makes every form
// post come from our own page in the same browser.
func checkCSRF(ar *authRequest, p params) error {
	if subtle.ConstantTimeCompare([]byte(p.get("csrf")), []byte(ar.CSRF)) != 1 {
		return errorf(CodeInvalidRequest, "the form has expired; start again from the application")
	}
	return nil
}

func (s *Server) showLogin(w http.ResponseWriter, code int, t storage.Tenant, client storage.Client, ar *authRequest, id, username, msg string) error {
	renderPage(w, code, loginPage{
		Title: "Sign in", TenantName: t.Name, ClientName: clientLabel(client), Message: msg, Username: username,
		Action: s.issuerPath(t.ID) + "/login", RequestID: id, CSRF: ar.CSRF,
	}.html())
	return nil
}

// uriHost is the host of a URI, for people to read ("" if it has none).
func uriHost(uri string) string {
	u, err := url.Parse(uri)
	if err != nil {
		return ""
	}
	return u.Hostname()
}

func clientLabel(c storage.Client) string {
	if c.Name != "" {
		return c.Name
	}
	return c.ID
}

// loginForm shows the sign-in form of a pending request.
func (s *Server) loginForm(w http.ResponseWriter, r *http.Request) error {
	t, err := s.tenant(r.Context(), r)
	if err != nil {
		return err
	}
	p, err := queryParams(r)
	if err != nil {
		return err
	}
	ar, client, err := s.pendingRequest(r, t, p.get("req"))
	if err != nil {
		return err
	}
	return s.showLogin(w, http.StatusOK, t, client, ar, p.get("req"), "", "")
}

// login checks the username and password. A wrong password and an unknown
// user get the same answer, after the same amount of hashing.
func (s *Server) login(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	t, p, ar, client, err := s.pendingForm(w, r)
	if err != nil {
		return err
	}
	id := p.get("req")
	username, password := strings.TrimSpace(p.get("username")), p.get("password")
	if err := s.limit(ctx, ratelimit.LimitLoginIP, t.ID+"|"+ratelimit.ClientIP(r, s.cfg.ClientIPHeader)); err != nil {
		return err
	}
	if err := s.limit(ctx, ratelimit.LimitLoginUser, t.ID+"|"+username); err != nil {
		return err
	}
	if username == "" || len(username) > 256 {
		return s.showLogin(w, http.StatusOK, t, client, ar, id, "", "Wrong username or password.")
	}
	// The streak and the user in one read: both are needed before the
	// password is checked.
	state, err := s.cfg.Store.GetLoginState(ctx, t.ID, username)
	if err != nil {
		return err
	}
	lockedOut := func(locked time.Duration) error {
		s.audit(ctx, t.ID, "login.locked", "", client.ID, map[string]any{"username": username})
		w.Header().Set("Retry-After", strconv.Itoa(int(locked.Round(time.Second)/time.Second)))
		return s.showLogin(w, http.StatusTooManyRequests, t, client, ar, id, username,
			"Too many failed sign-ins. Try again in "+roundUp(locked)+".")
	}
	if locked := s.lockedFor(state.Failures); locked > 0 {
		return lockedOut(locked)
	}
	// The attempt counts as a failure before the password is checked, in
	// one atomic upsert, and a correct password ends the streak. So
	// concurrent guesses each take their own place in the streak: one whose
	// place comes after failures this request did not see (others, just
	// now) is refused unchecked if they lock the username. Checking the
	// streak read above and counting only afterwards would let a burst of
	// guesses all pass the check.
	seen := int64(0)
	if f := state.Failures; f != nil && !f.Last.Before(s.now().Add(-lockoutWindow)) {
		seen = f.Count
	}
	streak, err := s.cfg.Store.RecordLoginFailure(ctx, t.ID, username, s.now(), lockoutWindow)
	if err != nil {
		return err
	}
	if before := streak.Count - 1; before != seen && lockoutDelay(before) > 0 {
		return lockedOut(lockoutDelay(before))
	}
	var user storage.User
	if state.User != nil {
		user = *state.User
	}
	hash := user.PasswordHash
	if hash == "" {
		hash = dummyPasswordHash // equal work for unknown users
	}
	ok, err := checkPassword(s.cfg.DeriveKey, hash, password)
	if err != nil {
		return err
	}
	if !ok || user.ID == "" || len(password) > maxPasswordLen {
		s.audit(ctx, t.ID, "login.failed", "", client.ID, map[string]any{"username": username})
		return s.showLogin(w, http.StatusOK, t, client, ar, id, username, "Wrong username or password.")
	}
	if err := s.cfg.Store.ResetLoginFailures(ctx, t.ID, username); err != nil {
		return err
	}
	sess, err := s.startSession(ctx, w, t.ID, user.ID, s.now())
	if err != nil {
		return err
	}
	s.audit(ctx, t.ID, "login.succeeded", user.ID, client.ID, nil)
	return s.proceedWith(w, r, t, client, ar, id, sess, &user)
}

// consentForm shows what the client asks for.
func (s *Server) consentForm(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	t, err := s.tenant(ctx, r)
	if err != nil {
		return err
	}
	p, err := queryParams(r)
	if err != nil {
		return err
	}
	id := p.get("req")
	ar, client, err := s.pendingRequest(r, t, id)
	if err != nil {
		return err
	}
	sess, err := s.currentSession(ctx, r, t.ID)
	if err != nil {
		return err
	}
	if s.needsLogin(ar, sess) {
		return s.toPage(w, r, ar, id, "login")
	}
	user, err := s.cfg.Store.GetUser(ctx, t.ID, sess.UserID)
	if errors.Is(err, storage.ErrNotFound) {
		return s.toPage(w, r, ar, id, "login") // the user was deleted: sign in again
	} else if err != nil {
		return err
	}
	page := consentPage{Title: "Allow access", TenantName: t.Name, ClientName: clientLabel(client), Username: user.Username,
		Scopes: strings.Fields(ar.Scope), Resources: ar.Resources, Action: s.issuerPath(t.ID) + "/consent", RequestID: id, CSRF: ar.CSRF,
		UserID: user.ID, RedirectHost: uriHost(ar.RedirectURI), Unverified: untrusted(client)}
	if isURLClientID(client.ID) {
		page.ClientHost = uriHost(client.ID)
	}
	renderPage(w, http.StatusOK, page.html())
	return nil
}

// consent records the user's decision: approve stores the consent and
// issues the code; deny returns access_denied to the client.
func (s *Server) consent(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	t, p, ar, client, err := s.pendingForm(w, r)
	if err != nil {
		return err
	}
	id := p.get("req")
	sess, err := s.currentSession(ctx, r, t.ID)
	if err != nil {
		return err
	}
	if s.needsLogin(ar, sess) {
		return s.toPage(w, r, ar, id, "login")
	}
	if p.get("user") != sess.UserID {
		// The page was shown to another user (who has since signed out or
		// been replaced in this browser, in another tab): show it again.
		return s.toPage(w, r, ar, id, "consent")
	}
	switch p.get("decision") {
	case "approve":
	case "deny":
		s.deleteRecord(ctx, "ar", id)
		s.audit(ctx, t.ID, "consent.denied", sess.UserID, client.ID, nil)
		return s.redirectError(w, r, ar, errorf(CodeAccessDenied, "the user denied the request"))
	default:
		return errorf(CodeInvalidRequest, "decision must be approve or deny")
	}
	granted := ar.Scope
	if old, err := s.cfg.Store.GetConsent(ctx, t.ID, sess.UserID, client.ID); err == nil {
		granted = strings.Join(dedupe(append(strings.Fields(old.Scope), strings.Fields(ar.Scope)...)), " ")
	}
	if err := s.cfg.Store.PutConsent(ctx, storage.Consent{TenantID: t.ID, UserID: sess.UserID, ClientID: client.ID, Scope: granted, GrantedAt: s.now()}); errors.Is(err, storage.ErrNotFound) {
		// The session's user (or the client) is gone; signing in again
		// shows which.
		return s.toPage(w, r, ar, id, "login")
	} else if err != nil {
		return err
	}
	s.audit(ctx, t.ID, "consent.granted", sess.UserID, client.ID, map[string]any{"scope": ar.Scope})
	return s.issueCode(w, r, ar, id, sess.UserID, sess.AuthTime)
}
