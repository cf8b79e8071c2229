package authz

import (
	"context"
	"net/http"
	"slices"
	"strings"

	"github.com/edgeauth/edgeauth/storage"
)

// clientMetadataJSON is RFC 7591 §2 client metadata as the admin API reads
// it, plus edgeauth's first_party. Pointers tell absent from given, so one
// type serves create and PATCH.
type clientMetadataJSON struct {
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
}

// selfAsserted prepares the metadata of a client that registers itself
// (dynamic registration, metadata documents): it forgets what only an admin
// may set, and applies the tenant's self_registered_scope, the client's
// scope when it states none (RFC 7591 §2: the server MAY register a default
// set of scopes; an MCP client takes the scopes it asks for from the
// resource, not from its registration) and, when set, the most it may
// state.
func (in *clientMetadataJSON) selfAsserted(t storage.Tenant) error {
	in.ClientID, in.FirstParty, in.AccessTokenTTL, in.IntrospectionAudiences = nil, nil, nil, nil
	limit := t.Settings.SelfRegisteredScope
	switch {
	case limit == "":
		return nil
	case in.Scope == nil:
		in.Scope = &limit
		return nil
	}
	switch _, outside, err := withinScope(*in.Scope, limit); {
	case err != nil:
		return recode(err, CodeInvalidClientMetadata)
	case outside != "":
		return errorf(CodeInvalidClientMetadata, "scope %q is not open to clients that register themselves", outside)
	}
	return nil
}

// clientResponse is the RFC 7591 §3.2.1 client information response.
// ClientSecret is set only when a secret was just created.
type clientResponse struct {
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
	AccessTokenTTL         int64    `json:"access_token_ttl,omitempty"`
	UpdatedAt              *string  `json:"updated_at,omitempty"`
}

func newClientResponse(c storage.Client, secret string) clientResponse {
	resp := clientResponse{
		ClientID: c.ID, ClientSecret: secret, ClientIDIssuedAt: c.CreatedAt.Unix(),
		ClientName: c.Name, RedirectURIs: nonNil(c.RedirectURIs), GrantTypes: nonNil(c.GrantTypes),
		ResponseTypes: nonNil(c.ResponseTypes), TokenEndpointAuthMethod: c.TokenEndpointAuthMethod,
		Scope: c.Scope, FirstParty: c.FirstParty, DynamicallyRegistered: c.Dynamic, IntrospectionAudiences: c.IntrospectionAudiences, AccessTokenTTL: c.AccessTokenTTL, UpdatedAt: timeJSON(c.UpdatedAt),
	}
	if c.SecretHash != nil {
		never := int64(0) // RFC 7591 §3.2.1: 0 means the secret does not expire.
		resp.ClientSecretExpiresAt = &never
	}
	return resp
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// Client metadata limits.
const (
	maxRedirectURIs           = 20
	maxIntrospectionAudiences = 20
	maxScopeLen               = 1000
)

// applyTo validates the given fields, writes them into c, and checks that
// the result is consistent (RFC 7591 §2.1: grant and response types agree;
// a client_credentials client must authenticate).
func (in *clientMetadataJSON) applyTo(c *storage.Client) error {
	if v := in.ClientName; v != nil {
		if err := checkText("client_name", *v, 200); err != nil {
			return recode(err, CodeInvalidClientMetadata)
		}
		c.Name = *v
	}
	if v := in.RedirectURIs; v != nil {
		if len(*v) > maxRedirectURIs {
			return errorf(CodeInvalidRedirectURI, "at most %d redirect_uris", maxRedirectURIs)
		}
		for _, u := range *v {
			if err := checkRedirectURI(u); err != nil {
				return errorf(CodeInvalidRedirectURI, "%s", err.Error())
			}
		}
		c.RedirectURIs = dedupe(*v)
	}
	if v := in.GrantTypes; v != nil {
		for _, g := range *v {
			switch g {
			case "authorization_code", "refresh_token", "client_credentials":
			default:
				return errorf(CodeInvalidClientMetadata, "grant type %q is not supported (authorization_code, refresh_token, client_credentials)", g)
			}
		}
		c.GrantTypes = dedupe(*v)
	}
	if v := in.ResponseTypes; v != nil {
		for _, t := range *v {
			if t != "code" {
				return errorf(CodeInvalidClientMetadata, "response type %q is not supported (code)", t)
			}
		}
		c.ResponseTypes = dedupe(*v)
	}
	if v := in.TokenEndpointAuthMethod; v != nil {
		switch *v {
		case "none", "client_secret_basic", "client_secret_post":
		default:
			return errorf(CodeInvalidClientMetadata, "token_endpoint_auth_method %q is not supported (none, client_secret_basic, client_secret_post)", *v)
		}
		c.TokenEndpointAuthMethod = *v
	}
	if v := in.Scope; v != nil {
		scope, err := normalizeScope(*v)
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
			return errorf(CodeInvalidClientMetadata, "at most %d introspection_audiences", maxIntrospectionAudiences)
		}
		for _, a := range *v {
			if err := checkResource(a); err != nil {
				return errorf(CodeInvalidClientMetadata, "introspection_audiences: %s", err.Error())
			}
		}
		c.IntrospectionAudiences = dedupe(*v)
	}
	if v := in.AccessTokenTTL; v != nil {
		if *v != 0 && (*v < minAccessTTL || *v > maxAccessTTL) {
			return errorf(CodeInvalidClientMetadata, "access_token_ttl must be 0 (the tenant's) or between %d and %d seconds", minAccessTTL, maxAccessTTL)
		}
		c.AccessTokenTTL = *v
	}
	return checkClientConsistency(c)
}

