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
//
// resource must be an https URL with a host and no fragment (RFC 9728 §2),
// no user information and no query; http is accepted only on a loopback
// host (127.0.0.0/8, [::1], localhost), for local development, the rule
// edgeauth applies to its own BASE_URL and to redirect URIs.
func ProtectedResourceMetadataURL(resource string) (string, error) {
	u, err := checkHTTPSURL("resource", resource)
	if err != nil {
		return "", err
	}
	if u.RawQuery != "" || u.ForceQuery {
		return "", fmt.Errorf("verify: resource %q must not have a query", resource)
	}
	wk := *u
	wk.Path = "/.well-known/oauth-protected-resource" + strings.TrimSuffix(u.Path, "/")
	wk.RawPath = ""
	return wk.String(), nil
}

// ProtectedResourceHandler serves pr as JSON: mount it at the path of
// ProtectedResourceMetadataURL(pr.Resource). It fails if pr.Resource is
// not accepted by ProtectedResourceMetadataURL, if pr has no authorization
// server, or if one of them is not an issuer identifier (RFC 8414 §2): an
// https URL with a host and no query, fragment or user information, or
// http on a loopback host, as for the resource.
func ProtectedResourceHandler(pr ProtectedResource) (http.Handler, error) {
	if _, err := ProtectedResourceMetadataURL(pr.Resource); err != nil {
		return nil, err
	}
	if len(pr.AuthorizationServers) == 0 {
		return nil, errors.New("verify: ProtectedResource.AuthorizationServers is required")
	}
	for _, as := range pr.AuthorizationServers {
		u, err := checkHTTPSURL("authorization server", as)
		if err != nil {
			return nil, err
		}
		if u.RawQuery != "" || u.ForceQuery {
			return nil, fmt.Errorf("verify: authorization server %q must not have a query", as)
		}
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

// checkHTTPSURL parses raw, the URL of what (for errors), and checks that
// it is absolute with a host, without user information or fragment, and
// https, or http on a loopback host (127.0.0.0/8, ::1, localhost). Plain
// http anywhere else would let anyone on the path rewrite the metadata or
// impersonate the resource.
func checkHTTPSURL(what, raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	switch {
	case err != nil || !u.IsAbs() || u.Host == "" || u.Hostname() == "":
		return nil, fmt.Errorf("verify: %s %q must be an absolute URL with a host", what, raw)
	case u.User != nil:
		return nil, fmt.Errorf("verify: %s %q must not have user information", what, u.Redacted())
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return nil, fmt.Errorf("verify: %s %q must not have a fragment", what, raw)
	case u.Scheme == "https":
		return u, nil
	case u.Scheme == "http" && isLoopback(u.Hostname()):
		return u, nil
	default:
		return nil, fmt.Errorf("verify: %s %q must use https (http only on a loopback host: 127.0.0.1, [::1], localhost)", what, raw)
	}
}
