package authz

import (
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/edgeauth/edgeauth/storage"
	"github.com/edgeauth/edgeauth/verify"
)

// introspection is the RFC 7662 §2.2 response. Only "active" is sent for
// an inactive token.
type introspection struct {
	Active    bool   `json:"active"`
	Scope     string `json:"scope,omitempty"`
	ClientID  string `json:"client_id,omitempty"`
	Username  string `json:"username,omitempty"`
	TokenType string `json:"token_type,omitempty"`
	Exp       int64  `json:"exp,omitempty"`
	Iat       int64  `json:"iat,omitempty"`
	Sub       string `json:"sub,omitempty"`
	Aud       any    `json:"aud,omitempty"`
	Iss       string `json:"iss,omitempty"`
	Jti       string `json:"jti,omitempty"`
	Tenant    string `json:"tenant,omitempty"`
	// Act is the act claim of an exchanged token (RFC 8693 §4.1: it may be
	// in an introspection answer).
	Act *verify.Actor `json:"act,omitempty"`
}

// Introspect handles RFC 7662 introspection for confidential clients
// (§2.1: the endpoint MUST require authorization). Access tokens are
// checked against the tenant's published keys, without leeway on their
// expiry, and are active only for a caller that stands for one of their
// audiences (its introspection_audiences, set by an admin) or that is
// their client, and while their grant is in force (grants.go); refresh
// tokens only for the client they were issued to.
func (s *Server) Introspect(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	t, p, client, err := s.clientRequest(w, r)
	if err != nil {
		return err
	}
	if client.TokenEndpointAuthMethod == "none" {
		return &Error{Code: CodeInvalidClient, Description: "introspection needs a confidential client"}
	}
	token := p.Get("token")
	if token == "" {
		return Errorf(CodeInvalidRequest, "token is missing")
	}
	out := introspection{}
	if fam, rt, ok, err := s.refreshFamilyOf(ctx, t.ID, token); err != nil {
		return err
	} else if ok {
		now := s.Now()
		if fam.ClientID == client.ID && fam.RevokedAt.IsZero() && now.Before(fam.ExpiresAt) && rt.current(fam) {
			out = introspection{Active: true, Scope: fam.Scope, ClientID: fam.ClientID, TokenType: "refresh_token",
				Exp: fam.ExpiresAt.Unix(), Iat: fam.RotatedAt.Unix(), Sub: fam.UserID, Iss: s.Issuer(t.ID), Tenant: t.ID}
		}
	} else if strings.Count(token, ".") == 2 {
		c, err := s.verifyAccessToken(ctx, t, token)
		switch {
		case errors.Is(err, errBadToken):
		case err != nil:
			return err
		// §4: the server MUST determine whether the token has expired:
		// its own tokens, without the leeway a resource server allows.
		case !s.Now().Before(c.ExpiresAt):
		// §4: and whether it can be used at the resource server asking:
		// the caller stands for one of its audiences, or is its client.
		case c.ClientID != client.ID && !slices.ContainsFunc(client.IntrospectionAudiences, func(a string) bool { return verify.HasResource(c.Audience, a) }):
		default:
			// OAuth 2.1 §4.1.3, RFC 7009 §2.1: a token whose grant was
			// revoked is no longer active (grants.go).
			if live, err := (grantCheck{s.cfg.Fresh}).active(ctx, t.ID, c); err != nil {
				return err
			} else if !live {
				break
			}
			// A token of no grant (client_credentials) or an exchanged one
			// ends with its client too, as the others do with their grant,
			// which is deleted with the client.
			if c.GrantID == "" || c.Actor != nil {
				if _, err := s.cfg.Store.GetClient(ctx, t.ID, c.ClientID); errors.Is(err, storage.ErrNotFound) {
					break
				} else if err != nil {
					return err
				}
			}
			out = introspection{Active: true, Scope: strings.Join(c.Scopes, " "), ClientID: c.ClientID, TokenType: "Bearer",
				Exp: c.ExpiresAt.Unix(), Iat: c.IssuedAt.Unix(), Sub: c.Subject, Aud: audienceJSON(c.Audience), Iss: c.Issuer, Jti: c.ID, Tenant: c.Tenant, Act: c.Actor}
		}
	}
	WriteJSON(w, http.StatusOK, out)
	return nil
}

// audienceJSON is aud as the token has it (RFC 7519 §4.1.3): a string when
// it has one value.
func audienceJSON(aud []string) any {
	if len(aud) == 1 {
		return aud[0]
	}
	return aud
}
