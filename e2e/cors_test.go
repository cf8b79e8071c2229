package e2e

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// corsEndpoint is an endpoint a browser-based client calls from a page of
// its own origin, and what its preflight must allow.
type corsEndpoint struct {
	path, method string
	// anyOrigin: every answer is readable by every origin (*); otherwise
	// the endpoint names the origin it lets read (a public client's).
	anyOrigin bool
}

func corsEndpoints(tenant string) []corsEndpoint {
	t := "/t/" + tenant
	return []corsEndpoint{
		{"/.well-known/oauth-authorization-server" + t, "GET", true},
		{t + "/.well-known/oauth-authorization-server", "GET", true},
		{t + "/.well-known/openid-configuration", "GET", true},
		{t + "/jwks.json", "GET", true},
		{t + "/register", "POST", true},
		{t + "/userinfo", "GET", true},
		{t + "/userinfo", "POST", true},
		{t + "/token", "POST", false},
		{t + "/revoke", "POST", false},
		{t + "/device_authorization", "POST", false},
	}
}

// preflightRequest is the OPTIONS request a browser sends before a
// cross-origin request with method and headers (Fetch standard, CORS
// preflight).
func preflightRequest(t *testing.T, path, origin, method, headers string) response {
	t.Helper()
	h := map[string]string{"Origin": origin, "Access-Control-Request-Method": method}
	if headers != "" {
		h["Access-Control-Request-Headers"] = headers
	}
	return request{method: "OPTIONS", path: path, header: h}.do(t)
}

// TestCORSPreflights: every endpoint a browser-based client calls answers
// its preflight (a page that sends a custom header such as
// MCP-Protocol-Version, or JSON, or an Authorization header, is preflighted
// first) with the method and the headers asked for, never with
// credentials; the answers themselves are readable by the origins the
// endpoint allows; the browser flow's pages and introspection answer no
// preflight.
func TestCORSPreflights(t *testing.T) {
	f := newFixture(t)
	const origin = "https://spa.example"
	const asked = "mcp-protocol-version, content-type, authorization"
	for _, e := range corsEndpoints(f.tenant) {
		t.Run(e.method+" "+e.path, func(t *testing.T) {
			r := preflightRequest(t, e.path, origin, e.method, asked)
			wantOrigin := origin
			if e.anyOrigin {
				wantOrigin = "*"
			}
			if r.status != http.StatusNoContent || r.header.Get("Access-Control-Allow-Origin") != wantOrigin {
				t.Fatalf("preflight: %d, Access-Control-Allow-Origin %q; want 204 and %q", r.status, r.header.Get("Access-Control-Allow-Origin"), wantOrigin)
			}
			if !strings.Contains(r.header.Get("Access-Control-Allow-Methods"), e.method) {
				t.Errorf("Access-Control-Allow-Methods %q; want %s", r.header.Get("Access-Control-Allow-Methods"), e.method)
			}
			for _, h := range strings.Split(asked, ", ") {
				if !strings.Contains(strings.ToLower(r.header.Get("Access-Control-Allow-Headers")), h) {
					t.Errorf("Access-Control-Allow-Headers %q; want %s among them", r.header.Get("Access-Control-Allow-Headers"), h)
				}
			}
			if r.header.Get("Access-Control-Allow-Credentials") != "" {
				t.Errorf("the preflight allows credentials")
			}
			// A method the endpoint does not take, or a header name that is
			// no token, is not allowed.
			if r := preflightRequest(t, e.path, origin, "DELETE", ""); r.header.Get("Access-Control-Allow-Origin") != "" {
				t.Errorf("preflight for DELETE: Access-Control-Allow-Origin %q; want none", r.header.Get("Access-Control-Allow-Origin"))
			}
			if r := preflightRequest(t, e.path, origin, e.method, "x-a(b)"); r.header.Get("Access-Control-Allow-Origin") != "" {
				t.Errorf("preflight for header x-a(b): Access-Control-Allow-Origin %q; want none", r.header.Get("Access-Control-Allow-Origin"))
			}
		})
	}

	// The answers, errors included: readable by any origin where the
	// endpoint says so (registration is off here: a 403 a page can read).
	for _, q := range []request{
		{method: "GET", path: "/t/" + f.tenant + "/.well-known/openid-configuration"},
		{method: "GET", path: "/t/" + f.tenant + "/jwks.json"},
		{method: "POST", path: "/t/" + f.tenant + "/register", body: map[string]any{"redirect_uris": []string{origin + "/cb"}}},
		{method: "POST", path: "/t/no-such-tenant/register", body: map[string]any{}},
		{method: "GET", path: "/t/" + f.tenant + "/userinfo"},
	} {
		q.header = map[string]string{"Origin": origin}
		r := q.do(t)
		if r.header.Get("Access-Control-Allow-Origin") != "*" || r.header.Get("Access-Control-Allow-Credentials") != "" {
			t.Errorf("%s %s (%d): Access-Control-Allow-Origin %q, Allow-Credentials %q; want * and none",
				q.method, q.path, r.status, r.header.Get("Access-Control-Allow-Origin"), r.header.Get("Access-Control-Allow-Credentials"))
		}
	}
	// The token endpoint lets only the origin of a public client's
	// redirect URI read its answer (TestTokenCORS).
	r := tokenRequest(t, f, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"x"}, "client_id": {f.public}}, "Origin", origin)
	if got := r.header.Get("Access-Control-Allow-Origin"); got != "" {
		t.Errorf("token answer to a foreign origin: Access-Control-Allow-Origin %q; want none", got)
	}

	// Navigations and confidential back channels answer no preflight.
	for _, path := range []string{"/t/" + f.tenant + "/authorize", "/t/" + f.tenant + "/login", "/t/" + f.tenant + "/device", "/t/" + f.tenant + "/introspect"} {
		r := preflightRequest(t, path, origin, "POST", "content-type")
		if r.status != http.StatusMethodNotAllowed || r.header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("OPTIONS %s: %d, Access-Control-Allow-Origin %q; want 405 and none", path, r.status, r.header.Get("Access-Control-Allow-Origin"))
		}
	}
}