func checkClientConsistency(c *storage.Client) error {
	code := slices.Contains(c.GrantTypes, "authorization_code")
	switch {
	case len(c.GrantTypes) == 0:
		return errorf(CodeInvalidClientMetadata, "grant_types must not be empty")
	case code != slices.Contains(c.ResponseTypes, "code"):
		return errorf(CodeInvalidClientMetadata, `grant type "authorization_code" and response type "code" go together (RFC 7591 §2.1)`)
	case code && len(c.RedirectURIs) == 0:
		return errorf(CodeInvalidRedirectURI, "redirect_uris is required for the authorization_code grant")
	case slices.Contains(c.GrantTypes, "refresh_token") && !code:
		return errorf(CodeInvalidClientMetadata, `grant type "refresh_token" needs "authorization_code"`)
	case slices.Contains(c.GrantTypes, "client_credentials") && c.TokenEndpointAuthMethod == "none":
		return errorf(CodeInvalidClientMetadata, `a public client (token_endpoint_auth_method "none") cannot use client_credentials`)
	}
	return nil
}

// normalizeScope checks an RFC 6749 §3.3 scope string and removes
// duplicates.
func normalizeScope(s string) (string, error) {
	if len(s) > maxScopeLen {
		return "", errorf(CodeInvalidRequest, "scope is longer than %d bytes", maxScopeLen)
	}
	fields := strings.Fields(s)
	for _, f := range fields {
		if !validScopeToken(f) {
			return "", errorf(CodeInvalidRequest, "scope %q has characters RFC 6749 §3.3 does not allow", f)
		}
	}
	return strings.Join(dedupe(fields), " "), nil
}

