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
// URI, wrong verifier, used, its user deleted or disabled or its session
// ended since) gets the same invalid_grant. Single use is decided by one
// SQL insert; a second redemption revokes the refresh family the first one
// created. One KV read and one storage round trip in all: the user's
// claims come with the code, and the redemption's grant refers to the user
// and is born revoked if the user is disabled or the session has ended,
// which the redemption reads back. A spent code is not deleted from KV:
// the redemption row decides, and the record expires within codeTTL.
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
	user := storage.User{TenantID: t.ID, ID: rec.UserID}
	if c := rec.User; c != nil {
		user.Username, user.Name, user.Email, user.EmailVerified, user.Roles = c.Username, c.Name, c.Email, c.EmailVerified, c.Roles
	} else if user, err = s.cfg.Store.GetUser(ctx, t.ID, rec.UserID); errors.Is(err, storage.ErrNotFound) || err == nil && user.Disabled {
		return nil, bad // a code of the version before, whose user is gone or disabled
	} else if err != nil {
		return nil, err
	}

	// Every redemption starts a grant its tokens name (grants.go).
	fam, refresh, err := s.startGrant(t, client, storage.RefreshFamily{UserID: user.ID, Scope: rec.Scope,
		Resource: joinResources(rec.Resources), AuthTime: time.Unix(rec.AuthTime, 0), SessionID: rec.SessionID}, now)
	if err != nil {
		return nil, err
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
		GrantID: fam.ID, SessionID: rec.SessionID, NotAfter: fam.ExpiresAt,
	})
	if err != nil {
		return nil, err
	}
	issued := s.issuedEvent(t, client, "authorization_code", resp)
	err = s.cfg.Store.RedeemCode(ctx, storage.Redemption{
		TenantID: t.ID, CodeHash: codeHash, ClientID: client.ID, FamilyID: fam.ID,
		RedeemedAt: now, ExpiresAt: time.Unix(rec.ExpiresAt, 0).Add(time.Hour),
	}, fam, &issued)
	switch {
	case errors.Is(err, storage.ErrAlreadyExists):
		s.revokeRedeemed(ctx, t.ID, codeHash, now)
		return nil, bad
	case errors.Is(err, storage.ErrNotFound):
		return nil, bad // the user was deleted since the code was issued
	case errors.Is(err, storage.ErrConflict):
		// The grant was born revoked: the session the code was issued in
		// has ended, or the user was disabled, since. The code is spent.
		return nil, bad
	case err != nil:
		return nil, err
	}
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
