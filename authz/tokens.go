package authz

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/edgeauth/edgeauth/internal/syntax"
	"github.com/edgeauth/edgeauth/jwks"
	"github.com/edgeauth/edgeauth/storage"
	"github.com/edgeauth/edgeauth/verify"
)

// accessClaims are the claims of a JWT access token (RFC 9068 §2.2) plus
// edgeauth's tenant and roles.
type accessClaims struct {
	Issuer   string       `json:"iss"`
	Subject  string       `json:"sub"`
	Audience jwt.Audience `json:"aud"` // encoded as a string when it has one value
	Expiry   int64        `json:"exp"`
	IssuedAt int64        `json:"iat"`
	ID       string       `json:"jti"`
	ClientID string       `json:"client_id"`
	Scope    string       `json:"scope,omitempty"`
	Tenant   string       `json:"tenant"`
	Roles    []string     `json:"roles,omitempty"`
	AuthTime int64        `json:"auth_time,omitempty"`
	// GrantID names the grant the token was issued for (the refresh
	// family of a user's grant), so that introspection can tell when it
	// was revoked; the name is Grant Management for OAuth 2.0's grant_id.
	GrantID string `json:"grant_id,omitempty"`
	// Act names the client acting for the subject (RFC 8693 §4.1): set on
	// tokens issued by token exchange.
	Act *verify.Actor `json:"act,omitempty"`
}

// idClaims are the claims of an OIDC ID token (OIDC Core §2).
type idClaims struct {
	Issuer   string `json:"iss"`
	Subject  string `json:"sub"`
	Audience string `json:"aud"`
	Expiry   int64  `json:"exp"`
	IssuedAt int64  `json:"iat"`
	AuthTime int64  `json:"auth_time,omitempty"`
	Nonce    string `json:"nonce,omitempty"`
	// SessionID is the browser session the user signed in with (OIDC
	// Front-Channel Logout 1.0 §3): an RP's logout request names it.
	SessionID         string `json:"sid,omitempty"`
	PreferredUsername string `json:"preferred_username,omitempty"`
	Name              string `json:"name,omitempty"`
	Email             string `json:"email,omitempty"`
	EmailVerified     *bool  `json:"email_verified,omitempty"`
}

// grant is what one token response is issued for.
type grant struct {
	Tenant    storage.Tenant
	Client    storage.Client
	User      *storage.User // nil for client_credentials
	Scope     string
	Resources []string // the audience asked for; empty: the tenant default
	AuthTime  int64
	Nonce     string
	// Refresh is the new refresh token to hand out, if any.
	Refresh string
	// IDToken asks for an ID token (openid scope at the code grant).
	IDToken bool
	// GrantID names the grant in the access token (grants.go); SessionID
	// the session in the ID token.
	GrantID, SessionID string
	// Token exchange (grant_exchange.go): Subject is sub when User is nil
	// ("": the client's id), Actor the act claim.
	Subject string
	Actor   *verify.Actor
	// NotAfter, when not zero, caps exp: no token outlives its grant, nor
	// an exchanged token the one it came from.
	NotAfter time.Time
}

// accessTTL is the client's access-token lifetime if it has one, else the
// tenant's, else DefaultAccessTokenTTL.
func (s *Server) accessTTL(t storage.Tenant, c storage.Client) time.Duration {
	if c.AccessTokenTTL > 0 {
		return time.Duration(c.AccessTokenTTL) * time.Second
	}
	if t.Settings.AccessTokenTTL > 0 {
		return time.Duration(t.Settings.AccessTokenTTL) * time.Second
	}
	return DefaultAccessTokenTTL
}

func (s *Server) refreshTTL(t storage.Tenant) time.Duration {
	if t.Settings.RefreshTokenTTL > 0 {
		return time.Duration(t.Settings.RefreshTokenTTL) * time.Second
	}
	return DefaultRefreshTokenTTL
}

// audience is the access token's aud: the resources granted (RFC 8707
// §2), else the tenant's default audience, else the issuer. A token
// without resources whose scope has openid names the issuer too: userinfo,
// the issuer's own resource, takes only tokens that name it, so a token
// an API received (its aud names only the API) cannot be replayed there.
func (s *Server) audience(t storage.Tenant, resources []string, scope string) jwt.Audience {
	iss := s.Issuer(t.ID)
	switch def := t.Settings.DefaultAudience; {
	case len(resources) > 0:
		return resources
	case def == "" || def == iss:
		return jwt.Audience{iss}
	case slices.Contains(strings.Fields(scope), "openid"):
		return jwt.Audience{def, iss}
	default:
		return jwt.Audience{def}
	}
}

