package authz

import (
	"errors"
	"net/http"
	"slices"

	"github.com/edgeauth/edgeauth/storage"
	"github.com/edgeauth/edgeauth/verify"
)

// Userinfo serves the OIDC UserInfo endpoint (OIDC Core §5.3) for an
// access token with the openid scope, presented as a bearer token
// (RFC 6750 §2.1). Errors carry RFC 6750 §3 challenges. OIDC Core §5.3:
// the endpoint SHOULD support CORS; the server's router lets any origin
// read the answer, refusals and their challenge included.
func (s *Server) Userinfo(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	t, err := s.Tenant(ctx, r)
	if err != nil {
		return err
	}
	realm := `Bearer realm="` + s.Issuer(t.ID) + `"`
	token, ok := BearerToken(r)
	if !ok {
		return &Error{Code: CodeInvalidToken, Description: "a bearer access token is required", WWWAuthenticate: realm}
	}
	invalid := &Error{Code: CodeInvalidToken, Description: "the access token is not valid", WWWAuthenticate: realm + `, error="invalid_token"`}
	c, err := s.verifyAccessToken(ctx, t, token)
	if errors.Is(err, errBadToken) {
		return invalid
	} else if err != nil {
		return err
	}
	// RFC 9068 §4: a resource server MUST reject a token whose aud does
	// not name it. UserInfo is the issuer's own resource: tokens issued
	// with openid and without a resource indicator name the issuer
	// (audience); a token meant for an API (RFC 8707, or the tenant's
	// default audience) cannot be replayed here.
	if !verify.HasResource(c.Audience, s.Issuer(t.ID)) {
		return &Error{Code: CodeInvalidToken, Description: "the access token is not meant for userinfo",
			WWWAuthenticate: realm + `, error="invalid_token"`}
	}
	scopes := c.Scopes
	if !slices.Contains(scopes, "openid") {
		return &Error{Code: CodeInsufficientScope, Description: "the access token lacks the openid scope",
			WWWAuthenticate: realm + `, error="insufficient_scope", scope="openid"`}
	}
	// The token's grant must be in force (grants.go): a signed-out or
	// revoked grant's token learns nothing here.
	if live, err := (grantCheck{s.cfg.Fresh}).active(ctx, t.ID, c); err != nil {
		return err
	} else if !live {
		return invalid
	}
	u, err := s.cfg.Store.GetUser(ctx, t.ID, c.Subject)
	if errors.Is(err, storage.ErrNotFound) || err == nil && u.Disabled {
		return invalid
	} else if err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, struct {
		Subject string `json:"sub"`
		profileClaims
	}{u.ID, userClaims(u, scopes)})
	return nil
}
