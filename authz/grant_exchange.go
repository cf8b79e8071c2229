package authz

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/edgeauth/edgeauth/internal/syntax"
	"github.com/edgeauth/edgeauth/storage"
	"github.com/edgeauth/edgeauth/verify"
)

// Token exchange (RFC 8693) identifiers.
const (
	// GrantTokenExchange is the grant_type of a token exchange (§2.1).
	GrantTokenExchange = "urn:ietf:params:oauth:grant-type:token-exchange"
	// TokenTypeAccessToken is the token type of an access token (§3).
	TokenTypeAccessToken = "urn:ietf:params:oauth:token-type:access_token"
)

// Bounds of a token exchange request.
const (
	maxExchangeTargets = 5 // resource and audience parameters together
	maxAudienceLen     = 512
	maxActorDepth      = 5 // act claims nested by exchanges of exchanged tokens
)

// exchanger is the token exchange grant (RFC 8693): an API that received
// a user's access token (an MCP server, say) exchanges it for a token to a
// downstream API, for the same user, with at most the same scope, and an
// act claim naming the API as the actor (§4.1).
//
// Which client may exchange, and for which audiences, is admin policy
// (the client's token_exchange_audiences, empty by default): a client
// that registered itself can never set it. The subject token must be one
// of the tenant's own access tokens, unexpired, and meant for the client
// exchanging it: issued to it, or for an audience it stands for (its
// introspection_audiences), so that a token in transit to one API cannot
// be exchanged by another.
type exchanger struct{ s *Server }

// grant handles grant_type token-exchange (RFC 8693 §2.1, §2.2). Errors
// follow §2.2.2: a subject token that is invalid or unacceptable is
// invalid_request, an audience the client may not have is invalid_target,
// a wider scope invalid_scope, and a client without the policy
// unauthorized_client.
func (x *exchanger) grant(ctx context.Context, t storage.Tenant, client storage.Client, p Params) (*tokenResponse, error) {
	s := x.s
	if client.TokenEndpointAuthMethod == "none" || !slices.Contains(client.GrantTypes, GrantTokenExchange) || len(client.TokenExchangeAudiences) == 0 {
		return nil, Errorf(CodeUnauthorizedClient, "the client may not exchange tokens")
	}
	if err := checkExchangeParams(p); err != nil {
		return nil, err
	}
	targets, err := exchangeTargets(client, p)
	if err != nil {
		return nil, err
	}
	sub, err := x.subject(ctx, t, client, p.Get("subject_token"))
	if err != nil {
		return nil, err
	}
	// §2.1: scope narrows; without it, the subject token's scope.
	scope, err := subsetScope(p.Get("scope"), p.Has("scope"), strings.Join(sub.Scopes, " "))
	if err != nil {
		return nil, err
	}
	// The new token names the subject token's grant: revoking the grant
	// ends it too (grants.go).
	g := grant{Tenant: t, Client: client, Scope: scope, Resources: targets, Subject: sub.Subject, NotAfter: sub.ExpiresAt,
		Actor: &verify.Actor{Subject: client.ID, Actor: sub.Actor}, GrantID: sub.GrantID}
	if !sub.AuthTime.IsZero() {
		g.AuthTime = sub.AuthTime.Unix()
	}
	switch u, err := s.cfg.Store.GetUser(ctx, t.ID, sub.Subject); {
	case err == nil:
		g.User = &u
	case !errors.Is(err, storage.ErrNotFound):
		return nil, err
	case sub.Subject != sub.ClientID:
		// Not a client_credentials token (whose sub is its client): its
		// user is gone.
		return nil, Errorf(CodeInvalidRequest, "the subject_token's user no longer exists")
	}
	resp, err := s.issue(ctx, g)
	if err != nil {
		return nil, err
	}
	resp.IssuedTokenType = TokenTypeAccessToken // §2.2.1: REQUIRED
	s.cfg.Audit.Append(ctx, s.cfg.Audit.Event(t.ID, "token.issued", client.ID, resp.subject, map[string]any{
		"grant_type": GrantTokenExchange, "scope": resp.Scope, "jti": resp.jti, "subject_jti": sub.ID, "audience": targets}))
	return resp, nil
}

