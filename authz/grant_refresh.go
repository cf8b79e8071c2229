package authz

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/edgeauth/edgeauth/internal/secret"
	"github.com/edgeauth/edgeauth/storage"
)

// grantRefresh rotates a refresh token (OAuth 2.1 §4.3, RFC 9700 §4.14.2):
// every use returns a new token and invalidates the old one. Presenting a
// token the family held before (its MAC proves it: refresh.go) is reuse:
// the whole family is revoked. Any other token is invalid and revokes
// nothing. There is no retry grace: a client that loses a response must
// sign in again, which is the safe failure.
//
// A request that narrows neither scope nor resource (nearly all of them)
// is one round trip: the rotation reads the family back as it decides
// (refreshInOneTrip). One that narrows must see the family first
// (refreshAfterRead).
func (s *Server) grantRefresh(ctx context.Context, t storage.Tenant, client storage.Client, p Params) (*tokenResponse, error) {
	if !slices.Contains(client.GrantTypes, "refresh_token") {
		return nil, Errorf(CodeUnauthorizedClient, "the client may not use refresh tokens")
	}
	old := p.Get("refresh_token")
	if old == "" {
		return nil, Errorf(CodeInvalidRequest, "refresh_token is missing")
	}
	rt, ok := parseRefreshToken(old)
	if !ok {
		return nil, errBadRefresh
	}
	if p.Has("scope") || p.Has("resource") || rt.legacy {
		return s.refreshAfterRead(ctx, t, client, p, rt)
	}
	if !s.refresh.made(rt, t.ID) {
		return nil, errBadRefresh // made up: no family holds it
	}
	return s.refreshInOneTrip(ctx, t, client, rt)
}

var (
	errBadRefresh    = Errorf(CodeInvalidGrant, "the refresh token is invalid, expired or revoked")
	errReusedRefresh = Errorf(CodeInvalidGrant, "the refresh token was already used; the grant is revoked")
)

// refreshInOneTrip rotates rt in one storage round trip, which decides
// (the token is the family's current one, the family is this client's,
// live and unrevoked), writes the token.issued event and reads the family
// and its user back; the tokens are signed after it. Everything that can
// fail but signing is done before the rotation is stored: the signing key
// is at hand, the new refresh token (a function of the family and its next
// generation) and the access token's id are made. Signing after the
// rotation is the one difference from refreshAfterRead's order: a signing
// failure (the runtime's crypto) leaves the client with a spent token, as
// a lost response does.
func (s *Server) refreshInOneTrip(ctx context.Context, t storage.Tenant, client storage.Client, rt refreshToken) (*tokenResponse, error) {
	m, err := s.prepareIssue(ctx, t.ID)
	if err != nil {
		return nil, err
	}
	next := s.refresh.token(t.ID, rt.family, rt.gen+1)
	// The subject (the family's user; the client for a family without
	// one, as in the access token) and the scope are the family's: the
	// rotation fills them in.
	issued := s.cfg.Audit.Event(t.ID, "token.issued", client.ID, client.ID, map[string]any{"grant_type": "refresh_token", "jti": m.jti})
	fam, user, err := s.cfg.Store.RotateRefreshToken(ctx, storage.Rotation{
		TenantID: t.ID, FamilyID: rt.family, ClientID: client.ID, OldHash: secret.Hash(rt.raw), NewHash: secret.Hash(next),
		At: m.now, Issued: &issued, IssuedFromFamily: true,
	})
	switch {
	case errors.Is(err, storage.ErrConflict), errors.Is(err, storage.ErrNotFound):
		return nil, s.refreshRefused(ctx, t, client, rt, m.now)
	case err != nil:
		return nil, err
	case fam.UserID != "" && user == nil:
		// Unreachable while deleting a user deletes its families.
		s.revokeFamily(ctx, t.ID, rt.family, "user deleted")
		return nil, errBadRefresh
	case user != nil && user.Disabled:
		// Unreachable while disabling a user revokes its families in the
		// same batch.
		s.revokeFamily(ctx, t.ID, rt.family, "user disabled")
		return nil, errBadRefresh
	}
	return s.mint(ctx, m, grant{
		Tenant: t, Client: client, User: user, Scope: fam.Scope, Resources: strings.Fields(fam.Resource),
		AuthTime: fam.AuthTime.Unix(), Refresh: next, GrantID: rt.family, NotAfter: fam.ExpiresAt,
	})
}

