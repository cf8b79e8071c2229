package e2e

import (
	"net/http"
	"strings"
	"testing"
)

// TestAdminBadInput sends malformed admin requests. Each gets a 4xx with
// the expected JSON error code, and a failed create writes nothing.
// adminBadCase is one malformed admin request and the answer it gets.
type adminBadCase struct {
	name   string
	method string
	path   string
	body   any
	ctype  string // overrides the JSON content type when set
	status int
	code   string
	absent string // a path that must still be 404 afterwards
}

// adminBadInputTable is TestAdminBadInput's table for tenant.
func adminBadInputTable(tenant string) []adminBadCase {
	clients := "/admin/v1/tenants/" + tenant + "/clients"
	users := "/admin/v1/tenants/" + tenant + "/users"
	conns := "/admin/v1/tenants/" + tenant + "/connections"
	conn := func(extra map[string]any) map[string]any {
		c := map[string]any{"id": "bad", "kind": "oidc", "issuer": "https://idp.example.com", "client_id": "x"}
		for k, v := range extra {
			if v == nil {
				delete(c, k)
			} else {
				c[k] = v
			}
		}
		return c
	}
	redirect := func(uri string) map[string]any {
		return map[string]any{"client_id": "bad", "redirect_uris": []string{uri}}
	}
	big := `{"id":"` + strings.Repeat("a", 70<<10) + `"}`

	return []adminBadCase{
		{"malformed json", "POST", "/admin/v1/tenants", `{"id": "x",`, "", 400, "invalid_request", ""},
		{"not an object", "POST", "/admin/v1/tenants", `["x"]`, "", 400, "invalid_request", ""},
		{"empty body", "POST", "/admin/v1/tenants", ``, "", 400, "invalid_request", ""},
		{"trailing data", "POST", "/admin/v1/tenants", `{"id":"trailing-x"} {}`, "", 400, "invalid_request", "/admin/v1/tenants/trailing-x"},
		{"unknown field", "POST", "/admin/v1/tenants", map[string]any{"id": "unknown-x", "colour": "red"}, "", 400, "invalid_request", "/admin/v1/tenants/unknown-x"},
		{"wrong type id", "POST", "/admin/v1/tenants", map[string]any{"id": 7}, "", 400, "invalid_request", ""},
		{"wrong type settings", "POST", "/admin/v1/tenants", map[string]any{"id": "wt-x", "settings": "fast"}, "", 400, "invalid_request", "/admin/v1/tenants/wt-x"},
		{"bad tenant id", "POST", "/admin/v1/tenants", map[string]any{"id": "Bad_Id"}, "", 400, "invalid_request", ""},
		{"missing tenant id", "POST", "/admin/v1/tenants", map[string]any{"name": "x"}, "", 400, "invalid_request", ""},
		{"bad ttl", "POST", "/admin/v1/tenants", map[string]any{"id": "ttl-x", "settings": map[string]any{"access_token_ttl": 1}}, "", 400, "invalid_request", "/admin/v1/tenants/ttl-x"},
		{"bad refresh ttl", "POST", "/admin/v1/tenants", map[string]any{"id": "rttl-x", "settings": map[string]any{"refresh_token_ttl": 10}}, "", 400, "invalid_request", "/admin/v1/tenants/rttl-x"},
		{"bad session ttl", "POST", "/admin/v1/tenants", map[string]any{"id": "sttl-x", "settings": map[string]any{"session_ttl": 60}}, "", 400, "invalid_request", "/admin/v1/tenants/sttl-x"},
		{"bad rotation period", "POST", "/admin/v1/tenants", map[string]any{"id": "rot-x", "settings": map[string]any{"rotation_period": 366 * 24 * 3600}}, "", 400, "invalid_request", "/admin/v1/tenants/rot-x"},
		{"bad registration", "POST", "/admin/v1/tenants", map[string]any{"id": "reg-x", "settings": map[string]any{"registration": "maybe"}}, "", 400, "invalid_request", "/admin/v1/tenants/reg-x"},
		{"bad alg", "POST", "/admin/v1/tenants", map[string]any{"id": "alg-x", "settings": map[string]any{"signing_alg": "HS256"}}, "", 400, "invalid_request", "/admin/v1/tenants/alg-x"},
		{"bad resource", "POST", "/admin/v1/tenants", map[string]any{"id": "res-x", "settings": map[string]any{"allowed_resources": []string{"/relative"}}}, "", 400, "invalid_request", "/admin/v1/tenants/res-x"},
		{"resource fragment", "POST", "/admin/v1/tenants", map[string]any{"id": "resf-x", "settings": map[string]any{"allowed_resources": []string{"https://api.example/#x"}}}, "", 400, "invalid_request", "/admin/v1/tenants/resf-x"},
		{"control chars in name", "POST", "/admin/v1/tenants", map[string]any{"id": "ctl-x", "name": "a\u0000b"}, "", 400, "invalid_request", "/admin/v1/tenants/ctl-x"},
		{"C1 control in name", "POST", "/admin/v1/tenants", map[string]any{"id": "c1-x", "name": "a\u0085b"}, "", 400, "invalid_request", "/admin/v1/tenants/c1-x"},
		{"right-to-left override in name", "POST", "/admin/v1/tenants", map[string]any{"id": "rlo-x", "name": "Evil\u202Eelgoog"}, "", 400, "invalid_request", "/admin/v1/tenants/rlo-x"},
		{"line separator in name", "POST", "/admin/v1/tenants", map[string]any{"id": "ls-x", "name": "a\u2028b"}, "", 400, "invalid_request", "/admin/v1/tenants/ls-x"},
		{"zero-width space in name", "POST", "/admin/v1/tenants", map[string]any{"id": "zw-x", "name": "Go\u200Bogle"}, "", 400, "invalid_request", "/admin/v1/tenants/zw-x"},
		{"invalid utf-8", "POST", "/admin/v1/tenants", "{\"id\":\"utf-x\",\"name\":\"\xff\xfe\"}", "", 400, "invalid_request", "/admin/v1/tenants/utf-x"},
		{"form instead of json", "POST", "/admin/v1/tenants", "id=form-x", "application/x-www-form-urlencoded", 415, "unsupported_media_type", "/admin/v1/tenants/form-x"},
		{"no content type", "POST", "/admin/v1/tenants", `{"id":"noct-x"}`, "none", 415, "unsupported_media_type", "/admin/v1/tenants/noct-x"},
		{"oversized body", "POST", "/admin/v1/tenants", big, "", 413, "request_too_large", ""},
		{"wrong method", "PUT", "/admin/v1/tenants", map[string]any{"id": "put-x"}, "", 405, "method_not_allowed", "/admin/v1/tenants/put-x"},
		{"unknown path", "GET", "/admin/v1/nothing", nil, "", 404, "not_found", ""},
		{"patch id", "PATCH", "/admin/v1/tenants/" + tenant, map[string]any{"id": "other"}, "", 400, "invalid_request", ""},
		{"client in missing tenant", "POST", "/admin/v1/tenants/missing-tenant/clients", redirect("https://a.example/cb"), "", 404, "not_found", ""},
		{"relative redirect", "POST", clients, redirect("/callback"), "", 400, "invalid_redirect_uri", clients + "/bad"},
		{"redirect fragment", "POST", clients, redirect("https://a.example/cb#frag"), "", 400, "invalid_redirect_uri", clients + "/bad"},
		{"javascript redirect", "POST", clients, redirect("javascript:alert(1)"), "", 400, "invalid_redirect_uri", clients + "/bad"},
		{"data redirect", "POST", clients, redirect("data:text/html,hi"), "", 400, "invalid_redirect_uri", clients + "/bad"},
		{"http non-loopback redirect", "POST", clients, redirect("http://evil.example/cb"), "", 400, "invalid_redirect_uri", clients + "/bad"},
		{"userinfo redirect", "POST", clients, redirect("https://user:pw@a.example/cb"), "", 400, "invalid_redirect_uri", clients + "/bad"},
		{"space in redirect", "POST", clients, redirect("https://a.example/c b"), "", 400, "invalid_redirect_uri", clients + "/bad"},
		{"no redirect uris", "POST", clients, map[string]any{"client_id": "bad"}, "", 400, "invalid_redirect_uri", clients + "/bad"},
		{"redirect not array", "POST", clients, map[string]any{"client_id": "bad", "redirect_uris": "https://a.example/cb"}, "", 400, "invalid_request", clients + "/bad"},
		{"implicit grant", "POST", clients, map[string]any{"client_id": "bad", "grant_types": []string{"implicit"}}, "", 400, "invalid_client_metadata", clients + "/bad"},
		{"password grant", "POST", clients, map[string]any{"client_id": "bad", "grant_types": []string{"password"}}, "", 400, "invalid_client_metadata", clients + "/bad"},
		{"token response type", "POST", clients, map[string]any{"client_id": "bad", "response_types": []string{"token"}, "redirect_uris": []string{"https://a.example/cb"}}, "", 400, "invalid_client_metadata", clients + "/bad"},
		{"unknown auth method", "POST", clients, map[string]any{"client_id": "bad", "token_endpoint_auth_method": "private_key_jwt", "redirect_uris": []string{"https://a.example/cb"}}, "", 400, "invalid_client_metadata", clients + "/bad"},
		{"public client_credentials", "POST", clients, map[string]any{"client_id": "bad", "token_endpoint_auth_method": "none", "grant_types": []string{"client_credentials"}}, "", 400, "invalid_client_metadata", clients + "/bad"},
		{"refresh without code", "POST", clients, map[string]any{"client_id": "bad", "grant_types": []string{"refresh_token", "client_credentials"}}, "", 400, "invalid_client_metadata", clients + "/bad"},
		{"bad scope chars", "POST", clients, map[string]any{"client_id": "bad", "scope": "read \"write\"", "redirect_uris": []string{"https://a.example/cb"}}, "", 400, "invalid_client_metadata", clients + "/bad"},
		{"bad client id", "POST", clients, map[string]any{"client_id": "a/b", "redirect_uris": []string{"https://a.example/cb"}}, "", 400, "invalid_client_metadata", ""},
		{"post-logout fragment", "POST", clients, map[string]any{"client_id": "bad", "redirect_uris": []string{"https://a.example/cb"}, "post_logout_redirect_uris": []string{"https://a.example/bye#x"}}, "", 400, "invalid_client_metadata", clients + "/bad"},
		{"post-logout http", "POST", clients, map[string]any{"client_id": "bad", "redirect_uris": []string{"https://a.example/cb"}, "post_logout_redirect_uris": []string{"http://evil.example/bye"}}, "", 400, "invalid_client_metadata", clients + "/bad"},
		{"too many redirects", "POST", clients, map[string]any{"client_id": "bad", "redirect_uris": strings.Split(strings.Repeat("https://a.example/cb,", 21), ",")[:21]}, "", 400, "invalid_redirect_uri", clients + "/bad"},
		{"unknown client field", "POST", clients, map[string]any{"client_id": "bad", "jwks_uri": "https://a.example/jwks"}, "", 400, "invalid_request", clients + "/bad"},
		{"missing client", "GET", clients + "/nobody", nil, "", 404, "not_found", ""},
		{"user no password", "POST", users, map[string]any{"username": "bob"}, "", 400, "invalid_request", ""},
		{"user short password", "POST", users, map[string]any{"username": "bob", "password": "short"}, "", 400, "invalid_request", ""},
		{"user long password", "POST", users, map[string]any{"username": "bob", "password": strings.Repeat("p", 257)}, "", 400, "invalid_request", ""},
		{"user bad username", "POST", users, map[string]any{"username": "bob smith", "password": "long enough pw"}, "", 400, "invalid_request", ""},
		{"user bad email", "POST", users, map[string]any{"username": "bob", "password": "long enough pw", "email": "bob"}, "", 400, "invalid_request", ""},
		{"user bad role", "POST", users, map[string]any{"username": "bob", "password": "long enough pw", "roles": []string{"a b"}}, "", 400, "invalid_request", ""},
		{"user roles not array", "POST", users, map[string]any{"username": "bob", "password": "long enough pw", "roles": "admin"}, "", 400, "invalid_request", ""},
		{"missing user", "GET", users + "/nobody", nil, "", 404, "not_found", ""},
		{"users limit 0", "GET", users + "?limit=0", nil, "", 400, "invalid_request", ""},
		{"users limit above 1000", "GET", users + "?limit=1001", nil, "", 400, "invalid_request", ""},
		{"users prefix not UTF-8", "GET", users + "?prefix=%ff", nil, "", 400, "invalid_request", ""},
		{"users after too long", "GET", users + "?after=" + strings.Repeat("a", 513), nil, "", 400, "invalid_request", ""},
		{"users of a missing tenant", "GET", "/admin/v1/tenants/missing-tenant/users", nil, "", 404, "not_found", ""},
		{"sessions of a missing user", "GET", users + "/nobody/sessions", nil, "", 404, "not_found", ""},
		{"disable a missing user", "POST", users + "/nobody/disable", nil, "", 404, "not_found", ""},
		{"grants of a missing user", "DELETE", users + "/nobody/grants", nil, "", 404, "not_found", ""},
		{"keys of missing tenant", "GET", "/admin/v1/tenants/missing-tenant/keys", nil, "", 404, "not_found", ""},
		{"user email_verified without email", "POST", users, map[string]any{"username": "bob", "password": "long enough pw", "email_verified": true}, "", 400, "invalid_request", ""},
		{"user patch password", "PATCH", users + "/nobody", map[string]any{"password": "long enough pw"}, "", 400, "invalid_request", ""},
		{"user patch of nobody", "PATCH", users + "/nobody", map[string]any{"name": "x"}, "", 404, "not_found", ""},
		{"user patch of nothing (null)", "PATCH", users + "/nobody", "null", "", 400, "invalid_request", ""},
		{"user patch of nothing ({})", "PATCH", users + "/nobody", "{}", "", 400, "invalid_request", ""},
		{"unlink of nobody", "DELETE", users + "/nobody/identities/corp", nil, "", 404, "not_found", ""},
		{"connection without kind", "POST", conns, conn(map[string]any{"kind": nil}), "", 400, "invalid_request", conns + "/bad"},
		{"connection of an unknown kind", "POST", conns, conn(map[string]any{"kind": "saml"}), "", 400, "invalid_request", conns + "/bad"},
		{"connection with a bad id", "POST", conns, conn(map[string]any{"id": "Bad_Id"}), "", 400, "invalid_request", ""},
		{"connection without client id", "POST", conns, conn(map[string]any{"client_id": nil}), "", 400, "invalid_request", conns + "/bad"},
		{"oidc connection without issuer", "POST", conns, conn(map[string]any{"issuer": nil}), "", 400, "invalid_request", conns + "/bad"},
		{"connection to an http issuer", "POST", conns, conn(map[string]any{"issuer": "http://idp.example.com"}), "", 400, "invalid_request", conns + "/bad"},
		{"connection to a private issuer", "POST", conns, conn(map[string]any{"issuer": "https://169.254.169.254"}), "", 400, "invalid_request", conns + "/bad"},
		{"connection to a numeric loopback", "POST", conns, conn(map[string]any{"issuer": "https://0x7f000001"}), "", 400, "invalid_request", conns + "/bad"},
		{"google connection with an issuer", "POST", conns, conn(map[string]any{"kind": "google"}), "", 400, "invalid_request", conns + "/bad"},
		{"connection with a bad scope", "POST", conns, conn(map[string]any{"scopes": []string{"a b"}}), "", 400, "invalid_request", conns + "/bad"},
		{"connection secret with a newline", "POST", conns, conn(map[string]any{"client_secret": "a\nb"}), "", 400, "invalid_request", conns + "/bad"},
		{"connection with an unknown field", "POST", conns, conn(map[string]any{"saml_metadata": "x"}), "", 400, "invalid_request", conns + "/bad"},
		{"connection of a missing tenant", "POST", "/admin/v1/tenants/missing-tenant/connections", conn(nil), "", 404, "not_found", ""},
		{"missing connection", "GET", conns + "/nobody", nil, "", 404, "not_found", ""},
		{"patch of a missing connection", "PATCH", conns + "/nobody", map[string]any{"name": "x"}, "", 404, "not_found", ""},
		{"delete of a missing connection", "DELETE", conns + "/nobody", nil, "", 404, "not_found", ""},
	}
}

