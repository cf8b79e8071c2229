package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

func TestMetadataURL(t *testing.T) {
	cases := []struct{ issuer, want string }{
		{"http://127.0.0.1:8787/t/demo", "http://127.0.0.1:8787/.well-known/oauth-authorization-server/t/demo"},
		{"https://as.example.com/t/demo/", "https://as.example.com/.well-known/oauth-authorization-server/t/demo"},
		{"https://as.example.com", "https://as.example.com/.well-known/oauth-authorization-server"},
	}
	for _, tc := range cases {
		if got, err := metadataURL(tc.issuer); got != tc.want || err != nil {
			t.Errorf("metadataURL(%q) = %q, %v; want %q", tc.issuer, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "127.0.0.1:8787/t/demo", "ftp://as.example.com", "https://as.example.com/t/demo?x=1", "https://as.example.com/t/demo#f", "https://u@as.example.com/t/demo"} {
		if got, err := metadataURL(bad); err == nil {
			t.Errorf("metadataURL(%q) = %q; want an error", bad, got)
		}
	}
}

// fakeServer serves RFC 8414 metadata at the well-known path of issuer
// base+"/t/demo"; edit changes the document before it is sent.
func fakeServer(t *testing.T, edit func(md map[string]any)) (issuer string) {
	t.Helper()
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/.well-known/oauth-authorization-server/t/demo" {
			http.NotFound(w, r)
			return
		}
		iss := srv.URL + "/t/demo"
		md := map[string]any{
			"issuer": iss, "authorization_endpoint": iss + "/authorize", "token_endpoint": iss + "/token",
			"code_challenge_methods_supported": []string{"S256"}, "authorization_response_iss_parameter_supported": true,
		}
		if edit != nil {
			edit(md)
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(md)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/t/demo"
}

func TestDiscover(t *testing.T) {
	issuer := fakeServer(t, nil)
	md, err := discover(context.Background(), http.DefaultClient, issuer)
	if err != nil {
		t.Fatalf("discover(%q) = %v; want the metadata", issuer, err)
	}
	if md.Issuer != issuer || md.TokenEndpoint != issuer+"/token" || !md.IssParameterSupported {
		t.Errorf("discover(%q) = %+v", issuer, md)
	}

	cases := []struct {
		name    string
		edit    func(md map[string]any)
		issuer  func(string) string
		wantErr string
	}{
		// RFC 8414 §3.3: a document for another issuer MUST NOT be used.
		{"issuer mismatch", func(md map[string]any) { md["issuer"] = "https://evil.example/t/demo" }, nil, "is not"},
		{"issuer with trailing slash", func(md map[string]any) { md["issuer"] = md["issuer"].(string) + "/" }, nil, "is not"},
		{"no token endpoint", func(md map[string]any) { delete(md, "token_endpoint") }, nil, "lacks"},
		{"no S256", func(md map[string]any) { md["code_challenge_methods_supported"] = []string{"plain"} }, nil, "S256"},
		{"unknown tenant", nil, func(iss string) string { return strings.TrimSuffix(iss, "demo") + "nope" }, "404"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			iss := fakeServer(t, tc.edit)
			if tc.issuer != nil {
				iss = tc.issuer(iss)
			}
			md, err := discover(context.Background(), http.DefaultClient, iss)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("discover = %+v, %v; want an error with %q", md, err, tc.wantErr)
			}
		})
	}
}

func TestCheckCallback(t *testing.T) {
	const issuer, state = "http://127.0.0.1:8787/t/demo", "st-1"
	md := &metadata{Issuer: issuer, IssParameterSupported: true}
	ok := url.Values{"code": {"c-1"}, "state": {state}, "iss": {issuer}}
	with := func(k, v string) url.Values {
		q := url.Values{}
		for k2, v2 := range ok {
			q[k2] = v2
		}
		if v == "<delete>" {
			q.Del(k)
		} else {
			q.Set(k, v)
		}
		return q
	}

	if code, err := checkCallback(ok, state, md); code != "c-1" || err != nil {
		t.Errorf("checkCallback(good) = %q, %v; want c-1, nil", code, err)
	}
	cases := []struct {
		name    string
		q       url.Values
		md      *metadata
		wantErr string
	}{
		// RFC 9207 §2.4: iss of another server is a mix-up attack.
		{"wrong iss", with("iss", "https://evil.example/t/demo"), md, "mix-up"},
		{"missing iss though promised", with("iss", "<delete>"), md, "no iss"},
		{"wrong iss, not promised", with("iss", "https://evil.example/t/demo"), &metadata{Issuer: issuer}, "mix-up"},
		{"wrong state", with("state", "st-2"), md, "state"},
		{"no state", with("state", "<delete>"), md, "state"},
		{"error response", url.Values{"error": {"access_denied"}, "state": {state}, "iss": {issuer}}, md, "access_denied"},
		{"error from another issuer", url.Values{"error": {"access_denied"}, "state": {state}, "iss": {"https://evil.example"}}, md, "mix-up"},
		{"no code", with("code", "<delete>"), md, "no code"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, err := checkCallback(tc.q, state, tc.md)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("checkCallback(%v) = %q, %v; want an error with %q", tc.q, code, err, tc.wantErr)
			}
		})
	}
	// Without the promise, a response without iss is accepted (RFC 9207 §2.4).
	if code, err := checkCallback(with("iss", "<delete>"), state, &metadata{Issuer: issuer}); code != "c-1" || err != nil {
		t.Errorf("checkCallback(no iss, not promised) = %q, %v; want c-1, nil", code, err)
	}
}

func TestCallbackHandler(t *testing.T) {
	const issuer = "http://127.0.0.1:8787/t/demo"
	out := make(chan callbackResult, 1)
	srv := httptest.NewServer(callbackHandler("st", &metadata{Issuer: issuer, IssParameterSupported: true}, out))
	defer srv.Close()

	resp, err := http.Get(srv.URL + "/callback?" + url.Values{"code": {"c"}, "state": {"st"}, "iss": {"https://evil.example"}}.Encode())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("callback with a foreign iss: status %d; want 400", resp.StatusCode)
	}
	if res := <-out; res.err == nil || res.code != "" {
		t.Errorf("callback with a foreign iss handed on %+v; want an error and no code", res)
	}
}

func TestJWTClaims(t *testing.T) {
	enc := base64.RawURLEncoding.EncodeToString
	tok := enc([]byte(`{"alg":"ES256","typ":"at+jwt"}`)) + "." + enc([]byte(`{"sub":"u1","scope":"read"}`)) + ".sig"
	c, err := jwtClaims(tok)
	if err != nil || c["sub"] != "u1" || c["scope"] != "read" {
		t.Errorf("jwtClaims = %v, %v; want sub u1 scope read", c, err)
	}
	for _, bad := range []string{"opaque", "a.b", "a.!!!.c", "a." + enc([]byte("not json")) + ".c"} {
		if _, err := jwtClaims(bad); err == nil {
			t.Errorf("jwtClaims(%q): no error", bad)
		}
	}
}
