package verify

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestProtectedResourceMetadataURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://mcp.example.com/mcp":      "https://mcp.example.com/.well-known/oauth-protected-resource/mcp",
		"https://api.example.com":          "https://api.example.com/.well-known/oauth-protected-resource",
		"https://api.example.com/":         "https://api.example.com/.well-known/oauth-protected-resource",
		"http://127.0.0.1:8080/v1/things/": "http://127.0.0.1:8080/.well-known/oauth-protected-resource/v1/things",
		// http only on a loopback host, for local development.
		"http://localhost:3000/mcp": "http://localhost:3000/.well-known/oauth-protected-resource/mcp",
		"http://[::1]:8080/mcp":     "http://[::1]:8080/.well-known/oauth-protected-resource/mcp",
		"http://127.1.2.3/mcp":      "http://127.1.2.3/.well-known/oauth-protected-resource/mcp",
	} {
		if got, err := ProtectedResourceMetadataURL(in); err != nil || got != want {
			t.Errorf("ProtectedResourceMetadataURL(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"/mcp", "https://a.example/mcp#x", "https://a.example/mcp#", "https://a.example/mcp?x=1", "mcp", "",
		// RFC 9728 §2: the resource identifier is an https URL; http only
		// on a loopback host.
		"http://api.example.com/mcp", "http://10.0.0.1/mcp", "http://localhost.example.com/mcp", "http://127.0.0.1.example.com/mcp",
		"ftp://api.example.com/mcp", "urn://api.example.com/mcp", "urn:example:mcp", "ws://127.0.0.1/mcp",
		"https:///mcp", "https://:443/mcp", "https://user:pass@api.example.com/mcp",
	} {
		if _, err := ProtectedResourceMetadataURL(bad); err == nil {
			t.Errorf("ProtectedResourceMetadataURL(%q) = nil error", bad)
		}
	}
}

func TestProtectedResourceHandler(t *testing.T) {
	if _, err := ProtectedResourceHandler(ProtectedResource{Resource: "https://mcp.example.com/mcp"}); err == nil {
		t.Errorf("a handler without authorization servers was accepted")
	}
	for _, pr := range []ProtectedResource{
		{Resource: "http://mcp.example.com/mcp", AuthorizationServers: []string{"https://auth.example.com/t/acme"}},
		{Resource: "ftp://mcp.example.com/mcp", AuthorizationServers: []string{"https://auth.example.com/t/acme"}},
		{Resource: "urn://mcp.example.com/mcp", AuthorizationServers: []string{"https://auth.example.com/t/acme"}},
		// Issuer identifiers are https URLs without query or fragment
		// (RFC 8414 §2), http only on a loopback host.
		{Resource: "https://mcp.example.com/mcp", AuthorizationServers: []string{"http://auth.example.com/t/acme"}},
		{Resource: "https://mcp.example.com/mcp", AuthorizationServers: []string{"https://auth.example.com/t/acme", "http://auth.example.com/t/other"}},
		{Resource: "https://mcp.example.com/mcp", AuthorizationServers: []string{"ftp://auth.example.com/t/acme"}},
		{Resource: "https://mcp.example.com/mcp", AuthorizationServers: []string{"https://auth.example.com/t/acme#x"}},
		{Resource: "https://mcp.example.com/mcp", AuthorizationServers: []string{"https://auth.example.com/t/acme?x=1"}},
		{Resource: "https://mcp.example.com/mcp", AuthorizationServers: []string{"auth.example.com"}},
		{Resource: "https://mcp.example.com/mcp", AuthorizationServers: []string{""}},
	} {
		if _, err := ProtectedResourceHandler(pr); err == nil {
			t.Errorf("ProtectedResourceHandler(%q, %q) = nil error", pr.Resource, pr.AuthorizationServers)
		}
	}
	// Local development: edgeauth's dev server as the authorization server
	// (examples/resource-worker), or everything on loopback.
	for _, pr := range []ProtectedResource{
		{Resource: "https://api.example.com", AuthorizationServers: []string{"http://127.0.0.1:8787/t/demo"}},
		{Resource: "http://localhost:3000/mcp", AuthorizationServers: []string{"http://localhost:8787/t/demo"}},
		{Resource: "http://[::1]:3000/mcp", AuthorizationServers: []string{"http://[::1]:8787/t/demo"}},
	} {
		if _, err := ProtectedResourceHandler(pr); err != nil {
			t.Errorf("ProtectedResourceHandler(%q, %q) = %v", pr.Resource, pr.AuthorizationServers, err)
		}
	}
	h, err := ProtectedResourceHandler(ProtectedResource{Resource: "https://mcp.example.com/mcp",
		AuthorizationServers: []string{"https://auth.example.com/t/acme"}, ScopesSupported: []string{"read"}})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/.well-known/oauth-protected-resource/mcp", nil))
	var got map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || rec.Code != 200 {
		t.Fatalf("GET = %d %s", rec.Code, rec.Body)
	}
	if got["resource"] != "https://mcp.example.com/mcp" || got["authorization_servers"].([]any)[0] != "https://auth.example.com/t/acme" || got["bearer_methods_supported"].([]any)[0] != "header" {
		t.Errorf("metadata = %v", got)
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("POST", "/", nil))
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST = %d; want 405", rec.Code)
	}
}

// TestChallengeResourceMetadata: with ResourceMetadataURL every challenge
// names it (RFC 9728 §5.1).
func TestChallengeResourceMetadata(t *testing.T) {
	v, err := New("https://auth.example.com/t/acme", Options{Audience: "https://mcp.example.com/mcp",
		ResourceMetadataURL: "https://mcp.example.com/.well-known/oauth-protected-resource/mcp"})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	v.Middleware(http.NotFoundHandler()).ServeHTTP(rec, httptest.NewRequest("GET", "/mcp", nil))
	want := `Bearer realm="https://auth.example.com/t/acme", resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/mcp"`
	if got := rec.Header().Get("WWW-Authenticate"); rec.Code != 401 || got != want {
		t.Errorf("challenge = %d %q; want 401 %q", rec.Code, got, want)
	}
	if _, err := New("https://auth.example.com/t/acme", Options{Audience: "x", ResourceMetadataURL: `https://a.example/"x`}); err == nil || !strings.Contains(err.Error(), "ResourceMetadataURL") {
		t.Errorf("a quote in ResourceMetadataURL was accepted: %v", err)
	}
}