// checkExchangeParams checks the token types and the parameters this
// server does not support (RFC 8693 §2.1).
func checkExchangeParams(p Params) error {
	switch typ := p.Get("subject_token_type"); {
	case !p.Has("subject_token"):
		return Errorf(CodeInvalidRequest, "subject_token is missing")
	case typ == "":
		return Errorf(CodeInvalidRequest, "subject_token_type is missing")
	case typ != TokenTypeAccessToken:
		return Errorf(CodeInvalidRequest, "subject_token_type %q is not supported: only %s", typ, TokenTypeAccessToken)
	}
	// The actor is the authenticated client; delegation to a third party
	// by actor_token is not offered.
	if p.Has("actor_token") || p.Has("actor_token_type") {
		return Errorf(CodeInvalidRequest, "actor_token is not supported: the client exchanging is the actor")
	}
	if rt := p.Get("requested_token_type"); rt != "" && rt != TokenTypeAccessToken {
		return Errorf(CodeInvalidRequest, "requested_token_type %q is not supported: only %s", rt, TokenTypeAccessToken)
	}
	return nil
}

// exchangeTargets are the resource and audience parameters of p (RFC 8693
// §2.1): at least one, each on the client's token_exchange_audiences.
func exchangeTargets(client storage.Client, p Params) ([]string, error) {
	targets := slices.Concat(p["resource"], p["audience"])
	switch {
	case len(targets) == 0:
		return nil, Errorf(CodeInvalidRequest, "resource or audience is required: the API the new token is for")
	case len(targets) > maxExchangeTargets:
		return nil, Errorf(CodeInvalidTarget, "at most %d resource and audience parameters", maxExchangeTargets)
	}
	for _, r := range p["resource"] {
		if err := syntax.CheckResource(r); err != nil { // RFC 8707 §2
			return nil, recode(err, CodeInvalidTarget)
		}
	}
	for _, a := range targets {
		if err := checkAudience(a); err != nil {
			return nil, recode(err, CodeInvalidTarget)
		}
		// §2.2.2: invalid_target for a target the server will not issue for.
		if !verify.HasResource(client.TokenExchangeAudiences, a) {
			return nil, Errorf(CodeInvalidTarget, "the client may not exchange tokens for %q", a)
		}
	}
	return syntax.Dedupe(targets), nil
}

// subject verifies the subject token for client (RFC 8693 §2.1: it MUST
// be valid, and here it must be acceptable): one of tenant t's access
// tokens (verify: signature by a published key, iss, tenant, typ),
// unexpired without leeway, meant for client, and not the end of a chain
// of exchanges already maxActorDepth long.
func (x *exchanger) subject(ctx context.Context, t storage.Tenant, client storage.Client, token string) (*verify.Claims, error) {
	s := x.s
	invalid := Errorf(CodeInvalidRequest, "subject_token is not a valid access token of this issuer")
	c, err := s.verifyAccessToken(ctx, t, token)
	switch {
	case errors.Is(err, errBadToken):
		return nil, &Error{Code: invalid.Code, Description: invalid.Description, Err: err}
	case err != nil:
		return nil, err
	case !s.Now().Before(c.ExpiresAt):
		return nil, Errorf(CodeInvalidRequest, "subject_token has expired")
	case c.ClientID != client.ID && !slices.ContainsFunc(client.IntrospectionAudiences, func(a string) bool { return verify.HasResource(c.Audience, a) }):
		return nil, Errorf(CodeInvalidRequest, "subject_token was not issued to this client, nor for an audience it stands for")
	case actorDepth(c.Actor) >= maxActorDepth:
		return nil, Errorf(CodeInvalidRequest, "subject_token has been exchanged %d times already", maxActorDepth)
	}
	// A token whose grant was revoked (sign-out, reuse, an admin, a
	// disabled user) is not active (RFC 7662), so not a valid subject.
	if live, err := (grantCheck{s.cfg.Fresh}).active(ctx, t.ID, c); err != nil {
		return nil, err
	} else if !live {
		return nil, Errorf(CodeInvalidRequest, "subject_token's grant has been revoked")
	}
	return c, nil
}

// actorDepth counts the actors of an act claim.
func actorDepth(a *verify.Actor) int {
	n := 0
	for ; a != nil; a = a.Actor {
		n++
	}
	return n
}

// checkAudience validates an RFC 8693 audience, a logical name or a
// resource URI: 1 to maxAudienceLen bytes of visible ASCII.
func checkAudience(a string) error {
	if a == "" || len(a) > maxAudienceLen || strings.ContainsFunc(a, func(r rune) bool { return r <= 0x20 || r >= 0x7f }) {
		return fmt.Errorf("audience %.40q must be 1 to %d visible ASCII characters", a, maxAudienceLen)
	}
	return nil
}
