package authz

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/edgeauth/edgeauth/storage"
)

// Revoke handles RFC 7009 token revocation. Revoking a refresh token
// revokes its whole family. An unknown or already invalid token is still
// 200 (§2.2). An access token of a user's grant revokes that grant
// (§2.1: the server MAY revoke the respective refresh token as well), its
// refresh token and every access token it issued: they are inactive at
// introspection from then on (grants.go), and expire within their
// lifetime at resource servers that check offline. An access token of no
// grant (client_credentials) is self-contained and cannot be revoked: a
// valid one is unsupported_token_type (§2.2.1), not a 200 that would tell
// the client it was revoked.
func (s *Server) Revoke(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	t, p, client, err := s.clientRequest(w, r)
	if err != nil {
		return err
	}
	token := p.Get("token")
	if token == "" {
		return Errorf(CodeInvalidRequest, "token is missing")
	}
	fam, _, ok, err := s.refreshFamilyOf(ctx, t.ID, token)
	if err != nil {
		return err
	}
	switch {
	case ok:
		// §2.1: the token must have been issued to the client revoking it.
		if fam.ClientID != client.ID {
			return Errorf(CodeUnauthorizedClient, "the token was not issued to this client")
		}
		if err := s.cfg.Store.RevokeRefreshFamily(ctx, t.ID, fam.ID, s.Now()); err != nil && !errors.Is(err, storage.ErrNotFound) {
			return err
		}
	case strings.Count(token, ".") == 2:
		c, err := s.verifyAccessToken(ctx, t, token)
		switch {
		case errors.Is(err, errBadToken):
			// invalid or expired: nothing to revoke (§2.2)
		case err != nil:
			return err
		case c.ClientID != client.ID:
			return Errorf(CodeUnauthorizedClient, "the token was not issued to this client")
		case c.GrantID == "":
			return Errorf(CodeUnsupportedTokenType, "this access token has no grant to revoke; it expires within its lifetime")
		case c.Actor != nil:
			// An exchanged token names the grant of the user's token to
			// another client (grants.go): revoking that is not this
			// client's to do.
			return Errorf(CodeUnsupportedTokenType, "an exchanged access token cannot be revoked alone; it ends with the grant it came from, or expires within its lifetime")
		default:
			if err := s.cfg.Store.RevokeRefreshFamily(ctx, t.ID, c.GrantID, s.Now()); err != nil && !errors.Is(err, storage.ErrNotFound) {
				return err
			}
		}
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	return nil
}

// refreshFamilyOf finds the family of a refresh token it issued, now or
// before (its MAC says so: refresh.go). ok is false for anything else: not
// a refresh token, another tenant's, or one made up from a family id.
func (s *Server) refreshFamilyOf(ctx context.Context, tenant, token string) (storage.RefreshFamily, refreshToken, bool, error) {
	rt, ok := parseRefreshToken(token)
	if !ok {
		return storage.RefreshFamily{}, rt, false, nil
	}
	fam, err := s.cfg.Store.GetRefreshFamily(ctx, tenant, rt.family)
	if errors.Is(err, storage.ErrNotFound) {
		return storage.RefreshFamily{}, rt, false, nil
	} else if err != nil {
		return storage.RefreshFamily{}, rt, false, err
	}
	return fam, rt, s.refresh.issued(rt, fam), nil
}
