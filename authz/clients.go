package authz

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"time"

	"github.com/edgeauth/edgeauth/device"
	"github.com/edgeauth/edgeauth/internal/secret"
	"github.com/edgeauth/edgeauth/internal/syntax"
	"github.com/edgeauth/edgeauth/storage"
)

// ClientMetadata is RFC 7591 §2 client metadata as the admin API reads
// it, plus edgeauth's first_party. Pointers tell absent from given, so one
// type serves create and PATCH.
type ClientMetadata struct {
	ClientID                *string   `json:"client_id"`
	ClientName              *string   `json:"client_name"`
	RedirectURIs            *[]string `json:"redirect_uris"`
	GrantTypes              *[]string `json:"grant_types"`
	ResponseTypes           *[]string `json:"response_types"`
	TokenEndpointAuthMethod *string   `json:"token_endpoint_auth_method"`
	Scope                   *string   `json:"scope"`
	FirstParty              *bool     `json:"first_party"`
	AccessTokenTTL          *int64    `json:"access_token_ttl"`
	// IntrospectionAudiences: the audiences of the access tokens this
	// client may introspect, as the resource server for them (RFC 7662 §4).
	IntrospectionAudiences *[]string `json:"introspection_audiences"`
	// PostLogoutRedirectURIs: where the logout endpoint may send the
	// browser back to (OIDC RP-Initiated Logout 1.0 §3.1).
	PostLogoutRedirectURIs *[]string `json:"post_logout_redirect_uris"`
	// TokenExchangeAudiences: the audiences the client may exchange access
	// tokens for (RFC 8693, grant_exchange.go); admin policy, empty for
	// none.
	TokenExchangeAudiences *[]string `json:"token_exchange_audiences"`
	// LogoURI, PolicyURI and TOSURI: what the consent page shows of the
	// client (RFC 7591 §2); "" removes one.
	LogoURI   *string `json:"logo_uri"`
	PolicyURI *string `json:"policy_uri"`
	TOSURI    *string `json:"tos_uri"`
}

// DefaultSelfRegisteredScope is the scope of clients that register
// themselves when the tenant sets no self_registered_scope: the OpenID
// Connect scopes this server serves, and nothing of an API's. A tenant
// that wants such clients to reach its APIs lists the scopes they may ask
// for.
const DefaultSelfRegisteredScope = "openid profile email"

// SelfAsserted prepares the metadata of a client that registers itself
// (dynamic registration, metadata documents): it forgets what only an admin
// may set, and applies the tenant's self_registered_scope
// (DefaultSelfRegisteredScope when unset): the client's scope when it
// states none (RFC 7591 §2: the server MAY register a default set of
// scopes; an MCP client takes the scopes it asks for from the resource,
// not from its registration) and the most it may state. Nobody vetted
// such a client, so by default it reaches no API.
func (in *ClientMetadata) SelfAsserted(t storage.Tenant) error {
	in.ClientID, in.FirstParty, in.AccessTokenTTL, in.IntrospectionAudiences = nil, nil, nil, nil
	in.TokenExchangeAudiences = nil
	limit := cmp.Or(t.Settings.SelfRegisteredScope, DefaultSelfRegisteredScope)
	switch {
	case in.Scope == nil:
		in.Scope = &limit
		return nil
	}
	switch _, outside, err := syntax.WithinScope(*in.Scope, limit); {
	case err != nil:
		return recode(err, CodeInvalidClientMetadata)
	case outside != "":
		return Errorf(CodeInvalidClientMetadata, "scope %q is not open to clients that register themselves", outside)
	}
	return nil
}

