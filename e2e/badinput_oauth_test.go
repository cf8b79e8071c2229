package e2e

import (
	"encoding/base64"
	"strings"
	"testing"
)

// TestBadInputEveryEndpoint sends malformed requests at every public
// endpoint: wrong methods and media types, empty and huge bodies, invalid
// UTF-8, repeated parameters, JSON where a form is expected, header
// injection. Each answer is asserted (status and error code); none is 5xx.
func TestBadInputEveryEndpoint(t *testing.T) {
	f := newFixture(t)
	T := "/t/" + f.tenant
	form := "application/x-www-form-urlencoded"
	huge := strings.Repeat("a=b&", 20000) // 80 KB
	basicSvc := "Basic " + b64(f.svc+":"+f.svcSecret)
	cases := []struct {
		name, method, path, ctype, body string
		header                          map[string]string
		status                          int
		code                            string // JSON error code; "" for HTML pages
	}{
		// token
		{"token GET", "GET", T + "/token", "", "", nil, 405, "method_not_allowed"},
		{"token PUT", "PUT", T + "/token", form, "grant_type=x", nil, 405, "method_not_allowed"},
		{"token no body", "POST", T + "/token", form, "", nil, 401, "invalid_client"},
		{"token json", "POST", T + "/token", "application/json", `{"grant_type":"client_credentials"}`, nil, 400, "invalid_request"},
		{"token text", "POST", T + "/token", "text/plain", "grant_type=client_credentials", nil, 400, "invalid_request"},
		{"token no content type", "POST", T + "/token", "", "grant_type=client_credentials", nil, 400, "invalid_request"},
		{"token huge", "POST", T + "/token", form, huge, nil, 413, "request_too_large"},
		{"token bad escape", "POST", T + "/token", form, "grant_type=%zz", nil, 400, "invalid_request"},
		{"token invalid utf-8", "POST", T + "/token", form, "grant_type=client_credentials&scope=%ff%fe", map[string]string{"Authorization": basicSvc}, 400, "invalid_request"},
		{"token repeated client_id", "POST", T + "/token", form, "grant_type=client_credentials&client_id=a&client_id=b", nil, 400, "invalid_request"},
		{"token repeated scope", "POST", T + "/token", form, "grant_type=client_credentials&scope=read&scope=write", map[string]string{"Authorization": basicSvc}, 400, "invalid_request"},
		{"token bad basic", "POST", T + "/token", form, "grant_type=client_credentials", map[string]string{"Authorization": "Basic !!!"}, 401, "invalid_client"},
		{"token basic without colon", "POST", T + "/token", form, "grant_type=client_credentials", map[string]string{"Authorization": "Basic " + b64("svc")}, 401, "invalid_client"},
		{"token bearer auth", "POST", T + "/token", form, "grant_type=client_credentials", map[string]string{"Authorization": "Bearer x"}, 401, "invalid_client"},
		{"token unknown tenant", "POST", "/t/no-such-tenant/token", form, "grant_type=client_credentials", nil, 404, "not_found"},
		{"token unknown grant", "POST", T + "/token", form, "grant_type=urn:ietf:params:oauth:grant-type:saml2-bearer", map[string]string{"Authorization": basicSvc}, 400, "unsupported_grant_type"},
		{"token code without code", "POST", T + "/token", form, "grant_type=authorization_code&client_id=" + f.public, nil, 400, "invalid_request"},
		{"token refresh without token", "POST", T + "/token", form, "grant_type=refresh_token&client_id=" + f.public, nil, 400, "invalid_request"},
		{"token refresh garbage", "POST", T + "/token", form, "grant_type=refresh_token&client_id=" + f.public + "&refresh_token=" + strings.Repeat("x.", 100), nil, 400, "invalid_grant"},
		{"token code garbage verifier", "POST", T + "/token", form, "grant_type=authorization_code&client_id=" + f.public + "&code=abc&code_verifier=%00%01", nil, 400, "invalid_grant"},
		{"token header injection", "POST", T + "/token", form, "grant_type=client_credentials&client_id=svc%0d%0aX-Injected:%201&client_secret=x", nil, 401, "invalid_client"},
		// device authorization and verification (RFC 8628)
		{"device authorization GET", "GET", T + "/device_authorization", "", "", nil, 405, "method_not_allowed"},
		{"device authorization JSON", "POST", T + "/device_authorization", "application/json", `{"client_id":"native"}`, nil, 400, "invalid_request"},
		{"device authorization no client", "POST", T + "/device_authorization", form, "scope=read", nil, 401, "invalid_client"},
		{"device authorization repeated scope", "POST", T + "/device_authorization", form, "client_id=native&scope=a&scope=b", nil, 400, "invalid_request"},
		{"token device garbage code", "POST", T + "/token", form, "grant_type=urn:ietf:params:oauth:grant-type:device_code&client_id=" + f.public + "&device_code=%00%01", nil, 400, "unauthorized_client"},
		{"device page bad query", "GET", T + "/device?user_code=%zz", "", "", nil, 400, ""},
		{"device page repeated code", "GET", T + "/device?user_code=a&user_code=b", "", "", nil, 400, ""},
		{"device POST no req", "POST", T + "/device", form, "decision=approve", nil, 400, ""},
		{"device POST text", "POST", T + "/device", "text/plain", "decision=approve", nil, 400, ""},
		// revoke
		{"revoke GET", "GET", T + "/revoke", "", "", nil, 405, "method_not_allowed"},
		{"revoke json", "POST", T + "/revoke", "application/json", `{"token":"x"}`, nil, 400, "invalid_request"},
		{"revoke no token", "POST", T + "/revoke", form, "client_id=" + f.public, nil, 400, "invalid_request"},
		{"revoke no client", "POST", T + "/revoke", form, "token=x", nil, 401, "invalid_client"},
		{"revoke repeated token", "POST", T + "/revoke", form, "client_id=" + f.public + "&token=a&token=b", nil, 400, "invalid_request"},
		{"revoke huge", "POST", T + "/revoke", form, huge, nil, 413, "request_too_large"},
		// introspect
		{"introspect GET", "GET", T + "/introspect", "", "", nil, 405, "method_not_allowed"},
		{"introspect no auth", "POST", T + "/introspect", form, "token=x", nil, 401, "invalid_client"},
		{"introspect public", "POST", T + "/introspect", form, "token=x&client_id=" + f.public, nil, 401, "invalid_client"},
		{"introspect no token", "POST", T + "/introspect", form, "", map[string]string{"Authorization": basicSvc}, 400, "invalid_request"},
		{"introspect json", "POST", T + "/introspect", "application/json", `{"token":"x"}`, map[string]string{"Authorization": basicSvc}, 400, "invalid_request"},
		// userinfo
		{"userinfo no token", "GET", T + "/userinfo", "", "", nil, 401, "invalid_token"},
		{"userinfo garbage token", "GET", T + "/userinfo", "", "", map[string]string{"Authorization": "Bearer abc.def.ghi"}, 401, "invalid_token"},
		{"userinfo basic", "GET", T + "/userinfo", "", "", map[string]string{"Authorization": "Basic " + b64("a:b")}, 401, "invalid_token"},
		{"userinfo DELETE", "DELETE", T + "/userinfo", "", "", nil, 405, "method_not_allowed"},
		{"userinfo unknown tenant", "GET", "/t/nope/userinfo", "", "", nil, 404, "not_found"},
		// register (off by default)
		{"register off", "POST", T + "/register", "application/json", `{"redirect_uris":["https://a.example/cb"]}`, nil, 403, "access_denied"},
		{"register GET", "GET", T + "/register", "", "", nil, 405, "method_not_allowed"},
		// jwks and metadata
		{"jwks POST", "POST", T + "/jwks.json", form, "a=b", nil, 405, "method_not_allowed"},
		{"metadata PUT", "PUT", "/.well-known/oauth-authorization-server" + T, "", "", nil, 405, "method_not_allowed"},
		{"openid unknown tenant", "GET", "/t/nope/.well-known/openid-configuration", "", "", nil, 404, "not_found"},
		// HTML endpoints: errors are pages, never redirects
		{"authorize DELETE", "DELETE", T + "/authorize", "", "", nil, 405, "method_not_allowed"},
		{"authorize POST json", "POST", T + "/authorize", "application/json", `{"client_id":"native"}`, nil, 400, ""},
		{"authorize POST huge", "POST", T + "/authorize", form, huge, nil, 413, ""},
		{"authorize invalid utf-8", "GET", T + "/authorize?client_id=%ff", "", "", nil, 400, ""},
		{"login no req", "GET", T + "/login", "", "", nil, 400, ""},
		{"login bad req", "GET", T + "/login?req=" + strings.Repeat("A", 43), "", "", nil, 400, ""},
		{"login repeated req", "GET", T + "/login?req=a&req=b", "", "", nil, 400, ""},
		{"login POST json", "POST", T + "/login", "application/json", `{"username":"alice"}`, nil, 400, ""},
		{"login POST empty", "POST", T + "/login", form, "", nil, 400, ""},
		{"login POST huge", "POST", T + "/login", form, huge, nil, 413, ""},
		{"login PUT", "PUT", T + "/login", form, "", nil, 405, "method_not_allowed"},
		{"consent no req", "GET", T + "/consent", "", "", nil, 400, ""},
		{"consent POST bad decision", "POST", T + "/consent", form, "req=x&csrf=y&decision=maybe", nil, 400, ""},
		{"consent POST text", "POST", T + "/consent", "text/plain", "decision=approve", nil, 400, ""},
		// upstream sign-in: the button and the provider's answer
		{"upstream GET", "GET", T + "/upstream", "", "", nil, 405, "method_not_allowed"},
		{"upstream POST json", "POST", T + "/upstream", "application/json", `{"connection":"corp"}`, nil, 400, ""},
		{"upstream POST empty", "POST", T + "/upstream", form, "", nil, 400, ""},
		{"upstream POST forged", "POST", T + "/upstream", form, "req=x&csrf=y&connection=corp", nil, 400, ""},
		{"upstream POST huge", "POST", T + "/upstream", form, huge, nil, 413, ""},
		{"upstream unknown tenant", "POST", "/t/nope/upstream", form, "req=x", nil, 404, ""},
		{"callback without a sign-in", "GET", T + "/callback/corp?code=abc&state=def", "", "", nil, 400, ""},
		{"callback with an error and no sign-in", "GET", T + "/callback/corp?error=access_denied&state=x", "", "", nil, 400, ""},
		{"callback repeated state", "GET", T + "/callback/corp?state=a&state=b", "", "", nil, 400, ""},
		{"callback invalid utf-8", "GET", T + "/callback/corp?code=%ff", "", "", nil, 400, ""},
		{"callback forged cookie", "GET", T + "/callback/corp?code=a&state=b", "", "", map[string]string{"Cookie": "edgeauth-upstream-" + f.tenant + "-0=" + strings.Repeat("A", 4000)}, 400, ""},
		{"callback POST", "POST", T + "/callback/corp", form, "code=a", nil, 405, "method_not_allowed"},
		{"callback unknown tenant", "GET", "/t/nope/callback/corp?code=a", "", "", nil, 404, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := map[string]string{}
			if tc.ctype != "" {
				h["Content-Type"] = tc.ctype
			}
			for k, v := range tc.header {
				h[k] = v
			}
			var body any
			if tc.body != "" || tc.method == "POST" {
				body = tc.body
			}
			r := request{method: tc.method, path: tc.path, body: body, header: h}.do(t)
			if r.status >= 500 {
				t.Fatalf("%s %s = %d: a server error for bad input", tc.method, tc.path, r.status)
			}
			if r.status != tc.status {
				t.Fatalf("%s %s = %d %.200s; want %d", tc.method, tc.path, r.status, r.body, tc.status)
			}
			if r.status == 401 && r.header.Get("WWW-Authenticate") == "" {
				t.Errorf("401 without WWW-Authenticate (RFC 9110 §15.5.2: MUST)")
			}
			if tc.code != "" && r.field("error") != tc.code {
				t.Errorf("error = %q; want %q (body %.200s)", r.field("error"), tc.code, r.body)
			}
			if tc.code == "" && (!strings.HasPrefix(r.header.Get("Content-Type"), "text/html") || r.header.Get("Location") != "") {
				t.Errorf("want an HTML error page without redirect; got %q, Location %q", r.header.Get("Content-Type"), r.header.Get("Location"))
			}
			for k := range r.header {
				if strings.EqualFold(k, "X-Injected") {
					t.Errorf("header injection reached the response")
				}
			}
		})
	}
	if n := len(cases) + len(adminBadInputTable("x")); n < 100 {
		t.Errorf("the bad-input tables hold %d requests; want at least 100", n)
	}
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