func dedupe(in []string) []string {
	out := make([]string, 0, len(in))
	for _, v := range in {
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// createClient registers a client for the admin, who may choose its id,
// make it first party and give it its own token lifetime.
func (s *Server) createClient(w http.ResponseWriter, r *http.Request) error {
	t, err := s.tenant(r.Context(), r)
	if err != nil {
		return err
	}
	var in clientMetadataJSON
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	c, secret, err := s.newClient(r.Context(), t, in, false)
	if err != nil {
		return err
	}
	s.audit(r.Context(), t.ID, "client.created", "admin", c.ID, nil)
	writeJSON(w, http.StatusCreated, newClientResponse(c, secret))
	return nil
}

// newClient validates RFC 7591 metadata with RFC 7591's defaults (§2:
// grant_types authorization_code, response_types code,
// token_endpoint_auth_method client_secret_basic) and stores the client. A
// confidential client's secret is returned here only; storage keeps its
// SHA-256.
func (s *Server) newClient(ctx context.Context, t storage.Tenant, in clientMetadataJSON, dynamic bool) (storage.Client, string, error) {
	now := s.now()
	c := storage.Client{
		TenantID: t.ID, GrantTypes: []string{"authorization_code"}, ResponseTypes: []string{"code"},
		TokenEndpointAuthMethod: "client_secret_basic", CreatedAt: now, UpdatedAt: now, Dynamic: dynamic,
	}
	if in.GrantTypes != nil && in.ResponseTypes == nil && !slices.Contains(*in.GrantTypes, "authorization_code") {
		c.ResponseTypes = nil // a client without the code grant has no response types
	}
	if err := in.applyTo(&c); err != nil {
		return c, "", err
	}
	var err error
	if in.ClientID != nil {
		if !validClientID(*in.ClientID) {
			return c, "", errorf(CodeInvalidClientMetadata, "client_id must be 1-128 characters of A-Z a-z 0-9 . _ ~ -")
		}
		c.ID = *in.ClientID
	} else if c.ID, err = s.randomToken(16); err != nil {
		return c, "", err
	}
	var secret string
	if c.TokenEndpointAuthMethod != "none" {
		if secret, err = s.randomToken(32); err != nil {
			return c, "", err
		}
		c.SecretHash = hashSecret(secret)
	}
	if err := s.cfg.Store.CreateClient(ctx, c); err != nil {
		return c, "", storageError(err, "client")
	}
	return c, secret, nil
}

func (s *Server) client(r *http.Request) (storage.Client, error) {
	t, err := s.tenant(r.Context(), r)
	if err != nil {
		return storage.Client{}, err
	}
	c, err := s.cfg.Store.GetClient(r.Context(), t.ID, r.PathValue("client"))
	if err != nil {
		return storage.Client{}, storageError(err, "client")
	}
	return c, nil
}

func (s *Server) getClient(w http.ResponseWriter, r *http.Request) error {
	c, err := s.client(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newClientResponse(c, ""))
	return nil
}

func (s *Server) listClients(w http.ResponseWriter, r *http.Request) error {
	t, err := s.tenant(r.Context(), r)
	if err != nil {
		return err
	}
	cs, err := s.cfg.Store.ListClients(r.Context(), t.ID)
	if err != nil {
		return err
	}
	out := make([]clientResponse, len(cs))
	for i, c := range cs {
		out[i] = newClientResponse(c, "")
	}
	writeJSON(w, http.StatusOK, map[string]any{"clients": out})
	return nil
}

// patchClient changes the metadata given. Switching between public and
// confidential is refused: it would silently create or orphan a secret.
func (s *Server) patchClient(w http.ResponseWriter, r *http.Request) error {
	var in clientMetadataJSON
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	c, err := s.changeClient(r, func(c *storage.Client) error {
		if in.ClientID != nil && *in.ClientID != c.ID {
			return errorf(CodeInvalidClientMetadata, "client_id cannot be changed")
		}
		public := c.TokenEndpointAuthMethod == "none"
		if err := in.applyTo(c); err != nil {
			return err
		}
		if public != (c.TokenEndpointAuthMethod == "none") {
			return errorf(CodeInvalidClientMetadata, "a client cannot switch between public and confidential; register a new client")
		}
		return nil
	})
	if err != nil {
		return err
	}
	s.audit(r.Context(), c.TenantID, "client.updated", "admin", c.ID, nil)
	writeJSON(w, http.StatusOK, newClientResponse(c, ""))
	return nil
}

func (s *Server) deleteClient(w http.ResponseWriter, r *http.Request) error {
	t, err := s.tenant(r.Context(), r)
	if err != nil {
		return err
	}
	if err := s.cfg.Store.DeleteClient(r.Context(), t.ID, r.PathValue("client")); err != nil {
		return storageError(err, "client")
	}
	s.audit(r.Context(), t.ID, "client.deleted", "admin", r.PathValue("client"), nil)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// rotateClientSecret replaces a confidential client's secret; the old one
// stops working at once. The new secret is in this response only.
func (s *Server) rotateClientSecret(w http.ResponseWriter, r *http.Request) error {
	secret, err := s.randomToken(32)
	if err != nil {
		return err
	}
	c, err := s.changeClient(r, func(c *storage.Client) error {
		if c.TokenEndpointAuthMethod == "none" {
			return errorf(CodeInvalidRequest, "a public client has no secret")
		}
		c.SecretHash = hashSecret(secret)
		return nil
	})
	if err != nil {
		return err
	}
	s.audit(r.Context(), c.TenantID, "client.secret_rotated", "admin", c.ID, nil)
	writeJSON(w, http.StatusOK, newClientResponse(c, secret))
	return nil
}