// ClientInfo is the RFC 7591 §3.2.1 client information response.
// ClientSecret is set only when a secret was just created.
type ClientInfo struct {
	ClientID                string   `json:"client_id"`
	ClientSecret            string   `json:"client_secret,omitempty"`
	ClientIDIssuedAt        int64    `json:"client_id_issued_at"`
	ClientSecretExpiresAt   *int64   `json:"client_secret_expires_at,omitempty"`
	ClientName              string   `json:"client_name,omitempty"`
	RedirectURIs            []string `json:"redirect_uris"`
	GrantTypes              []string `json:"grant_types"`
	ResponseTypes           []string `json:"response_types"`
	TokenEndpointAuthMethod string   `json:"token_endpoint_auth_method"`
	Scope                   string   `json:"scope,omitempty"`
	FirstParty              bool     `json:"first_party"`
	// DynamicallyRegistered: the client came through RFC 7591
	// registration (read-only).
	DynamicallyRegistered  bool     `json:"dynamically_registered,omitempty"`
	IntrospectionAudiences []string `json:"introspection_audiences,omitempty"`
	PostLogoutRedirectURIs []string `json:"post_logout_redirect_uris,omitempty"`
	TokenExchangeAudiences []string `json:"token_exchange_audiences,omitempty"`
	AccessTokenTTL         int64    `json:"access_token_ttl,omitempty"`
	LogoURI                string   `json:"logo_uri,omitempty"`
	PolicyURI              string   `json:"policy_uri,omitempty"`
	TOSURI                 string   `json:"tos_uri,omitempty"`
	UpdatedAt              *string  `json:"updated_at,omitempty"`
}

// NewClientInfo is the client information response of c; secret is the
// client secret when one was just made, else "".
func NewClientInfo(c storage.Client, secret string) ClientInfo {
	resp := ClientInfo{
		ClientID: c.ID, ClientSecret: secret, ClientIDIssuedAt: c.CreatedAt.Unix(),
		ClientName: c.Name, RedirectURIs: NonNil(c.RedirectURIs), GrantTypes: NonNil(c.GrantTypes),
		ResponseTypes: NonNil(c.ResponseTypes), TokenEndpointAuthMethod: c.TokenEndpointAuthMethod,
		Scope: c.Scope, FirstParty: c.FirstParty, DynamicallyRegistered: c.Dynamic, IntrospectionAudiences: c.IntrospectionAudiences, AccessTokenTTL: c.AccessTokenTTL, UpdatedAt: TimeJSON(c.UpdatedAt),
		PostLogoutRedirectURIs: c.PostLogoutRedirectURIs,
		LogoURI:                c.LogoURI, PolicyURI: c.PolicyURI, TOSURI: c.TOSURI, TokenExchangeAudiences: c.TokenExchangeAudiences,
	}
	if c.SecretHash != nil {
		never := int64(0) // RFC 7591 §3.2.1: 0 means the secret does not expire.
		resp.ClientSecretExpiresAt = &never
	}
	return resp
}

// NonNil is s, or an empty slice for nil: a JSON array, never null.
func NonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// Client metadata limits.
const (
	maxRedirectURIs           = 20
	maxIntrospectionAudiences = 20
	maxTokenExchangeAudiences = 20
)