// refreshRefused says why rt did not rotate, from its family as it is now,
// and revokes the family when rt is a token it held before: reuse, or a
// concurrent use that lost.
func (s *Server) refreshRefused(ctx context.Context, t storage.Tenant, client storage.Client, rt refreshToken, now time.Time) error {
	fam, _, err := s.cfg.Store.GetRefreshGrant(ctx, t.ID, rt.family)
	if errors.Is(err, storage.ErrNotFound) {
		return errBadRefresh
	} else if err != nil {
		return err
	}
	if err := s.checkRefresh(ctx, t, client, rt, fam, now); err != nil {
		return err
	}
	// Current again, the client's and live: nothing this request can use.
	return errBadRefresh
}

// checkRefresh checks rt against its family: bound to its client (OAuth
// 2.1 §4.3.1), live, and rt its current token; a token the family held
// before is reuse, which revokes the family.
func (s *Server) checkRefresh(ctx context.Context, t storage.Tenant, client storage.Client, rt refreshToken, fam storage.RefreshFamily, now time.Time) error {
	switch {
	case fam.ClientID != client.ID:
		return errBadRefresh
	case !fam.RevokedAt.IsZero() || !now.Before(fam.ExpiresAt):
		return errBadRefresh
	case !rt.current(fam) && s.refresh.issued(rt, fam):
		s.revokeFamily(ctx, t.ID, fam.ID, "refresh token reuse")
		return errReusedRefresh
	case !rt.current(fam):
		return errBadRefresh // made up, or an old token of before the MAC
	}
	return nil
}

// refreshAfterRead rotates rt after reading its family: for a request that
// narrows scope or resource (checked against the family before anything is
// stored) and for tokens of before the MAC.
func (s *Server) refreshAfterRead(ctx context.Context, t storage.Tenant, client storage.Client, p Params, rt refreshToken) (*tokenResponse, error) {
	fid := rt.family
	// The family and its user in one read (a deleted user's families are
	// gone with it).
	fam, user, err := s.cfg.Store.GetRefreshGrant(ctx, t.ID, fid)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, errBadRefresh
	} else if err != nil {
		return nil, err
	}
	now := s.Now()
	if err := s.checkRefresh(ctx, t, client, rt, fam, now); err != nil {
		return nil, err
	}
	scope, err := subsetScope(p.Get("scope"), p.Has("scope"), fam.Scope)
	if err != nil {
		return nil, err
	}
	resources, err := checkTokenResources(p["resource"], strings.Fields(fam.Resource))
	if err != nil {
		return nil, err
	}
	if fam.UserID != "" && user == nil {
		// Unreachable while deleting a user deletes its families; if a
		// family ever outlives its user, it must not issue tokens.
		s.revokeFamily(ctx, t.ID, fid, "user deleted")
		return nil, errBadRefresh
	}
	if user != nil && user.Disabled {
		return nil, errBadRefresh // (disabling revoked the family too)
	}
	next := s.refresh.token(t.ID, fid, fam.Generation+1)
	// Mint first, rotate last: once the rotation is stored the old token is
	// spent, so nothing that can fail may come after it (a failure there
	// would leave the client with a spent token, and its retry would look
	// like reuse and revoke the grant).
	resp, err := s.issue(ctx, grant{
		Tenant: t, Client: client, User: user, Scope: scope, Resources: resources,
		AuthTime: fam.AuthTime.Unix(), Refresh: next, GrantID: fid, NotAfter: fam.ExpiresAt,
	})
	if err != nil {
		return nil, err
	}
	// One compare-and-set decides between concurrent uses of one token;
	// the token.issued event is written with it, in the same round trip.
	issued := s.issuedEvent(t, client, "refresh_token", resp)
	_, _, err = s.cfg.Store.RotateRefreshToken(ctx, storage.Rotation{TenantID: t.ID, FamilyID: fid, ClientID: client.ID, OldHash: secret.Hash(rt.raw), NewHash: secret.Hash(next), At: now, Issued: &issued})
	if errors.Is(err, storage.ErrConflict) {
		s.revokeFamily(ctx, t.ID, fid, "concurrent refresh token use")
		return nil, errReusedRefresh
	} else if err != nil {
		return nil, err
	}
	return resp, nil
}

func (s *Server) revokeFamily(ctx context.Context, tenant, fid, why string) {
	s.log.WarnContext(ctx, "revoking refresh family", "tenant", tenant, "reason", why)
	s.record(ctx, tenant, "refresh.family_revoked", "", fid, map[string]any{"reason": why})
	if err := s.cfg.Store.RevokeRefreshFamily(ctx, tenant, fid, s.Now()); err != nil && !errors.Is(err, storage.ErrNotFound) {
		s.log.ErrorContext(ctx, "revoking refresh family failed", "tenant", tenant, "err", err)
	}
}
