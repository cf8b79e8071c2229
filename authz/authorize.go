package authz

import (
	"context"
	"encoding/hex"
	"errors"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/edgeauth/edgeauth/storage"
	"github.com/edgeauth/edgeauth/verify"
)

// authorize handles the authorization endpoint (OAuth 2.1 §4.1.1). Until
// client_id and redirect_uri are validated, errors are an HTML page and
// never a redirect (§4.1.2.1); after that they go back to the client with
// state and iss (RFC 9207), except that dynamically registered and
// metadata-document clients get them redirected only to a browser that
// has signed in (authorizeError).
func (s *Server) authorize(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	t, err := s.tenant(ctx, r)
	if err != nil {
		return err
	}
	p, err := authorizeParams(w, r)
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
		http.Redirect(w, r, s.issuerPath(t.ID)+"/authorize?"+url.Values(p).Encode(), http.StatusSeeOther)
		return nil
	}
	client, redirectURI, err := s.authorizeClient(ctx, t, p)
	if err != nil {
		return err
	}
	ar := &authRequest{
		Tenant: t.ID, ClientID: client.ID, RedirectURI: redirectURI, RedirectGiven: p.has("redirect_uri"),
		State: p.get("state"), Nonce: p.get("nonce"), Prompt: strings.Join(strings.Fields(p.get("prompt")), " "), MaxAge: -1,
	}
	if err := s.checkAuthorizeParams(t, client, p, ar); err != nil {
		return s.authorizeError(w, r, client, ar, err)
	}
	bid, err := s.browserID(w, r)
	if err != nil {
		return err
	}
	ar.Browser = hex.EncodeToString(hashSecret(bid))
	if ar.CSRF, err = s.randomToken(32); err != nil {
		return err
	}
	// prompt=login and max_age=0 ask for a fresh sign-in whatever the
	// session (OIDC Core §3.1.2.1): only a sign-in from now on satisfies
	// this request, on every page it passes (needsLogin). prompt=none
	// forbids the login page, so the two together fail at once.
	if hasPrompt(ar.Prompt, "login") || ar.MaxAge == 0 {
		if ar.Prompt == "none" {
			return s.authorizeError(w, r, client, ar, errorf(CodeLoginRequired, "max_age=0 asks for a new sign-in, which prompt=none forbids"))
		}
		ar.LoginAfter = s.now().Unix()
		return s.toPage(w, r, ar, "", "login")
	}
	return s.proceed(w, r, t, client, ar, "")
}

// untrusted clients have redirect URIs no admin vetted: dynamically
// registered ones (RFC 7591) and metadata-document clients.
func untrusted(c storage.Client) bool { return c.Dynamic || isURLClientID(c.ID) }

// authorizeError answers an authorization error once client_id and
// redirect_uri are validated: redirected to the client, except that an
// untrusted client's error for a browser that has not signed in is the
// error page. RFC 9700 §4.11.2: the server MUST authenticate the user
// before it redirects, and SHOULD redirect automatically only to a URI it
// trusts; otherwise anyone who registers a client, or publishes a metadata
// document, could send people anywhere through this server. That includes
// prompt=none's login_required (the RFC's silent-authentication exception
// to the MUST; the SHOULD still holds for a URI nobody vetted).
func (s *Server) authorizeError(w http.ResponseWriter, r *http.Request, client storage.Client, ar *authRequest, err error) error {
	if untrusted(client) {
		if sess, serr := s.currentSession(r.Context(), r, ar.Tenant); serr != nil {
			return serr
		} else if sess == nil {
			return err
		}
	}
	return s.redirectError(w, r, ar, err)
}

// authorizeClient validates client_id and redirect_uri, the two things
// that must be right before any error may be redirected (see
// authorizeError for what else an untrusted client needs).
func (s *Server) authorizeClient(ctx context.Context, t storage.Tenant, p params) (storage.Client, string, error) {
	id := p.get("client_id")
	if id == "" {
		return storage.Client{}, "", errorf(CodeInvalidRequest, "client_id is missing")
	}
	client, err := s.lookupClient(ctx, t, id)
	if errors.Is(err, storage.ErrNotFound) {
		return storage.Client{}, "", &Error{Code: CodeInvalidClient, Description: "the client is not registered", Err: err}
	} else if err != nil {
		return storage.Client{}, "", err
	}
	noteClient(ctx, id)
	uri := p.get("redirect_uri")
	if !p.has("redirect_uri") {
		// OAuth 2.1 §4.1.1: optional only when exactly one is registered.
		if len(client.RedirectURIs) != 1 {
			return storage.Client{}, "", errorf(CodeInvalidRequest, "redirect_uri is required: the client has %d registered", len(client.RedirectURIs))
		}
		return client, client.RedirectURIs[0], nil
	}
	if !redirectURIMatches(client.RedirectURIs, uri) {
		return storage.Client{}, "", errorf(CodeInvalidRequest, "redirect_uri is not registered for this client")
	}
	return client, uri, nil
}

