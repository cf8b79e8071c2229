package authz

import (
	"bytes"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/edgeauth/edgeauth/internal/syntax"
	"github.com/edgeauth/edgeauth/storage"
)

// FuzzAuthorizeQuery: any query string parses to an error or to
// parameters with no repeated single-valued name; and the request checks
// never panic on what it gives.
func FuzzAuthorizeQuery(f *testing.F) {
	for _, seed := range []string{
		"response_type=code&client_id=c&redirect_uri=http%3A%2F%2F127.0.0.1%2Fcb&code_challenge=" + strings.Repeat("a", 43) + "&code_challenge_method=S256&state=x",
		"client_id=%zz", "a=1&a=2", "resource=https://a&resource=https://b", "prompt=none%20login&max_age=-1", "scope=a%22b", "",
	} {
		f.Add(seed)
	}
	client := storage.Client{ID: "c", GrantTypes: []string{"authorization_code"}, Scope: "read write", RedirectURIs: []string{"http://127.0.0.1/cb"}}
	f.Fuzz(func(t *testing.T, raw string) {
		r := httptest.NewRequest("GET", "/t/x/authorize", nil)
		r.URL.RawQuery = raw
		p, err := QueryParams(r, "resource")
		if err != nil {
			return
		}
		for name, vals := range p {
			if len(vals) > 1 && name != "resource" {
				t.Fatalf("QueryParams(%q) kept repeated %q", raw, name)
			}
		}
		ar := &AuthRequest{MaxAge: -1}
		(&Server{}).checkAuthorizeParams(storage.Tenant{}, client, p, ar)
		redirectURIMatches(client.RedirectURIs, p.Get("redirect_uri"))
	})
}

// FuzzTokenForm: the token endpoint's form parsing never panics and
// refuses repeated parameters.
func FuzzTokenForm(f *testing.F) {
	for _, seed := range []string{"grant_type=authorization_code&code=x&code_verifier=y", "grant_type=a&grant_type=b", "%", "a=%zz", "resource=1&resource=2", ""} {
		f.Add(seed, "application/x-www-form-urlencoded")
	}
	f.Add("{}", "application/json")
	f.Fuzz(func(t *testing.T, body, ctype string) {
		r := httptest.NewRequest("POST", "/t/x/token", strings.NewReader(body))
		r.Header.Set("Content-Type", ctype)
		p, err := FormParams(httptest.NewRecorder(), r, "resource")
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("FormParams error %T is not an *Error", err)
			}
			return
		}
		for name, vals := range p {
			if len(vals) > 1 && name != "resource" {
				t.Fatalf("FormParams(%q) kept repeated %q", body, name)
			}
		}
	})
}

// FuzzRedirectURI: registration checks never panic, a URI matches itself
// once registered, and a match is either exact or a loopback port variant.
func FuzzRedirectURI(f *testing.F) {
	for _, seed := range []string{"https://a.example/cb", "http://127.0.0.1:8080/cb", "http://[::1]/cb", "com.example.app:/cb", "javascript:alert(1)", "https://a.example/cb#x", "http://127.0.0.1:99999/cb", "http://[::1%25eth0]/cb"} {
		f.Add(seed, "http://127.0.0.1/cb")
	}
	f.Fuzz(func(t *testing.T, registered, requested string) {
		if syntax.CheckRedirectURI(registered) != nil {
			return
		}
		if !redirectURIMatches([]string{registered}, registered) {
			t.Fatalf("registered %q does not match itself", registered)
		}
		if redirectURIMatches([]string{registered}, requested) && requested != registered {
			a, okA := loopbackWithoutPort(registered)
			b, okB := loopbackWithoutPort(requested)
			if !okA || !okB || a != b {
				t.Fatalf("%q matched registered %q, neither exactly nor as a loopback port variant", requested, registered)
			}
		}
	})
}

// FuzzAdminJSON: client metadata decoding and validation never panic and
// answer only with *Error.
func FuzzAdminJSON(f *testing.F) {
	for _, seed := range []string{
		`{"client_name":"x","redirect_uris":["https://a.example/cb"]}`, `{"redirect_uris":"x"}`, `{"grant_types":[1]}`,
		`{"scope":"a\u0000b"}`, `{}`, `[]`, `{"a":1} {}`, "\xff", `{"access_token_ttl":1e400}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		r := httptest.NewRequest("POST", "/admin/v1/tenants/x/clients", bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		var in ClientMetadata
		if err := DecodeJSON(r, &in, true); err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("DecodeJSON error %T is not an *Error", err)
			}
			return
		}
		c := storage.Client{GrantTypes: []string{"authorization_code"}, ResponseTypes: []string{"code"}, TokenEndpointAuthMethod: "client_secret_basic"}
		if err := in.ApplyTo(&c); err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("ApplyTo error %T is not an *Error", err)
			}
		}
	})
}
