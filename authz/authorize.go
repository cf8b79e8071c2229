package authz

import (
	"context"
	"errors"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/edgeauth/edgeauth/internal/syntax"
	"github.com/edgeauth/edgeauth/storage"
	"github.com/edgeauth/edgeauth/verify"
)

// Limits of an authorization request's own values. The browser carries a
// pending request, sealed, in the login and consent pages' URLs (authflow),
// and no request may make the server keep more than these bounds allow.
const (
	MaxState       = 1024 // bytes of state
	MaxNonce       = 512  // bytes of nonce
	MaxResources   = 5    // resource parameters (RFC 8707)
	MaxResourceLen = 512  // bytes of one resource indicator
)

// AuthRequest is a validated authorization request (OAuth 2.1 §4.1.1):
// what the browser flow carries from the authorization endpoint to the
// code it issues.
type AuthRequest struct {
	Tenant        string   `json:"t"`
	ClientID      string   `json:"c"`
	RedirectURI   string   `json:"r"`
	RedirectGiven bool     `json:"rg,omitempty"`
	State         string   `json:"st,omitempty"`
	Scope         string   `json:"sc,omitempty"`
	Resources     []string `json:"res,omitempty"`
	Challenge     string   `json:"cc"`
	Nonce         string   `json:"n,omitempty"`
	Prompt        string   `json:"p,omitempty"`
	MaxAge        int64    `json:"ma"` // -1: not given
}

// HasPrompt reports whether the request's prompt lists v.
func (ar *AuthRequest) HasPrompt(v string) bool { return slices.Contains(strings.Fields(ar.Prompt), v) }

// ParseAuthRequest validates the authorization request p of tenant t
// (OAuth 2.1 §4.1.1). Until client_id and redirect_uri are validated an
// error comes with a nil request: it must be shown to the user and never
// redirected (§4.1.2.1). After that the request comes back with the error
// too, and the error may be sent to the client (RedirectError), subject to
// the caller's rule for self-registered clients (RFC 9700 §4.11.2).
func (s *Server) ParseAuthRequest(ctx context.Context, t storage.Tenant, p Params) (*AuthRequest, storage.Client, error) {
	client, redirectURI, err := s.authorizeClient(ctx, t, p)
	if err != nil {
		return nil, client, err
	}
	ar := &AuthRequest{
		Tenant: t.ID, ClientID: client.ID, RedirectURI: redirectURI, RedirectGiven: p.Has("redirect_uri"),
		State: p.Get("state"), Nonce: p.Get("nonce"), Prompt: strings.Join(strings.Fields(p.Get("prompt")), " "), MaxAge: -1,
	}
	return ar, client, s.checkAuthorizeParams(t, client, p, ar)
}

// SelfRegistered clients have redirect URIs no admin vetted: dynamically
// registered ones (RFC 7591) and metadata-document clients.
func SelfRegistered(c storage.Client) bool { return c.Dynamic || IsURLClientID(c.ID) }

