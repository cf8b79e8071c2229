package authz

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/edgeauth/edgeauth/device"
	"github.com/edgeauth/edgeauth/internal/secret"
	"github.com/edgeauth/edgeauth/ratelimit"
	"github.com/edgeauth/edgeauth/storage"
)

// tokenResponse is the successful token response (RFC 6749 §5.1).
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	RefreshToken string `json:"refresh_token,omitempty"`
	Scope        string `json:"scope"`
	IDToken      string `json:"id_token,omitempty"`
	// IssuedTokenType is RFC 8693 §2.2.1's, for token exchange only.
	IssuedTokenType string `json:"issued_token_type,omitempty"`

	subject, jti string // for the audit log
}

// issuedEvent is the token.issued audit event of a token response of grant
// type gt. Each grant writes it: the code and refresh grants in the same
// store call that spends the code or token, client_credentials on its own.
func (s *Server) issuedEvent(t storage.Tenant, client storage.Client, gt string, resp *tokenResponse) storage.AuditEvent {
	return s.cfg.Audit.Event(t.ID, "token.issued", client.ID, resp.subject, map[string]any{"grant_type": gt, "scope": resp.Scope, "jti": resp.jti})
}

// Token handles the token endpoint: one switch over grant_type.
func (s *Server) Token(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	// resource may repeat (RFC 8707 §2), and a token exchange's audience
	// too (RFC 8693 §2.1).
	t, p, client, err := s.clientRequest(w, r, "resource", "audience")
	if err != nil {
		return err
	}
	var resp *tokenResponse
	switch gt := p.Get("grant_type"); gt {
	case "authorization_code":
		resp, err = s.grantCode(ctx, t, client, p)
	case "refresh_token":
		resp, err = s.grantRefresh(ctx, t, client, p)
	case "client_credentials":
		resp, err = s.grantClientCredentials(ctx, t, client, p)
	case device.GrantType:
		resp, err = s.device.grant(ctx, t, client, p)
	case GrantTokenExchange:
		resp, err = s.exchange.grant(ctx, t, client, p)
	case "":
		err = Errorf(CodeInvalidRequest, "grant_type is missing")
	default:
		err = Errorf(CodeUnsupportedGrantType, "grant_type %q is not supported", gt)
	}
	if err != nil {
		return err
	}
	w.Header().Set("Pragma", "no-cache")
	WriteJSON(w, http.StatusOK, resp) // Cache-Control: no-store (RFC 6749 §5.1)
	return nil
}

// clientRequest reads a back-channel request (token, revocation,
// introspection, device authorization): the tenant, the form parameters
// (names in multi may repeat) and the authenticated client, whose
// browser origins may read the answer from then on (allowOrigin).
func (s *Server) clientRequest(w http.ResponseWriter, r *http.Request, multi ...string) (storage.Tenant, Params, storage.Client, error) {
	t, err := s.Tenant(r.Context(), r)
	if err != nil {
		return t, nil, storage.Client{}, err
	}
	p, err := FormParams(w, r, multi...)
	if err != nil {
		return t, nil, storage.Client{}, err
	}
	client, err := s.authenticateClient(r.Context(), r, t, p)
	if err != nil {
		return t, p, client, err
	}
	// Before anything else can fail: a browser-based client reads its
	// errors too, the rate limit's 429 and Retry-After included.
	s.allowOrigin(w, r, client)
	key := t.ID + "|" + client.ID
	if client.TokenEndpointAuthMethod == "none" {
		key += "|" + ratelimit.ClientIP(r, s.cfg.ClientIPHeader) // a public client is many users
	}
	return t, p, client, s.Limit(r.Context(), ratelimit.LimitToken, key)
}

// authenticateClient identifies and authenticates the client of a token,
// revocation or introspection request (RFC 6749 §2.3): client_secret_basic,
// client_secret_post, or none for a public client that sends only
// client_id. Using two methods at once is invalid_request (§2.3). Every
// failure to authenticate is the same invalid_client, a 401 that writeError
// sends with a Basic challenge whatever the method tried.
func (s *Server) authenticateClient(ctx context.Context, r *http.Request, t storage.Tenant, p Params) (storage.Client, error) {
	basicID, basicSecret, basic, err := basicAuth(r)
	if err != nil {
		return storage.Client{}, err
	}
	id, given := p.Get("client_id"), p.Get("client_secret")
	switch {
	case basic && p.Has("client_secret"):
		return storage.Client{}, Errorf(CodeInvalidRequest, "use one client authentication method, not both Basic and client_secret")
	case basic && p.Has("client_id") && id != basicID:
		return storage.Client{}, Errorf(CodeInvalidRequest, "client_id does not match the Basic credentials")
	case basic:
		id, given = basicID, basicSecret
	}
	fail := &Error{Code: CodeInvalidClient, Description: "client authentication failed"}
	if id == "" {
		return storage.Client{}, fail
	}
	client, err := s.LookupClient(ctx, t, id)
	if errors.Is(err, storage.ErrNotFound) {
		return storage.Client{}, fail
	} else if err != nil {
		return storage.Client{}, err
	}
	NoteClient(ctx, client.ID)
	if client.TokenEndpointAuthMethod == "none" {
		if basic || given != "" {
			return storage.Client{}, fail // a public client has no given to present
		}
		return client, nil
	}
	// Confidential: a given is required; Basic and post are both accepted.
	if given == "" || subtle.ConstantTimeCompare(secret.Hash(given), client.SecretHash) != 1 {
		return storage.Client{}, fail
	}
	return client, nil
}

// basicAuth parses "Authorization: Basic" whose id and secret are
// form-urlencoded before base64 (RFC 6749 §2.3.1).
func basicAuth(r *http.Request) (id, secret string, ok bool, err error) {
	h := r.Header.Values("Authorization")
	if len(h) == 0 {
		return "", "", false, nil
	}
	scheme, cred, _ := strings.Cut(h[0], " ")
	if len(h) > 1 || !strings.EqualFold(scheme, "Basic") {
		return "", "", false, &Error{Code: CodeInvalidClient, Description: "unsupported Authorization header"}
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(cred))
	if err != nil {
		return "", "", false, &Error{Code: CodeInvalidClient, Description: "malformed Basic credentials"}
	}
	u, pw, found := strings.Cut(string(raw), ":")
	if !found {
		return "", "", false, &Error{Code: CodeInvalidClient, Description: "malformed Basic credentials"}
	}
	if id, err = url.QueryUnescape(u); err == nil {
		secret, err = url.QueryUnescape(pw)
	}
	if err != nil {
		return "", "", false, &Error{Code: CodeInvalidClient, Description: "malformed Basic credentials"}
	}
	return id, secret, true, nil
}
