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
// (RFC 6750 §2.1). Errors carry RFC 6750 §3 challenges. Any origin may
// read the answer (anyOrigin), refusals included.
func (s *Server) Userinfo(w http.ResponseWriter, r *http.Request) error {
	// OIDC Core §5.3: the endpoint SHOULD support CORS. A client may read
	// why a token was refused.
	anyOrigin(w)
	w.Header().Set("Access-Control-Expose-Headers", "WWW-Authenticate")
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
	u, err := s.cfg.Store.GetUser(ctx, t.ID, c.Subject)
	if errors.Is(err, storage.ErrNotFound) {
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