// redirectURIMatches compares exactly (OAuth 2.1 §2.3.1, RFC 9700
// §4.1.3), except that an http redirect URI on a loopback IP literal
// matches a registered one whatever the ports (RFC 8252 §7.3: the server
// MUST allow any port).
func redirectURIMatches(registered []string, uri string) bool {
	if slices.Contains(registered, uri) {
		return true
	}
	want, ok := loopbackWithoutPort(uri)
	if !ok {
		return false
	}
	for _, r := range registered {
		if got, ok := loopbackWithoutPort(r); ok && got == want {
			return true
		}
	}
	return false
}

// loopbackWithoutPort returns an http URI on a loopback IP literal with
// its port removed, or false for any other URI.
func loopbackWithoutPort(uri string) (string, bool) {
	u, err := url.Parse(uri)
	if err != nil || u.Scheme != "http" {
		return "", false
	}
	ip := net.ParseIP(u.Hostname())
	if ip == nil || !ip.IsLoopback() {
		return "", false
	}
	u.Host = u.Hostname()
	if strings.Contains(u.Host, ":") {
		u.Host = "[" + u.Host + "]"
	}
	return u.String(), true
}

// checkAuthorizeParams validates the rest of the request into ar.
func (s *Server) checkAuthorizeParams(t storage.Tenant, client storage.Client, p params, ar *authRequest) error {
	switch rt := p.get("response_type"); {
	case rt == "":
		return errorf(CodeInvalidRequest, "response_type is missing")
	case rt != "code":
		return errorf(CodeUnsupportedRespType, "only response_type=code is supported")
	}
	if !slices.Contains(client.GrantTypes, "authorization_code") {
		return errorf(CodeUnauthorizedClient, "the client may not use the authorization code grant")
	}
	// Request objects (OIDC Core §6, RFC 9101) are not supported, and
	// discovery says so; their use MUST get these errors.
	switch {
	case p.has("request"):
		return errorf(CodeRequestNotSupported, "request objects are not supported")
	case p.has("request_uri"):
		return errorf(CodeRequestURINotSupp, "request_uri is not supported")
	}
	// PKCE is required for every client (OAuth 2.1 §4.1.1, §7.5.1), S256 only.
	switch m := p.get("code_challenge_method"); {
	case !p.has("code_challenge"):
		return errorf(CodeInvalidRequest, "code_challenge is required (PKCE, S256)")
	case m != "S256":
		return errorf(CodeInvalidRequest, "code_challenge_method must be S256")
	case !validS256Challenge(p.get("code_challenge")):
		return errorf(CodeInvalidRequest, "code_challenge must be 43 base64url characters (RFC 7636 §4.2)")
	}
	ar.Challenge = p.get("code_challenge")

	scope, err := s.grantableScope(client, p.get("scope"), p.has("scope"))
	if err != nil {
		return err
	}
	ar.Scope = scope
	if ar.Resources, err = checkResources(t, p["resource"]); err != nil {
		return err
	}
	if err := checkPrompt(ar.Prompt); err != nil {
		return err
	}
	if p.has("max_age") {
		n, err := strconv.ParseInt(p.get("max_age"), 10, 64)
		if err != nil || n < 0 {
			return errorf(CodeInvalidRequest, "max_age must be a non-negative integer")
		}
		ar.MaxAge = n
	}
	if len(ar.State) > 2000 || len(ar.Nonce) > 500 {
		return errorf(CodeInvalidRequest, "state or nonce is too long")
	}
	return nil
}

