package verify

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// ProtectedResource is the RFC 9728 protected resource metadata a
// resource server publishes, so that clients (MCP clients, for one) learn
// which authorization server issues its tokens.
type ProtectedResource struct {
	// Resource is the resource identifier (RFC 9728 §2, REQUIRED): the
	// https URL clients pass as RFC 8707 resource, and the audience its
	// tokens carry.
	Resource string `json:"resource"`
	// AuthorizationServers are issuer identifiers, e.g. edgeauth's
	// https://auth.example.com/t/acme.
	AuthorizationServers []string `json:"authorization_servers"`
	// ScopesSupported lists the scopes the resource understands.
	ScopesSupported []string `json:"scopes_supported,omitempty"`
	// BearerMethodsSupported is how tokens are presented; Middleware reads
	// only the header.
	BearerMethodsSupported []string `json:"bearer_methods_supported"`
	// ResourceName is a human-readable name.
	ResourceName string `json:"resource_name,omitempty"`
}

// ProtectedResourceMetadataURL returns where the metadata of resource is
// served (RFC 9728 §3.1): the well-known segment inserted between the host
// and the resource's path, e.g. https://mcp.example.com/mcp ->
// https://mcp.example.com/.well-known/oauth-protected-resource/mcp.
func ProtectedResourceMetadataURL(resource string) (string, error) {
	u, err := url.Parse(resource)
	if err != nil || !u.IsAbs() || u.Host == "" || u.Fragment != "" || strings.Contains(resource, "#") || u.RawQuery != "" {
		return "", fmt.Errorf("verify: resource %q must be an absolute URL without query or fragment", resource)
	}
	wk := *u
	wk.Path = "/.well-known/oauth-protected-resource" + strings.TrimSuffix(u.Path, "/")
	wk.RawPath = ""
	return wk.String(), nil
}

// ProtectedResourceHandler serves pr as JSON: mount it at the path of
// ProtectedResourceMetadataURL(pr.Resource). It fails if pr lacks its
// resource or an authorization server.
func ProtectedResourceHandler(pr ProtectedResource) (http.Handler, error) {
	if _, err := ProtectedResourceMetadataURL(pr.Resource); err != nil {
		return nil, err
	}
	if len(pr.AuthorizationServers) == 0 {
		return nil, errors.New("verify: ProtectedResource.AuthorizationServers is required")
	}
	if len(pr.BearerMethodsSupported) == 0 {
		pr.BearerMethodsSupported = []string{"header"}
	}
	body, err := json.Marshal(pr)
	if err != nil {
		return nil, err
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			writeJSON(w, http.StatusMethodNotAllowed, "invalid_request", "only GET is allowed")
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "public, max-age=3600")
		w.Write(body)
	}), nil
}