// ApplyTo validates the given fields, writes them into c, and checks that
// the result is consistent (RFC 7591 §2.1: grant and response types agree;
// a client_credentials client must authenticate).
func (in *ClientMetadata) ApplyTo(c *storage.Client) error {
	if v := in.ClientName; v != nil {
		if err := syntax.CheckText("client_name", *v, 200); err != nil {
			return recode(err, CodeInvalidClientMetadata)
		}
		c.Name = *v
	}
	if v := in.RedirectURIs; v != nil {
		if len(*v) > maxRedirectURIs {
			return Errorf(CodeInvalidRedirectURI, "at most %d redirect_uris", maxRedirectURIs)
		}
		for _, u := range *v {
			if err := syntax.CheckRedirectURI(u); err != nil {
				return Errorf(CodeInvalidRedirectURI, "%s", err.Error())
			}
		}
		c.RedirectURIs = syntax.Dedupe(*v)
	}
	if v := in.PostLogoutRedirectURIs; v != nil {
		// OIDC RP-Initiated Logout 1.0 §3.1: the same rules as redirect_uris.
		if len(*v) > maxRedirectURIs {
			return Errorf(CodeInvalidClientMetadata, "at most %d post_logout_redirect_uris", maxRedirectURIs)
		}
		for _, u := range *v {
			if err := syntax.CheckRedirectURI(u); err != nil {
				return Errorf(CodeInvalidClientMetadata, "post_logout_redirect_uris: %s", err.Error())
			}
		}
		c.PostLogoutRedirectURIs = syntax.Dedupe(*v)
	}
	if v := in.GrantTypes; v != nil {
		for _, g := range *v {
			switch g {
			case "authorization_code", "refresh_token", "client_credentials", device.GrantType, GrantTokenExchange:
			default:
				return Errorf(CodeInvalidClientMetadata, "grant type %q is not supported (authorization_code, refresh_token, client_credentials, %s, %s)", g, device.GrantType, GrantTokenExchange)
			}
		}
		c.GrantTypes = syntax.Dedupe(*v)
	}
	if v := in.ResponseTypes; v != nil {
		for _, t := range *v {
			if t != "code" {
				return Errorf(CodeInvalidClientMetadata, "response type %q is not supported (code)", t)
			}
		}
		c.ResponseTypes = syntax.Dedupe(*v)
	}
	if v := in.TokenEndpointAuthMethod; v != nil {
		switch *v {
		case "none", "client_secret_basic", "client_secret_post":
		default:
			return Errorf(CodeInvalidClientMetadata, "token_endpoint_auth_method %q is not supported (none, client_secret_basic, client_secret_post)", *v)
		}
		c.TokenEndpointAuthMethod = *v
	}
	if v := in.Scope; v != nil {
		scope, err := syntax.NormalizeScope(*v)
		if err != nil {
			return recode(err, CodeInvalidClientMetadata)
		}
		c.Scope = scope
	}
	if v := in.FirstParty; v != nil {
		c.FirstParty = *v
	}
	if v := in.IntrospectionAudiences; v != nil {
		if len(*v) > maxIntrospectionAudiences {
			return Errorf(CodeInvalidClientMetadata, "at most %d introspection_audiences", maxIntrospectionAudiences)
		}
		for _, a := range *v {
			if err := syntax.CheckResource(a); err != nil {
				return Errorf(CodeInvalidClientMetadata, "introspection_audiences: %s", err.Error())
			}
		}
		c.IntrospectionAudiences = syntax.Dedupe(*v)
	}
	if v := in.TokenExchangeAudiences; v != nil {
		if len(*v) > maxTokenExchangeAudiences {
			return Errorf(CodeInvalidClientMetadata, "at most %d token_exchange_audiences", maxTokenExchangeAudiences)
		}
		for _, a := range *v {
			if err := checkAudience(a); err != nil {
				return recode(err, CodeInvalidClientMetadata)
			}
		}
		c.TokenExchangeAudiences = syntax.Dedupe(*v)
	}
	if v := in.AccessTokenTTL; v != nil {
		lo, hi := int64(MinAccessTokenTTL/time.Second), int64(MaxAccessTokenTTL/time.Second)
		if *v != 0 && (*v < lo || *v > hi) {
			return Errorf(CodeInvalidClientMetadata, "access_token_ttl must be 0 (the tenant's) or between %d and %d seconds", lo, hi)
		}
		c.AccessTokenTTL = *v
	}
	for _, u := range []struct {
		name string
		in   *string
		dst  *string
	}{{"logo_uri", in.LogoURI, &c.LogoURI}, {"policy_uri", in.PolicyURI, &c.PolicyURI}, {"tos_uri", in.TOSURI, &c.TOSURI}} {
		if u.in == nil {
			continue
		}
		if *u.in != "" {
			if err := syntax.CheckWebURL(u.name, *u.in); err != nil {
				return recode(err, CodeInvalidClientMetadata)
			}
		}
		*u.dst = *u.in
	}
	return checkClientConsistency(c)
}