// grantableScope checks a requested scope against the client's (RFC 6749
// §3.3). Without a scope parameter the client's registered scope is the
// default.
func (s *Server) grantableScope(client storage.Client, requested string, given bool) (string, error) {
	if !given {
		return client.Scope, nil
	}
	scope, outside, err := withinScope(requested, client.Scope)
	switch {
	case err != nil:
		return "", recode(err, CodeInvalidScope)
	case outside != "":
		return "", errorf(CodeInvalidScope, "scope %q is not allowed for this client", outside)
	}
	return scope, nil
}

// withinScope normalises the scope string requested (normalizeScope) and
// returns it with the first of its scopes that allowed lacks ("" when
// allowed has them all).
func withinScope(requested, allowed string) (scope, outside string, err error) {
	if scope, err = normalizeScope(requested); err != nil {
		return "", "", err
	}
	have := strings.Fields(allowed)
	for _, sc := range strings.Fields(scope) {
		if !slices.Contains(have, sc) {
			return scope, sc, nil
		}
	}
	return scope, "", nil
}

// checkResources validates RFC 8707 resource indicators: absolute URIs
// without a fragment (§2), and, when the tenant keeps a list, on it.
func checkResources(t storage.Tenant, resources []string) ([]string, error) {
	if len(resources) > 10 {
		return nil, errorf(CodeInvalidTarget, "at most 10 resource parameters")
	}
	for _, res := range resources {
		if err := checkResource(res); err != nil {
			return nil, errorf(CodeInvalidTarget, "%s", err.Error())
		}
		if len(t.Settings.AllowedResources) > 0 && !verify.HasResource(t.Settings.AllowedResources, res) {
			return nil, errorf(CodeInvalidTarget, "resource %q is not served by this tenant", res)
		}
	}
	return dedupe(resources), nil
}

// checkPrompt allows login, consent and none; none must stand alone (OIDC
// Core §3.1.2.1).
func checkPrompt(prompt string) error {
	words := strings.Fields(prompt)
	for _, w := range words {
		switch w {
		case "login", "consent":
		case "none":
			if len(words) > 1 {
				return errorf(CodeInvalidRequest, "prompt=none cannot be combined with other values")
			}
		default:
			return errorf(CodeInvalidRequest, "prompt %q is not supported (none, login, consent)", w)
		}
	}
	return nil
}

func hasPrompt(prompt, v string) bool { return slices.Contains(strings.Fields(prompt), v) }

// proceed moves a validated request on: to the login page, to the consent
// page, or back to the client with a code.
func (s *Server) proceed(w http.ResponseWriter, r *http.Request, t storage.Tenant, client storage.Client, ar *authRequest, arID string) error {
	ctx := r.Context()
	sess, err := s.currentSession(ctx, r, t.ID)
	if err != nil {
		return err
	}
	var user *storage.User
	if sess != nil {
		u, err := s.cfg.Store.GetUser(ctx, t.ID, sess.UserID)
		switch {
		case errors.Is(err, storage.ErrNotFound):
			sess = nil // the user was deleted: sign in again
		case err != nil:
			return err
		default:
			user = &u
		}
	}
	return s.proceedWith(w, r, t, client, ar, arID, sess, user)
}

// proceedWith is proceed for the session sess of user, both nil when no
// one is signed in. login calls it with the user it has just checked, so
// that user is not read again.
func (s *Server) proceedWith(w http.ResponseWriter, r *http.Request, t storage.Tenant, client storage.Client, ar *authRequest, arID string, sess *session, user *storage.User) error {
	ctx := r.Context()
	if s.needsLogin(ar, sess) || user == nil {
		if ar.Prompt == "none" {
			return s.authorizeError(w, r, client, ar, errorf(CodeLoginRequired, "the user is not signed in"))
		}
		return s.toPage(w, r, ar, arID, "login")
	}
	if s.needsConsent(ctx, client, ar, user.ID) {
		if ar.Prompt == "none" {
			return s.redirectError(w, r, ar, errorf(CodeConsentRequired, "the user has not approved this client"))
		}
		return s.toPage(w, r, ar, arID, "consent")
	}
	return s.issueCode(w, r, ar, arID, user.ID, sess.AuthTime)
}

// needsLogin: no session, a sign-in older than max_age, or one from
// before a request that asked for a new sign-in (prompt=login, max_age=0;
// OIDC Core §3.1.2.1). The login and consent pages ask it too, so a
// browser cannot skip the login page it was sent to.
func (s *Server) needsLogin(ar *authRequest, sess *session) bool {
	return sess == nil || sess.AuthTime < ar.LoginAfter ||
		ar.MaxAge > 0 && s.now().Unix()-sess.AuthTime > ar.MaxAge
}