// signer returns a signer for the tenant's current key of use among keys.
// An opened key is kept in memory (the record cache's memo): a kid names
// one key pair for ever, and which kid signs comes from keys.
func (s *Server) signer(ctx context.Context, keys []storage.SigningKey, tenant string, use storage.KeyUse) (*jwks.Signer, error) {
	k, err := jwks.Current(keys, use)
	if err != nil {
		return nil, fmt.Errorf("authz: tenant %s: %w", tenant, err)
	}
	sig, _, err := s.signers.Get(ctx, tenant+"\x00"+k.KID, func(context.Context) (*jwks.Signer, error) {
		return jwks.NewSigner(k, s.cfg.Sealer, s.cfg.SignBackend)
	})
	return sig, err
}

// issue mints the access token (and the ID token when asked) of g.
func (s *Server) issue(ctx context.Context, g grant) (*tokenResponse, error) {
	m, err := s.prepareIssue(ctx, g.Tenant.ID)
	if err != nil {
		return nil, err
	}
	return s.mint(ctx, m, g)
}

// minting is what minting tokens needs besides the grant, gathered first:
// the time, the access token's id, the tenant's keys and the signer of its
// current access-token key. Once it is at hand only signing can fail.
type minting struct {
	now    time.Time
	jti    string
	keys   []storage.SigningKey
	access *jwks.Signer
}

func (s *Server) prepareIssue(ctx context.Context, tenant string) (minting, error) {
	jti, err := s.NewSecret(16)
	if err != nil {
		return minting{}, err
	}
	// One read of the tenant's keys serves both tokens.
	keys, err := s.cfg.Store.ListKeys(ctx, tenant)
	if err != nil {
		return minting{}, err
	}
	sig, err := s.signer(ctx, keys, tenant, storage.UseAccessToken)
	if err != nil {
		return minting{}, err
	}
	return minting{now: s.Now(), jti: jti, keys: keys, access: sig}, nil
}

// mint signs g's access token (and ID token) with what m gathered.
func (s *Server) mint(ctx context.Context, m minting, g grant) (*tokenResponse, error) {
	ttl := s.accessTTL(g.Tenant, g.Client)
	if !g.NotAfter.IsZero() && m.now.Add(ttl).After(g.NotAfter) {
		ttl = g.NotAfter.Sub(m.now) // a grant's tokens end with it (grants.go)
	}
	c := accessClaims{
		Issuer: s.Issuer(g.Tenant.ID), Audience: s.audience(g.Tenant, g.Resources, g.Scope),
		Expiry: m.now.Add(ttl).Unix(), IssuedAt: m.now.Unix(), ID: m.jti,
		ClientID: g.Client.ID, Scope: g.Scope, Tenant: g.Tenant.ID, Subject: cmp.Or(g.Subject, g.Client.ID),
		GrantID: g.GrantID, Act: g.Actor,
	}
	if g.User != nil {
		c.Subject, c.Roles, c.AuthTime = g.User.ID, g.User.Roles, g.AuthTime
	}
	at, err := m.access.Sign(c, "at+jwt") // RFC 9068 §2.1
	if err != nil {
		return nil, err
	}
	resp := &tokenResponse{subject: c.Subject, jti: m.jti, AccessToken: at, TokenType: "Bearer", ExpiresIn: int64(ttl / time.Second), Scope: g.Scope, RefreshToken: g.Refresh}
	if g.IDToken && g.User != nil {
		if resp.IDToken, err = s.idToken(ctx, m.keys, g, m.now, ttl); err != nil {
			return nil, err
		}
	}
	return resp, nil
}

// idToken signs an OIDC ID token with the tenant's RS256 ID-token key
// (OIDC Discovery requires RS256 among the supported algorithms).
func (s *Server) idToken(ctx context.Context, keys []storage.SigningKey, g grant, now time.Time, ttl time.Duration) (string, error) {
	scopes := strings.Fields(g.Scope)
	c := idClaims{
		Issuer: s.Issuer(g.Tenant.ID), Subject: g.User.ID, Audience: g.Client.ID,
		Expiry: now.Add(ttl).Unix(), IssuedAt: now.Unix(), AuthTime: g.AuthTime, Nonce: g.Nonce, SessionID: g.SessionID,
	}
	profile := userClaims(*g.User, scopes)
	c.PreferredUsername, c.Name = profile.PreferredUsername, profile.Name
	c.Email, c.EmailVerified = profile.Email, profile.EmailVerified
	sig, err := s.signer(ctx, keys, g.Tenant.ID, storage.UseIDToken)
	if err != nil {
		return "", err
	}
	return sig.Sign(c, "JWT")
}

// profileClaims are the claims of a user's profile that the ID token and
// userinfo carry (OIDC Core §5.1, §5.4): preferred_username and name with
// the profile scope, email and email_verified with the email scope.
type profileClaims struct {
	PreferredUsername string `json:"preferred_username,omitempty"`
	Name              string `json:"name,omitempty"`
	Email             string `json:"email,omitempty"`
	EmailVerified     *bool  `json:"email_verified,omitempty"`
}