func checkClientConsistency(c *storage.Client) error {
	code := slices.Contains(c.GrantTypes, "authorization_code")
	switch {
	case len(c.GrantTypes) == 0:
		return Errorf(CodeInvalidClientMetadata, "grant_types must not be empty")
	case code != slices.Contains(c.ResponseTypes, "code"):
		return Errorf(CodeInvalidClientMetadata, `grant type "authorization_code" and response type "code" go together (RFC 7591 §2.1)`)
	case code && len(c.RedirectURIs) == 0:
		return Errorf(CodeInvalidRedirectURI, "redirect_uris is required for the authorization_code grant")
	case slices.Contains(c.GrantTypes, "refresh_token") && !code && !slices.Contains(c.GrantTypes, device.GrantType):
		return Errorf(CodeInvalidClientMetadata, `grant type "refresh_token" needs "authorization_code" or the device code grant`)
	case slices.Contains(c.GrantTypes, "client_credentials") && c.TokenEndpointAuthMethod == "none":
		return Errorf(CodeInvalidClientMetadata, `a public client (token_endpoint_auth_method "none") cannot use client_credentials`)
	case slices.Contains(c.GrantTypes, GrantTokenExchange) && c.TokenEndpointAuthMethod == "none":
		return Errorf(CodeInvalidClientMetadata, `a public client (token_endpoint_auth_method "none") cannot use token exchange`)
	}
	return nil
}

// CreateClient validates RFC 7591 metadata with RFC 7591's defaults (§2:
// grant_types authorization_code, response_types code,
// token_endpoint_auth_method client_secret_basic) and stores the client. A
// confidential client's secret is returned here only; storage keeps its
// SHA-256.
func (s *Server) CreateClient(ctx context.Context, t storage.Tenant, in ClientMetadata, dynamic bool) (storage.Client, string, error) {
	now := s.Now()
	c := storage.Client{
		TenantID: t.ID, GrantTypes: []string{"authorization_code"}, ResponseTypes: []string{"code"},
		TokenEndpointAuthMethod: "client_secret_basic", CreatedAt: now, UpdatedAt: now, Dynamic: dynamic,
	}
	if in.GrantTypes != nil && in.ResponseTypes == nil && !slices.Contains(*in.GrantTypes, "authorization_code") {
		c.ResponseTypes = nil // a client without the code grant has no response types
	}
	if err := in.ApplyTo(&c); err != nil {
		return c, "", err
	}
	var err error
	if in.ClientID != nil {
		if !syntax.ValidClientID(*in.ClientID) {
			return c, "", Errorf(CodeInvalidClientMetadata, "client_id must be 1-128 characters of A-Z a-z 0-9 . _ ~ -")
		}
		c.ID = *in.ClientID
	} else if c.ID, err = s.NewSecret(16); err != nil {
		return c, "", err
	}
	var sec string
	if c.TokenEndpointAuthMethod != "none" {
		if sec, err = s.NewSecret(32); err != nil {
			return c, "", err
		}
		c.SecretHash = secret.Hash(sec)
	}
	if dynamic {
		err = s.cfg.Store.RegisterClient(ctx, c, MaxDynamicClients)
	} else {
		err = s.cfg.Store.CreateClient(ctx, c)
	}
	switch {
	case dynamic && errors.Is(err, storage.ErrConflict):
		return c, "", Errorf(CodeAccessDenied, "this tenant has as many self-registered clients as it takes (%d); ask its administrator", MaxDynamicClients)
	case err != nil:
		return c, "", StorageError(err, "client")
	}
	return c, sec, nil
}

// MaxDynamicClients bounds the clients that registered themselves in one
// tenant (RFC 7591): under the open policy registration needs no
// credential, and no unauthenticated request may grow what is stored
// without a bound. An admin makes room by deleting some.
const MaxDynamicClients = 10_000

// TimeJSON renders a time as RFC 3339, or omits it when zero.
func TimeJSON(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.UTC().Format(time.RFC3339)
	return &s
}