// authorizeClient validates client_id and redirect_uri, the two things
// that must be right before any error may be redirected.
func (s *Server) authorizeClient(ctx context.Context, t storage.Tenant, p Params) (storage.Client, string, error) {
	id := p.Get("client_id")
	if id == "" {
		return storage.Client{}, "", Errorf(CodeInvalidRequest, "client_id is missing")
	}
	client, err := s.LookupClient(ctx, t, id)
	if errors.Is(err, storage.ErrNotFound) {
		return storage.Client{}, "", &Error{Code: CodeInvalidClient, Description: "the client is not registered", Err: err}
	} else if err != nil {
		return storage.Client{}, "", err
	}
	NoteClient(ctx, id)
	uri := p.Get("redirect_uri")
	if !p.Has("redirect_uri") {
		// OAuth 2.1 §4.1.1: optional only when exactly one is registered.
		if len(client.RedirectURIs) != 1 {
			return client, "", Errorf(CodeInvalidRequest, "redirect_uri is required: the client has %d registered", len(client.RedirectURIs))
		}
		return client, client.RedirectURIs[0], nil
	}
	if !redirectURIMatches(client.RedirectURIs, uri) {
		return client, "", Errorf(CodeInvalidRequest, "redirect_uri is not registered for this client")
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
func (s *Server) checkAuthorizeParams(t storage.Tenant, client storage.Client, p Params, ar *AuthRequest) error {
	switch rt := p.Get("response_type"); {
	case rt == "":
		return Errorf(CodeInvalidRequest, "response_type is missing")
	case rt != "code":
		return Errorf(CodeUnsupportedRespType, "only response_type=code is supported")
	}
	if !slices.Contains(client.GrantTypes, "authorization_code") {
		return Errorf(CodeUnauthorizedClient, "the client may not use the authorization code grant")
	}
	// Request objects (OIDC Core §6, RFC 9101) are not supported, and
	// discovery says so; their use MUST get these errors.
	switch {
	case p.Has("request"):
		return Errorf(CodeRequestNotSupported, "request objects are not supported")
	case p.Has("request_uri"):
		return Errorf(CodeRequestURINotSupp, "request_uri is not supported")
	// OAuth 2.0 Multiple Response Types §2.1: the answer comes in the
	// query, the one mode discovery lists; a client asking for another
	// (form_post, fragment) would not find it where it looks.
	case p.Has("response_mode") && p.Get("response_mode") != "query":
		return Errorf(CodeInvalidRequest, "response_mode must be query, the only mode supported")
	}
	// PKCE is required for every client (OAuth 2.1 §4.1.1, §7.5.1), S256 only.
	switch m := p.Get("code_challenge_method"); {
	case !p.Has("code_challenge"):
		return Errorf(CodeInvalidRequest, "code_challenge is required (PKCE, S256)")
	case m != "S256":
		return Errorf(CodeInvalidRequest, "code_challenge_method must be S256")
	case !syntax.ValidS256Challenge(p.Get("code_challenge")):
		return Errorf(CodeInvalidRequest, "code_challenge must be 43 base64url characters (RFC 7636 §4.2)")
	}
	ar.Challenge = p.Get("code_challenge")

	scope, err := grantableScope(client, p.Get("scope"), p.Has("scope"))
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
	if p.Has("max_age") {
		n, err := strconv.ParseInt(p.Get("max_age"), 10, 64)
		if err != nil || n < 0 {
			return Errorf(CodeInvalidRequest, "max_age must be a non-negative integer")
		}
		ar.MaxAge = n
	}
	switch {
	case len(ar.State) > MaxState:
		return Errorf(CodeInvalidRequest, "state is longer than %d bytes", MaxState)
	case len(ar.Nonce) > MaxNonce:
		return Errorf(CodeInvalidRequest, "nonce is longer than %d bytes", MaxNonce)
	}
	return nil
}

// grantableScope checks a requested scope against the client's (RFC 6749
// §3.3). Without a scope parameter the client's registered scope is the
// default.
func grantableScope(client storage.Client, requested string, given bool) (string, error) {
	if !given {
		return client.Scope, nil
	}
	scope, outside, err := syntax.WithinScope(requested, client.Scope)
	switch {
	case err != nil:
		return "", recode(err, CodeInvalidScope)
	case outside != "":
		return "", Errorf(CodeInvalidScope, "scope %q is not allowed for this client", outside)
	}
	return scope, nil
}

// checkResources validates RFC 8707 resource indicators: absolute URIs
// without a fragment (§2), and, when the tenant keeps a list, on it.
func checkResources(t storage.Tenant, resources []string) ([]string, error) {
	if len(resources) > MaxResources {
		return nil, Errorf(CodeInvalidTarget, "at most %d resource parameters", MaxResources)
	}
	for _, res := range resources {
		if len(res) > MaxResourceLen {
			return nil, Errorf(CodeInvalidTarget, "a resource is longer than %d bytes", MaxResourceLen)
		}
		if err := syntax.CheckResource(res); err != nil {
			return nil, recode(err, CodeInvalidTarget)
		}
		if len(t.Settings.AllowedResources) > 0 && !verify.HasResource(t.Settings.AllowedResources, res) {
			return nil, Errorf(CodeInvalidTarget, "resource %q is not served by this tenant", res)
		}
	}
	return syntax.Dedupe(resources), nil
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
				return Errorf(CodeInvalidRequest, "prompt=none cannot be combined with other values")
			}
		default:
			return Errorf(CodeInvalidRequest, "prompt %q is not supported (none, login, consent)", w)
		}
	}
	return nil
}
