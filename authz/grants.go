package authz

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/edgeauth/edgeauth/internal/secret"
	"github.com/edgeauth/edgeauth/storage"
	"github.com/edgeauth/edgeauth/verify"
)

// A grant is what a user allowed a client, once: every authorization code
// redemption starts one, a refresh family (storage.RefreshTokens), with a
// refresh token when the client gets refresh tokens and without one
// otherwise. Every access token of a user names its grant in grant_id,
// and ends no later than the grant (grant.NotAfter): a grant that is
// pruned has no token left.
//
// A grant is revoked by a replayed code (OAuth 2.1 §4.1.3: the server
// SHOULD revoke the tokens the code issued), a reused refresh token
// (RFC 9700 §4.14.2), the revocation endpoint, signing out of the session
// it was given in, an admin, a revoked consent, and disabling or deleting
// its user (deleting the row). From then on its access tokens are
// inactive at introspection and refused at userinfo: the check below
// reads the grant's row, strongly consistent, at every location. Resource
// servers that verify tokens offline learn it only through introspection
// (verify.Introspection), or when the token expires.

// grantCheck decides whether the grant an access token names is in force.
type grantCheck struct{ store storage.RefreshTokens }

// active reports whether c's grant is in force: not revoked, and still
// the grant of c's client and subject. A token without grant_id
// (client_credentials, or issued before grant ids) has no grant to check:
// active.
//
// An exchanged token (one with act, grant_exchange.go) names the grant of
// the token it was exchanged for, whose client is another: it is in force
// while that grant is, so revoking the user's grant ends every token
// exchanged from it. Only this server signs grant_id, so a token cannot
// name a grant it was not derived from.
func (g grantCheck) active(ctx context.Context, tenant string, c *verify.Claims) (bool, error) {
	if c.GrantID == "" {
		return true, nil
	}
	fam, err := g.store.GetRefreshFamily(ctx, tenant, c.GrantID)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return false, nil // deleted with its user or client, or pruned once over
	case err != nil:
		return false, err
	}
	return fam.RevokedAt.IsZero() && (fam.ClientID == c.ClientID || c.Actor != nil) && fam.UserID == c.Subject, nil
}

// startGrant makes the grant a redemption (a code's, a device's) starts:
// fam, given the user, scope, resource, auth time and session, becomes a
// new refresh family of client with an id its tokens carry. It has a
// refresh token (returned, its hash in fam) when the client gets them,
// and ends with its access token when not. Nothing is stored: the
// redemption writes fam in its batch.
func (s *Server) startGrant(t storage.Tenant, client storage.Client, fam storage.RefreshFamily, now time.Time) (*storage.RefreshFamily, string, error) {
	fid, err := s.NewSecret(16)
	if err != nil {
		return nil, "", err
	}
	fam.TenantID, fam.ID, fam.ClientID = t.ID, fid, client.ID
	fam.CreatedAt, fam.RotatedAt, fam.ExpiresAt = now, now, now.Add(s.accessTTL(t, client))
	var refresh string
	if slices.Contains(client.GrantTypes, "refresh_token") {
		refresh = s.refresh.token(t.ID, fid, 0)
		fam.TokenHash, fam.ExpiresAt = secret.Hash(refresh), now.Add(s.refreshTTL(t))
	}
	return &fam, refresh, nil
}