func TestAdminBadInput(t *testing.T) {
	tenant := createTenant(t)
	cases := adminBadInputTable(tenant)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			q := request{method: tc.method, path: tc.path, body: tc.body, admin: true, header: map[string]string{}}
			if _, raw := tc.body.(string); raw {
				q.header["Content-Type"] = "application/json"
			}
			switch tc.ctype {
			case "":
			case "none":
				delete(q.header, "Content-Type")
			default:
				q.header["Content-Type"] = tc.ctype
			}
			r := q.do(t)
			if r.status != tc.status || r.field("error") != tc.code {
				t.Fatalf("%s %s = %d %s; want %d %s", tc.method, tc.path, r.status, r.body, tc.status, tc.code)
			}
			if r.field("error_description") == "" {
				t.Errorf("no error_description: %s", r.body)
			}
			if cc := r.header.Get("Cache-Control"); cc != "no-store" {
				t.Errorf("Cache-Control = %q; want no-store", cc)
			}
			if tc.absent != "" {
				if got := adminDo(t, "GET", tc.absent, nil); got.status != http.StatusNotFound {
					t.Errorf("after the failed request GET %s = %d; want 404 (nothing written)", tc.absent, got.status)
				}
			}
		})
	}
}

// TestPublicBadInput sends odd requests at the public endpoints.
func TestPublicBadInput(t *testing.T) {
	cases := []struct {
		method, path string
		status       int
	}{
		{"POST", "/t/demo/jwks.json", http.StatusMethodNotAllowed},
		{"DELETE", "/.well-known/oauth-authorization-server/t/demo", http.StatusMethodNotAllowed},
		{"GET", "/t/" + strings.Repeat("a", 64) + "/jwks.json", http.StatusNotFound},
		{"GET", "/t/-leading-dash/jwks.json", http.StatusNotFound},
		{"GET", "/t/%00/jwks.json", http.StatusNotFound},
		{"GET", "/nothing-here", http.StatusNotFound},
	}
	for _, tc := range cases {
		r := request{method: tc.method, path: tc.path}.do(t)
		if r.status != tc.status || r.field("error") == "" {
			t.Errorf("%s %s = %d %s; want %d with a JSON error", tc.method, tc.path, r.status, r.body, tc.status)
		}
		if tc.status == http.StatusMethodNotAllowed && r.header.Get("Allow") == "" {
			t.Errorf("%s %s: 405 without Allow", tc.method, tc.path)
		}
	}
}