// userClaims are u's profile claims for a token of scopes. email_verified
// comes with an address only: it says whether that address is known to
// be the user's (an admin said so, or the upstream provider the user
// signed in with did).
func userClaims(u storage.User, scopes []string) profileClaims {
	var c profileClaims
	if slices.Contains(scopes, "profile") {
		c.PreferredUsername, c.Name = u.Username, u.Name
	}
	if slices.Contains(scopes, "email") && u.Email != "" {
		verified := u.EmailVerified
		c.Email, c.EmailVerified = u.Email, &verified
	}
	return c
}

// verifier checks tenant t's own access tokens with package verify, the
// one access-token checker (RFC 9068 §4: typ, signature, iss, exp with
// verify.DefaultLeeway, iat, tenant), against the keys the tenant
// publishes. aud is left to the caller: introspection stands for the
// audiences of the client asking, userinfo for the issuer.
func (s *Server) verifier(t storage.Tenant) (*verify.Verifier, error) {
	return verify.New(s.Issuer(t.ID), verify.Options{
		Keys: tenantKeys{s: s, tenant: t.ID}, Tenant: t.ID, SkipAudienceCheck: true, Now: s.cfg.Now,
	})
}

// verifyAccessToken checks one of tenant t's access tokens (verifier).
// A token that does not verify is errBadToken; a failure to read the keys
// is returned as it is.
func (s *Server) verifyAccessToken(ctx context.Context, t storage.Tenant, raw string) (*verify.Claims, error) {
	v, err := s.verifier(t)
	if err != nil {
		return nil, err
	}
	c, err := v.Verify(ctx, raw)
	if errors.Is(err, verify.ErrUnavailable) {
		return nil, err
	} else if err != nil {
		return nil, fmt.Errorf("%w: %w", errBadToken, err)
	}
	return c, nil
}

var errBadToken = errors.New("authz: token does not verify")

// tenantKeys is the verify.KeySource of a tenant's published access-token
// keys. A revoked key is gone from storage: its tokens stop verifying at
// once where it was revoked, and elsewhere within the record cache's TTL
// (Config.CacheTTL). A kid missing from the cached key list is looked up
// again past the cache, so a key published elsewhere a moment ago verifies
// at once.
type tenantKeys struct {
	s      *Server
	tenant string
}

// Key implements verify.KeySource.
func (k tenantKeys) Key(ctx context.Context, kid string) (verify.Key, error) {
	key, err := k.s.accessKey(ctx, k.s.cfg.Store, k.tenant, kid)
	if err == nil && key == nil && k.s.cfg.Cache != nil {
		key, err = k.s.accessKey(ctx, k.s.cfg.Fresh, k.tenant, kid)
	}
	switch {
	case err != nil:
		return verify.Key{}, fmt.Errorf("%w: %w", verify.ErrUnavailable, err)
	case key == nil:
		return verify.Key{}, fmt.Errorf("%w: %q", verify.ErrUnknownKey, kid)
	}
	return *key, nil
}

// accessKey returns the tenant's published access-token key kid, read from
// store, or nil if there is none. The parsed key is kept in the record
// cache's memo: a kid names one key pair for ever.
func (s *Server) accessKey(ctx context.Context, store storage.SigningKeys, tenant, kid string) (*verify.Key, error) {
	keys, err := store.ListKeys(ctx, tenant)
	if err != nil {
		return nil, err
	}
	for _, k := range jwks.Published(keys) {
		if k.KID == kid && k.Use == storage.UseAccessToken {
			key, _, err := s.keys.Get(ctx, tenant+"\x00"+kid, func(context.Context) (verify.Key, error) {
				var jwk jose.JSONWebKey
				if err := jwk.UnmarshalJSON(k.PublicJWK); err != nil {
					return verify.Key{}, err
				}
				return verify.Key{Algorithm: k.Alg, Public: jwk.Key}, nil
			})
			return &key, err
		}
	}
	return nil, nil
}

// joinResources stores a resource list in RefreshFamily.Resource: URIs
// cannot contain spaces.
func joinResources(r []string) string { return strings.Join(r, " ") }

// checkTokenResources applies RFC 8707 §2.2 at the token endpoint: the
// resources asked for must have been granted; none asked means all granted.
func checkTokenResources(requested, granted []string) ([]string, error) {
	if len(requested) == 0 {
		return granted, nil
	}
	for _, r := range requested {
		if !verify.HasResource(granted, r) {
			return nil, Errorf(CodeInvalidTarget, "resource %q was not granted", r)
		}
	}
	return syntax.Dedupe(requested), nil
}

// subsetScope implements down-scoping (RFC 6749 §6): the scope asked for
// must be within the granted one; none asked means all of it.
func subsetScope(requested string, given bool, granted string) (string, error) {
	if !given {
		return granted, nil
	}
	scope, outside, err := syntax.WithinScope(requested, granted)
	switch {
	case err != nil:
		return "", recode(err, CodeInvalidScope)
	case outside != "":
		return "", Errorf(CodeInvalidScope, "scope %q exceeds what was granted", outside)
	}
	return scope, nil
}
