package authz

import (
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"slices"

	"github.com/edgeauth/edgeauth/device"
	"github.com/edgeauth/edgeauth/storage"
)

// metadata is the RFC 8414 authorization server metadata document. It
// lists what the server implements and nothing else.
type metadata struct {
	Issuer                      string `json:"issuer"`
	AuthorizationEndpoint       string `json:"authorization_endpoint"`
	TokenEndpoint               string `json:"token_endpoint"`
	JWKSURI                     string `json:"jwks_uri"`
	RevocationEndpoint          string `json:"revocation_endpoint"`
	RegistrationEndpoint        string `json:"registration_endpoint,omitempty"`
	IntrospectionEndpoint       string `json:"introspection_endpoint"`
	DeviceAuthorizationEndpoint string `json:"device_authorization_endpoint"` // RFC 8628 §4
	// EndSessionEndpoint: OIDC RP-Initiated Logout 1.0 §2.1 (in the RFC
	// 8414 document too, as any metadata may be).
	EndSessionEndpoint                         string   `json:"end_session_endpoint"`
	ResponseTypesSupported                     []string `json:"response_types_supported"`
	ResponseModesSupported                     []string `json:"response_modes_supported"`
	GrantTypesSupported                        []string `json:"grant_types_supported"`
	TokenEndpointAuthMethodsSupported          []string `json:"token_endpoint_auth_methods_supported"`
	RevocationEndpointAuthMethodsSupported     []string `json:"revocation_endpoint_auth_methods_supported"`
	IntrospectionEndpointAuthMethodsSupported  []string `json:"introspection_endpoint_auth_methods_supported"`
	CodeChallengeMethodsSupported              []string `json:"code_challenge_methods_supported"`
	AuthorizationResponseIssParameterSupported bool     `json:"authorization_response_iss_parameter_supported"`
	ClientIDMetadataDocumentSupported          bool     `json:"client_id_metadata_document_supported,omitempty"`
	// ScopesSupported is in both documents (RFC 8414 §2, OIDC Discovery
	// §3), with the same values.
	ScopesSupported []string `json:"scopes_supported"`

	// OpenID Connect Discovery 1.0 §3 fields, only in openid-configuration.
	UserinfoEndpoint                 string   `json:"userinfo_endpoint,omitempty"`
	SubjectTypesSupported            []string `json:"subject_types_supported,omitempty"`
	IDTokenSigningAlgValuesSupported []string `json:"id_token_signing_alg_values_supported,omitempty"`
	ClaimsSupported                  []string `json:"claims_supported,omitempty"`
	PromptValuesSupported            []string `json:"prompt_values_supported,omitempty"`
	// RequestURIParameterSupported is false in the OIDC document: omitted
	// it would mean true (OIDC Discovery §3).
	RequestURIParameterSupported *bool `json:"request_uri_parameter_supported,omitempty"`
}

func (s *Server) metadata(t storage.Tenant) metadata {
	iss := s.Issuer(t.ID)
	secretMethods := []string{"client_secret_basic", "client_secret_post"}
	md := metadata{
		Issuer:                                    iss,
		AuthorizationEndpoint:                     iss + "/authorize",
		TokenEndpoint:                             iss + "/token",
		JWKSURI:                                   iss + "/jwks.json",
		RevocationEndpoint:                        iss + "/revoke",
		IntrospectionEndpoint:                     iss + "/introspect",
		EndSessionEndpoint:                        iss + "/logout",
		DeviceAuthorizationEndpoint:               iss + "/device_authorization",
		ResponseTypesSupported:                    []string{"code"},
		ResponseModesSupported:                    []string{"query"},
		GrantTypesSupported:                       []string{"authorization_code", "refresh_token", "client_credentials", device.GrantType, GrantTokenExchange},
		TokenEndpointAuthMethodsSupported:         slices.Concat(secretMethods, []string{"none"}),
		RevocationEndpointAuthMethodsSupported:    slices.Concat(secretMethods, []string{"none"}),
		IntrospectionEndpointAuthMethodsSupported: secretMethods,
		CodeChallengeMethodsSupported:             []string{"S256"},
		// RFC 9207: every authorization response carries iss.
		AuthorizationResponseIssParameterSupported: true,
		ClientIDMetadataDocumentSupported:          t.Settings.ClientIDMetadataDocuments && s.cfg.MetadataTransport != nil,
		ScopesSupported:                            scopesSupported(t),
	}
	if t.Settings.Registration == "open" || t.Settings.Registration == "token" {
		md.RegistrationEndpoint = iss + "/register"
	}
	return md
}

// Metadata answers both RFC 8414 path forms: the well-known prefix
// inserted before the issuer's path (§3.1) and the suffix form some clients
// use.
func (s *Server) Metadata(w http.ResponseWriter, r *http.Request) error {
	return s.serveDiscovery(w, r, false)
}

// OpenIDConfiguration answers OpenID Connect Discovery with the same
// fields plus the OIDC ones.
func (s *Server) OpenIDConfiguration(w http.ResponseWriter, r *http.Request) error {
	return s.serveDiscovery(w, r, true)
}

// serveDiscovery answers a discovery document. It depends on the tenant
// alone, so its encoding is kept as long as the tenant's record
// (the record cache's memo).
func (s *Server) serveDiscovery(w http.ResponseWriter, r *http.Request, oidc bool) error {
	ctx := r.Context()
	kind := "metadata\x00"
	if oidc {
		kind = "openid-configuration\x00"
	}
	b, until, err := s.docs.Get(ctx, kind+r.PathValue("tenant"), func(ctx context.Context) ([]byte, error) {
		t, err := s.Tenant(ctx, r)
		if err != nil {
			return nil, err
		}
		md := s.metadata(t)
		if oidc {
			md.UserinfoEndpoint = md.Issuer + "/userinfo"
			md.SubjectTypesSupported = []string{"public"}
			md.IDTokenSigningAlgValuesSupported = []string{"RS256"}
			md.ClaimsSupported = []string{"iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "sid", "preferred_username", "name", "email", "email_verified"}
			md.PromptValuesSupported = []string{"none", "login", "consent"}
			md.RequestURIParameterSupported = new(bool)
		}
		b, err := json.Marshal(md)
		if err != nil {
			return nil, err
		}
		return append(b, '\n'), nil
	})
	if err != nil {
		return err
	}
	s.writeDocument(w, r, document{"application/json", "public, max-age=300", b, until})
	return nil
}

// oidcScopes are the OpenID Connect scopes this server serves (OIDC Core
// §5.4): openid, and the claims profile and email release.
var oidcScopes = []string{"openid", "profile", "email"}

// scopesSupported is the scopes_supported of tenant t's discovery
// documents: the OpenID Connect scopes, then the scopes the tenant
// describes (settings.scope_descriptions), in order. RFC 8414 §2 lets a
// server leave out scopes it serves: a client's own scopes that the
// tenant does not describe are not listed.
func scopesSupported(t storage.Tenant) []string {
	out := slices.Clone(oidcScopes)
	for _, sc := range slices.Sorted(maps.Keys(t.Settings.ScopeDescriptions)) {
		if !slices.Contains(out, sc) {
			out = append(out, sc)
		}
	}
	return out
}
