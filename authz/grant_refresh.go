package authz

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/edgeauth/edgeauth/internal/secret"
	"github.com/edgeauth/edgeauth/storage"
)

// grantRefresh rotates a refresh token (OAuth 2.1 §4.3, RFC 9700 §4.14.2):
// every use returns a new token and invalidates the old one. Presenting a
// token the family held before (its MAC proves it: refresh.go) is reuse:
// the whole family is revoked. Any other token is invalid and revokes
// nothing. There is no retry grace: a client that loses a response must
// sign in again, which is the safe failure.
func (s *Server) grantRefresh(ctx context.Context, t storage.Tenant, client storage.Client, p Params) (*tokenResponse, error) {
	if !slices.Contains(client.GrantTypes, "refresh_token") {
		return nil, Errorf(CodeUnauthorizedClient, "the client may not use refresh tokens")
	}
	old := p.Get("refresh_token")
	if old == "" {
		return nil, Errorf(CodeInvalidRequest, "refresh_token is missing")
	}
	bad := Errorf(CodeInvalidGrant, "the refresh token is invalid, expired or revoked")
	rt, ok := parseRefreshToken(old)
	if !ok {
		return nil, bad
	}
	fid := rt.family
	// The family and its user in one read (a deleted user's families are
	// gone with it).
	fam, user, err := s.cfg.Store.GetRefreshGrant(ctx, t.ID, fid)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, bad
	} else if err != nil {
		return nil, err
	}
	now := s.Now()
	switch {
	case fam.ClientID != client.ID: // bound to its client (OAuth 2.1 §4.3.1)
		return nil, bad
	case !fam.RevokedAt.IsZero() || !now.Before(fam.ExpiresAt):
		return nil, bad
	case !rt.current(fam) && rt.issuedBy(s, fam):
		s.revokeFamily(ctx, t.ID, fid, "refresh token reuse")
		return nil, Errorf(CodeInvalidGrant, "the refresh token was already used; the grant is revoked")
	case !rt.current(fam):
		return nil, bad // made up, or an old token of before the MAC
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
		return nil, bad
	}
	if user != nil && user.Disabled {
		return nil, bad // (disabling revoked the family too)
	}
	next := s.refreshTokenFor(t.ID, fid, fam.Generation+1)
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
	if err := s.cfg.Store.RotateRefreshToken(ctx, storage.Rotation{TenantID: t.ID, FamilyID: fid, OldHash: secret.Hash(old), NewHash: secret.Hash(next), At: now, Issued: &issued}); errors.Is(err, storage.ErrConflict) {
		s.revokeFamily(ctx, t.ID, fid, "concurrent refresh token use")
		return nil, Errorf(CodeInvalidGrant, "the refresh token was already used; the grant is revoked")
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
