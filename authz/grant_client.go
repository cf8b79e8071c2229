package authz

import (
	"context"
	"slices"

	"github.com/edgeauth/edgeauth/storage"
)

// grantClientCredentials issues an access token to a confidential client
// for itself (OAuth 2.1 §4.2): sub is the client id, no refresh token.
func (s *Server) grantClientCredentials(ctx context.Context, t storage.Tenant, client storage.Client, p Params) (*tokenResponse, error) {
	if client.TokenEndpointAuthMethod == "none" || !slices.Contains(client.GrantTypes, "client_credentials") {
		return nil, Errorf(CodeUnauthorizedClient, "the client may not use the client_credentials grant")
	}
	scope, err := grantableScope(client, p.Get("scope"), p.Has("scope"))
	if err != nil {
		return nil, err
	}
	resources, err := checkResources(t, p["resource"])
	if err != nil {
		return nil, err
	}
	resp, err := s.issue(ctx, grant{Tenant: t, Client: client, Scope: scope, Resources: resources})
	if err != nil {
		return nil, err
	}
	s.cfg.Audit.Append(ctx, s.issuedEvent(t, client, "client_credentials", resp))
	return resp, nil
}
