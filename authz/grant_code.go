package authz

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/edgeauth/edgeauth/internal/kvrecord"
	"github.com/edgeauth/edgeauth/internal/secret"
	"github.com/edgeauth/edgeauth/internal/syntax"
	"github.com/edgeauth/edgeauth/storage"
)

// grantCode redeems an authorization code (OAuth 2.1 §4.1.3). Every way a
// code can be wrong (unknown, expired, another client's, wrong redirect
// URI, wrong verifier, used) gets the same invalid_grant. Single use is
// decided by one SQL insert; a second redemption revokes the refresh
// family the first one created.
func (s *Server) grantCode(ctx context.Context, t storage.Tenant, client storage.Client, p Params) (*tokenResponse, error) {
	if !slices.Contains(client.GrantTypes, "authorization_code") {
		return nil, Errorf(CodeUnauthorizedClient, "the client may not use the authorization code grant")
	}
	code, verifier := p.Get("code"), p.Get("code_verifier")
	switch {
	case code == "":
		return nil, Errorf(CodeInvalidRequest, "code is missing")
	case verifier == "":
		return nil, Errorf(CodeInvalidRequest, "code_verifier is missing (PKCE is required)")
	}
	bad := Errorf(CodeInvalidGrant, "the authorization code is invalid, expired or already used")
	now := s.Now()
	codeHash := secret.Hash(code)
	var rec codeRecord
	if err := kvrecord.Get(ctx, s.cfg.KV, "code", code, &rec); errors.Is(err, storage.ErrNotFound) {
		// Gone from KV: unknown, expired, or redeemed and deleted. A
		// redemption row tells the last case: a replay.
		s.revokeRedeemed(ctx, t.ID, codeHash, now)
		return nil, bad
	} else if err != nil {
		return nil, err
	}
	redirect := p.Get("redirect_uri")
	switch {
	case rec.Tenant != t.ID || rec.ClientID != client.ID:
		return nil, bad
	case now.Unix() > rec.ExpiresAt:
		return nil, bad
	// RFC 6749 §4.1.3: redirect_uri is REQUIRED when the authorization
	// request had one, and must be identical. Said plainly: only the
	// code's own client, before the code is spent, learns it.
	case rec.RedirectGiven && !p.Has("redirect_uri"):
		return nil, Errorf(CodeInvalidRequest, "redirect_uri is missing: the authorization request had one, and the token request must repeat it")
	case p.Has("redirect_uri") && redirect != rec.RedirectURI:
		return nil, Errorf(CodeInvalidGrant, "redirect_uri does not match the one of the authorization request")
	// RFC 7636 §4.6: BASE64URL(SHA256(code_verifier)) == code_challenge.
	case !syntax.ValidCodeVerifier(verifier) || !pkceS256Matches(verifier, rec.Challenge):
		return nil, bad
	}
	resources, err := checkTokenResources(p["resource"], rec.Resources)
	if err != nil {
		return nil, err
	}
	user, err := s.cfg.Store.GetUser(ctx, t.ID, rec.UserID)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, bad
	} else if err != nil {
		return nil, err
	}

	var fid, refresh string
	if slices.Contains(client.GrantTypes, "refresh_token") {
		if fid, err = s.NewSecret(16); err != nil {
			return nil, err
		}
		refresh = s.refreshTokenFor(t.ID, fid, 0)
	}
	// Everything that can fail comes before the redemption, the write that
	// spends the code: the tokens are minted first. The redemption, the
	// refresh family and the token.issued event are one atomic write (one
	// round trip): if the redemption loses (a replay), none of it is
	// stored, and the family of the first redemption is revoked.
	resp, err := s.issue(ctx, grant{
		Tenant: t, Client: client, User: &user, Scope: rec.Scope, Resources: resources,
		AuthTime: rec.AuthTime, Nonce: rec.Nonce, Refresh: refresh,
		IDToken: slices.Contains(strings.Fields(rec.Scope), "openid"),
	})
	if err != nil {
		return nil, err
	}
	var fam *storage.RefreshFamily
	if fid != "" {
		fam = &storage.RefreshFamily{
			TenantID: t.ID, ID: fid, ClientID: client.ID, UserID: user.ID, Scope: rec.Scope,
			Resource: joinResources(rec.Resources), AuthTime: time.Unix(rec.AuthTime, 0),
			TokenHash: secret.Hash(refresh), CreatedAt: now, RotatedAt: now, ExpiresAt: now.Add(s.refreshTTL(t)),
		}
	}
	issued := s.issuedEvent(t, client, "authorization_code", resp)
	err = s.cfg.Store.RedeemCode(ctx, storage.Redemption{
		TenantID: t.ID, CodeHash: codeHash, ClientID: client.ID, FamilyID: fid,
		RedeemedAt: now, ExpiresAt: time.Unix(rec.ExpiresAt, 0).Add(time.Hour),
	}, fam, &issued)
	if err != nil {
		if errors.Is(err, storage.ErrAlreadyExists) {
			s.revokeRedeemed(ctx, t.ID, codeHash, now)
			return nil, bad
		}
		return nil, err
	}
	s.forget(ctx, "code", code)
	return resp, nil
}

// revokeRedeemed handles a code that may have been redeemed already: if
// it was, the refresh family issued by the first redemption is revoked
// (OAuth 2.1 §4.1.3). Failures are logged; the request is refused either
// way.
func (s *Server) revokeRedeemed(ctx context.Context, tenant string, codeHash []byte, now time.Time) {
	red, err := s.cfg.Store.GetRedemption(ctx, tenant, codeHash)
	if err != nil || red.FamilyID == "" {
		return
	}
	s.record(ctx, tenant, "code.replay_detected", red.ClientID, red.FamilyID, nil)
	if err := s.cfg.Store.RevokeRefreshFamily(ctx, tenant, red.FamilyID, now); err != nil && !errors.Is(err, storage.ErrNotFound) {
		s.log.ErrorContext(ctx, "revoking the grant of a replayed code failed", "tenant", tenant, "err", err)
	}
}

func pkceS256Matches(verifier, challenge string) bool {
	sum := sha256.Sum256([]byte(verifier))
	got := base64.RawURLEncoding.EncodeToString(sum[:])
	return subtle.ConstantTimeCompare([]byte(got), []byte(challenge)) == 1
}

// forget deletes a KV record that has served its purpose; a failure is
// logged, since every record also expires by itself.
func (s *Server) forget(ctx context.Context, kind, key string) {
	if err := kvrecord.Delete(ctx, s.cfg.KV, kind, key); err != nil {
		s.log.WarnContext(ctx, "kv delete failed", "kind", kind, "err", err)
	}
}
