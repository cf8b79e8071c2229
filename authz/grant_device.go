package authz

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/edgeauth/edgeauth/device"
	"github.com/edgeauth/edgeauth/internal/secret"
	"github.com/edgeauth/edgeauth/storage"
)

// grant answers a device's poll of the token endpoint (RFC 8628 §3.4,
// §3.5): authorization_pending until the user decides, slow_down to a poll
// that came too soon (and the interval grows by 5 seconds), access_denied,
// expired_token, or the tokens, once. Each poll is one statement; the
// redemption is one batch that only an approved, unexpired request passes,
// so a device code is redeemed once. A device code presented again after
// its redemption revokes the grant it issued, as a replayed authorization
// code does (OAuth 2.1 §4.1.3): a legitimate device stops polling once it
// has its tokens. Its concurrent polls are slowed down, never redeemed,
// and one that comes too soon after the redemption (the device racing
// itself, or retrying a lost answer) revokes nothing. (At the 1-second
// interval no poll is too soon: device.Leeway takes the whole of it, so
// that a retry after a failed poll is answered.)
func (d *DeviceFlow) grant(ctx context.Context, t storage.Tenant, client storage.Client, p Params) (*tokenResponse, error) {
	s := d.s
	if !slices.Contains(client.GrantTypes, device.GrantType) {
		return nil, Errorf(CodeUnauthorizedClient, "the client may not use the device authorization grant")
	}
	code := p.Get("device_code")
	if code == "" {
		return nil, Errorf(CodeInvalidRequest, "device_code is missing")
	}
	bad := Errorf(CodeInvalidGrant, "the device code is invalid")
	now := s.Now()
	rec, err := s.cfg.Store.PollDeviceAuthorization(ctx, storage.DevicePoll{
		TenantID: t.ID, DeviceHash: secret.Hash(code), ClientID: client.ID, At: now, Leeway: device.Leeway, SlowDown: device.SlowDown,
	})
	if errors.Is(err, storage.ErrNotFound) {
		return nil, bad // unknown, another client's, or pruned after its expiry
	} else if err != nil {
		return nil, err
	}
	switch out := device.Answer(rec, now); out {
	case device.Pending:
		return nil, Errorf(CodeAuthorizationPending, "the user has not decided yet")
	case device.TooSoon:
		return nil, Errorf(CodeSlowDown, "polling too often: wait the interval between requests, now %d seconds", rec.Interval)
	case device.Denied:
		return nil, &Error{Code: CodeAccessDenied, Description: "the user denied the request", TokenEndpoint: true}
	case device.Expired:
		return nil, Errorf(CodeExpiredToken, "the device code has expired; start again")
	case device.Replayed, device.Repeated:
		if out == device.Replayed && rec.FamilyID != "" {
			s.revokeFamily(ctx, t.ID, rec.FamilyID, "device code reuse")
		}
		return nil, Errorf(CodeInvalidGrant, "the device code was already used")
	}
	// RFC 8707 §2.2: the token may be narrowed to resources the user
	// granted, never widened.
	resources, err := checkTokenResources(p["resource"], rec.Resources)
	if err != nil {
		return nil, err
	}
	return d.redeem(ctx, t, client, rec, resources)
}

// redeem issues the tokens of an approved device authorization, for
// resources (the granted ones, or fewer), and spends it. Tokens are
// minted first; the redemption, the refresh family and the token.issued
// event are one atomic write, and a losing redemption stores none of
// them.
func (d *DeviceFlow) redeem(ctx context.Context, t storage.Tenant, client storage.Client, rec storage.DeviceAuthorization, resources []string) (*tokenResponse, error) {
	s := d.s
	bad := Errorf(CodeInvalidGrant, "the device code is invalid")
	user, err := s.cfg.Store.GetUser(ctx, t.ID, rec.UserID)
	if errors.Is(err, storage.ErrNotFound) || err == nil && user.Disabled {
		return nil, bad
	} else if err != nil {
		return nil, err
	}
	// A grant as for a code (grants.go), but not bound to the browser
	// session the user approved in: signing out there does not sign the
	// device out.
	now := s.Now()
	fam, refresh, err := s.startGrant(t, client, storage.RefreshFamily{UserID: user.ID, Scope: rec.Scope,
		Resource: joinResources(rec.Resources), AuthTime: rec.AuthTime}, now)
	if err != nil {
		return nil, err
	}
	resp, err := s.issue(ctx, grant{
		Tenant: t, Client: client, User: &user, Scope: rec.Scope, Resources: resources,
		AuthTime: rec.AuthTime.Unix(), Refresh: refresh, IDToken: slices.Contains(strings.Fields(rec.Scope), "openid"),
		GrantID: fam.ID, NotAfter: fam.ExpiresAt,
	})
	if err != nil {
		return nil, err
	}
	issued := s.issuedEvent(t, client, device.GrantType, resp)
	err = s.cfg.Store.RedeemDeviceAuthorization(ctx, storage.DeviceRedemption{
		TenantID: t.ID, DeviceHash: rec.DeviceHash, ClientID: client.ID, At: now, Family: fam, Issued: &issued,
	})
	if errors.Is(err, storage.ErrConflict) || errors.Is(err, storage.ErrNotFound) {
		return nil, bad // redeemed, expired or its user deleted meanwhile
	} else if err != nil {
		return nil, err
	}
	return resp, nil
}
