//go:build !js

package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/edgeauth/edgeauth/ratelimit"
	"github.com/edgeauth/edgeauth/server"
	"github.com/edgeauth/edgeauth/storage/kv"
)

// TestCORSClientAnswers: a browser-based public client reads every answer
// of the token-side endpoints, the rate limit's 429 included (with
// Retry-After exposed), from any origin of its redirect URIs as a browser
// writes it: the host in lower case, without the default port, and on
// any port of a loopback IP literal, as /authorize matches its redirect
// URIs (RFC 8252 §7.3). Another origin reads nothing.
func TestCORSClientAnswers(t *testing.T) {
	admin := strings.Repeat("a", 32)
	ls := startServer(t, server.Config{AdminToken: admin, Sealer: testSealer(), Store: newTestStore(t), KV: kv.NewMemory(time.Now),
		Limiter: ratelimit.NewMemoryLimiter(map[ratelimit.Rule]ratelimit.Rate{ratelimit.LimitToken: {Limit: 3, Period: time.Minute}}, nil)})
	ls.mustAdmin("POST", "/admin/v1/tenants", `{"id":"acme"}`, 201)
	ls.mustAdmin("POST", "/admin/v1/tenants/acme/clients", `{"client_id":"spa","token_endpoint_auth_method":"none",
		"redirect_uris":["http://127.0.0.1:8080/cb","https://App.Example:443/cb"],"grant_types":["authorization_code"]}`, 201)
	revoke := func(origin string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest("POST", ls.base+"/t/acme/revoke", strings.NewReader(url.Values{"token": {"x"}, "client_id": {"spa"}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", origin)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	for _, tc := range []struct {
		origin string
		status int
		allow  bool
	}{
		{"http://127.0.0.1:5173", http.StatusOK, true}, // another port of the loopback redirect URI
		{"https://app.example", http.StatusOK, true},   // the registered host in lower case, without :443
		{"https://evil.example", http.StatusOK, false},
		{"http://127.0.0.1:5173", http.StatusTooManyRequests, true},
	} {
		resp := revoke(tc.origin)
		got := resp.Header.Get("Access-Control-Allow-Origin")
		if resp.StatusCode != tc.status || (got == tc.origin) != tc.allow || got != "" && got != tc.origin {
			t.Errorf("Origin %s: %d, Access-Control-Allow-Origin %q; want %d, allowed %v", tc.origin, resp.StatusCode, got, tc.status, tc.allow)
		}
		if expose := resp.Header.Get("Access-Control-Expose-Headers"); !strings.Contains(expose, "Retry-After") {
			t.Errorf("Origin %s: Access-Control-Expose-Headers %q; want Retry-After among them", tc.origin, expose)
		}
		if tc.status == http.StatusTooManyRequests && resp.Header.Get("Retry-After") == "" {
			t.Errorf("429 without Retry-After")
		}
	}
}