// needsConsent: first-party clients never ask; others ask unless the user
// has already granted every requested scope, or prompt=consent.
func (s *Server) needsConsent(ctx context.Context, client storage.Client, ar *authRequest, userID string) bool {
	if client.FirstParty {
		return false
	}
	if untrusted(client) {
		// A remembered consent covers scopes, not where the browser goes
		// or which resources: a self-registered client's next request may
		// send it to another loopback port or ask for another API, and the
		// user must see that (MCP: localhost redirect URI risks).
		return true
	}
	if hasPrompt(ar.Prompt, "consent") {
		return true
	}
	c, err := s.cfg.Store.GetConsent(ctx, ar.Tenant, userID, client.ID)
	if err != nil {
		return true
	}
	granted := strings.Fields(c.Scope)
	for _, sc := range strings.Fields(ar.Scope) {
		if !slices.Contains(granted, sc) {
			return true
		}
	}
	return false
}

// toPage stores the pending request (once) and sends the browser to the
// login or consent page, which refer to it by id.
func (s *Server) toPage(w http.ResponseWriter, r *http.Request, ar *authRequest, arID, page string) error {
	if arID == "" {
		id, err := s.randomToken(32)
		if err != nil {
			return err
		}
		ar.Expires = s.now().Add(authRequestTTL).Unix()
		if err := s.putRecord(r.Context(), "ar", id, ar, authRequestTTL); err != nil {
			return err
		}
		arID = id
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, s.issuerPath(ar.Tenant)+"/"+page+"?req="+url.QueryEscape(arID), http.StatusSeeOther)
	return nil
}

// issueCode creates the authorization code, stores its bindings in KV and
// redirects to the client (OAuth 2.1 §4.1.2).
func (s *Server) issueCode(w http.ResponseWriter, r *http.Request, ar *authRequest, arID, userID string, authTime int64) error {
	code, err := s.randomToken(32)
	if err != nil {
		return err
	}
	rec := codeRecord{
		Tenant: ar.Tenant, ClientID: ar.ClientID, RedirectURI: ar.RedirectURI, RedirectGiven: ar.RedirectGiven,
		Challenge: ar.Challenge, Scope: ar.Scope, Resources: ar.Resources, Nonce: ar.Nonce,
		UserID: userID, AuthTime: authTime, ExpiresAt: s.now().Add(codeTTL).Unix(),
	}
	if err := s.putRecord(r.Context(), "code", code, rec, codeTTL); err != nil {
		return err
	}
	if arID != "" {
		s.deleteRecord(r.Context(), "ar", arID)
	}
	q := url.Values{"code": {code}}
	s.redirectToClient(w, r, ar, q)
	return nil
}

// redirectError sends an authorization error back to the client (OAuth 2.1
// §4.1.2.1). Only called once client_id and redirect_uri are validated.
func (s *Server) redirectError(w http.ResponseWriter, r *http.Request, ar *authRequest, err error) error {
	e := s.asError(r, err)
	if e.Code == CodeServerError {
		return e // not redirected: the page tells the user
	}
	q := url.Values{"error": {string(e.Code)}, "error_description": {e.Description}}
	s.redirectToClient(w, r, ar, q)
	return nil
}

// redirectToClient adds state and iss (RFC 9207 §2) to q and redirects to
// the validated redirect URI, keeping its own query (OAuth 2.1 §4.1.2).
func (s *Server) redirectToClient(w http.ResponseWriter, r *http.Request, ar *authRequest, q url.Values) {
	if ar.State != "" {
		q.Set("state", ar.State)
	}
	q.Set("iss", s.issuer(ar.Tenant))
	// The registered URI's own query is kept byte for byte (RFC 6749
	// §3.1.2: it MUST be retained), the response parameters appended.
	u, _ := url.Parse(ar.RedirectURI) // validated at registration and here
	if u.RawQuery != "" {
		u.RawQuery += "&"
	}
	u.RawQuery += q.Encode()
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, u.String(), http.StatusSeeOther)
}

// issuerPath is the path of the tenant's issuer, for same-origin
// redirects (BaseURL has no path).
func (s *Server) issuerPath(tenant string) string { return "/t/" + tenant }
