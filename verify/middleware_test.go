package verify_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/edgeauth/edgeauth/verify"
)

func TestMiddleware(t *testing.T) {
	es, _, _ := sharedKeys(t)
	ks := newKeyServer(t, es)
	clk := newClock()
	now := clk.Now()
	v := newVerifier(t, ks, clk, verify.Options{})

	var seen *verify.Claims
	h := v.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, ok := verify.FromContext(r.Context())
		if !ok {
			t.Error("FromContext: no claims")
		}
		seen = c
		w.WriteHeader(http.StatusNoContent)
	}), "orders:read", "profile")

	valid := tok{key: es, claims: claims(ks, now)}.mint(t)
	expired := tok{key: es, claims: with(claims(ks, now), "exp", now.Add(-time.Hour).Unix())}.mint(t)
	forged := tok{key: es, kid: "forged", claims: claims(ks, now)}.mint(t)
	narrow := tok{key: es, claims: with(claims(ks, now), "scope", "orders:read")}.mint(t)
	realm := fmt.Sprintf(`Bearer realm="%s"`, ks.issuer)
	const scope = `, scope="orders:read profile"`

	type body struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	tests := []struct {
		name      string
		auth      []string
		status    int
		challenge string
		body      body
	}{
		{"no header", nil, 401, realm + scope, body{"", "a bearer access token is required"}},
		{"other scheme", []string{"Basic dXNlcjpwYXNz"}, 401, realm + scope, body{"", "a bearer access token is required"}},
		{"two headers", []string{"Bearer " + valid, "Bearer " + valid}, 400,
			realm + `, error="invalid_request", error_description="more than one Authorization header"` + scope,
			body{"invalid_request", "more than one Authorization header"}},
		{"empty token", []string{"Bearer "}, 400,
			realm + `, error="invalid_request", error_description="the bearer token is empty"` + scope,
			body{"invalid_request", "the bearer token is empty"}},
		{"garbage", []string{"Bearer not-a-jwt"}, 401,
			realm + `, error="invalid_token", error_description="the access token is malformed"` + scope,
			body{"invalid_token", "the access token is malformed"}},
		{"expired", []string{"Bearer " + expired}, 401,
			realm + `, error="invalid_token", error_description="the access token expired"` + scope,
			body{"invalid_token", "the access token expired"}},
		{"unknown kid", []string{"Bearer " + forged}, 401,
			realm + `, error="invalid_token", error_description="the access token is signed by an unknown key"` + scope,
			body{"invalid_token", "the access token is signed by an unknown key"}},
		{"missing scope", []string{"Bearer " + narrow}, 403,
			realm + `, error="insufficient_scope", error_description="the access token lacks a required scope"` + scope,
			body{"insufficient_scope", "the access token lacks a required scope"}},
		{"valid", []string{"Bearer " + valid}, 204, "", body{}},
		{"scheme in lower case", []string{"bearer " + valid}, 204, "", body{}},
		{"scheme in upper case", []string{"BEARER  " + valid}, 204, "", body{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			seen = nil
			r := httptest.NewRequest("GET", "/orders", nil)
			for _, a := range tc.auth {
				r.Header.Add("Authorization", a)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tc.status {
				t.Fatalf("status = %d; want %d (body %s)", w.Code, tc.status, w.Body)
			}
			if got := w.Header().Get("WWW-Authenticate"); got != tc.challenge {
				t.Errorf("WWW-Authenticate = %s\nwant              %s", got, tc.challenge)
			}
			if tc.status == 204 {
				if seen == nil || seen.Subject != "user-1" {
					t.Errorf("handler saw claims %+v", seen)
				}
				return
			}
			if seen != nil {
				t.Error("handler ran on a refused request")
			}
			var got body
			if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
				t.Fatalf("body %q: %v", w.Body, err)
			}
			if diff := cmp.Diff(tc.body, got); diff != "" {
				t.Errorf("body (-want +got):\n%s", diff)
			}
			if cc := w.Header().Get("Cache-Control"); cc != "no-store" {
				t.Errorf("Cache-Control = %q; want no-store", cc)
			}
			// Nothing of the token comes back.
			for _, a := range tc.auth {
				for _, part := range strings.Split(strings.TrimSpace(strings.TrimPrefix(a, "Bearer")), ".") {
					if len(part) >= 8 && (strings.Contains(w.Body.String(), part) || strings.Contains(w.Header().Get("WWW-Authenticate"), part)) {
						t.Errorf("response echoes part of the token")
					}
				}
			}
		})
	}
}

func TestMiddlewareUnavailable(t *testing.T) {
	es, _, _ := sharedKeys(t)
	ks := newKeyServer(t, es)
	ks.set(func(ks *keyServer) { ks.jwksStatus = http.StatusServiceUnavailable })
	clk := newClock()
	v := newVerifier(t, ks, clk, verify.Options{Realm: "orders"})
	h := v.Middleware(http.NotFoundHandler())
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Authorization", "Bearer "+tok{key: es, claims: claims(ks, clk.Now())}.mint(t))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusServiceUnavailable || w.Header().Get("WWW-Authenticate") != "" {
		t.Fatalf("status %d, WWW-Authenticate %q; want 503 and none", w.Code, w.Header().Get("WWW-Authenticate"))
	}
	r.Header.Del("Authorization")
	w = httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if got, want := w.Header().Get("WWW-Authenticate"), `Bearer realm="orders"`; got != want {
		t.Errorf("WWW-Authenticate = %q; want %q", got, want)
	}
}

func TestMiddlewareBadScopePanics(t *testing.T) {
	es, _, _ := sharedKeys(t)
	ks := newKeyServer(t, es)
	v := newVerifier(t, ks, newClock(), verify.Options{})
	for _, s := range []string{"", "a b", `a"b`, `a\b`} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Middleware(%q) did not panic", s)
				}
			}()
			v.Middleware(http.NotFoundHandler(), s)
		}()
	}
}

// TestMiddlewareTokenOutsideHeader: RFC 6750 §3.1 makes a request with
// more than one token method invalid_request, and the middleware takes the
// header only, so a token in the query is refused too (§2.3: SHOULD NOT be
// used). Request bodies are never read.
func TestMiddlewareTokenOutsideHeader(t *testing.T) {
	es, _, _ := sharedKeys(t)
	ks := newKeyServer(t, es)
	clk := newClock()
	v := newVerifier(t, ks, clk, verify.Options{})
	valid := tok{key: es, claims: claims(ks, clk.Now())}.mint(t)

	var ran bool
	var gotBody string
	h := v.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ran = true
		b, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("reading the body: %v", err)
		}
		gotBody = string(b)
		w.WriteHeader(http.StatusNoContent)
	}), "orders:read")

	const (
		both     = "the access token is sent in more than one way"
		onlyHdr  = "the access token is accepted only in the Authorization header"
		form     = "application/x-www-form-urlencoded"
		formBody = "access_token=abc.def.ghi&x=1"
	)
	tests := []struct {
		name      string
		method    string
		target    string
		auth      string
		body      string
		parseForm bool // an outer handler parsed the form before the middleware
		status    int
		desc      string
	}{
		{"header and query", "GET", "/orders?access_token=" + valid, "Bearer " + valid, "", false, 400, both},
		{"header and another query token", "GET", "/orders?x=1&access_token=abc", "Bearer " + valid, "", false, 400, both},
		{"header and empty query token", "GET", "/orders?access_token=", "Bearer " + valid, "", false, 400, both},
		{"header and escaped query name", "GET", "/orders?access%5Ftoken=abc", "Bearer " + valid, "", false, 400, both},
		{"lower-case scheme and query", "GET", "/orders?access_token=abc", "bearer " + valid, "", false, 400, both},
		{"query only", "GET", "/orders?access_token=" + valid, "", "", false, 400, onlyHdr},
		{"query and Basic", "GET", "/orders?access_token=" + valid, "Basic dXNlcjpwYXNz", "", false, 400, onlyHdr},
		{"header and parsed form body", "POST", "/orders", "Bearer " + valid, formBody, true, 400, both},
		{"parsed form body only", "POST", "/orders", "", formBody, true, 400, onlyHdr},
		{"header and unparsed form body", "POST", "/orders", "Bearer " + valid, formBody, false, 204, ""},
		{"unparsed form body only", "POST", "/orders", "", formBody, false, 401, "a bearer access token is required"},
		{"other query parameters", "GET", "/orders?token=x&access_tokens=y", "Bearer " + valid, "", false, 204, ""},
		{"header only", "GET", "/orders", "Bearer " + valid, "", false, 204, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ran, gotBody = false, ""
			var body io.Reader
			if tc.body != "" {
				body = strings.NewReader(tc.body)
			}
			r := httptest.NewRequest(tc.method, tc.target, body)
			if tc.body != "" {
				r.Header.Set("Content-Type", form)
			}
			if tc.auth != "" {
				r.Header.Set("Authorization", tc.auth)
			}
			if tc.parseForm {
				if err := r.ParseForm(); err != nil {
					t.Fatal(err)
				}
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tc.status {
				t.Fatalf("status = %d; want %d (body %s)", w.Code, tc.status, w.Body)
			}
			if tc.status == 204 {
				if !ran {
					t.Fatal("handler did not run")
				}
				if gotBody != tc.body {
					t.Errorf("handler read body %q; want %q", gotBody, tc.body)
				}
				return
			}
			if ran {
				t.Error("handler ran on a refused request")
			}
			var got struct {
				Error       string `json:"error"`
				Description string `json:"error_description"`
			}
			if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
				t.Fatalf("body %q: %v", w.Body, err)
			}
			if got.Description != tc.desc {
				t.Errorf("error_description = %q; want %q", got.Description, tc.desc)
			}
			challenge := w.Header().Get("WWW-Authenticate")
			if tc.status == 400 {
				want := fmt.Sprintf(`Bearer realm="%s", error="invalid_request", error_description="%s", scope="orders:read"`, ks.issuer, tc.desc)
				if got.Error != "invalid_request" || challenge != want {
					t.Errorf("error %q, WWW-Authenticate %s\nwant invalid_request,      %s", got.Error, challenge, want)
				}
			}
			if strings.Contains(w.Body.String()+challenge, strings.Split(valid, ".")[2]) {
				t.Error("response echoes part of the token")
			}
		})
	}
}

// TestMiddlewareChallengeScope: with required scopes every challenge names
// them, 401s included (RFC 6750 §3; MCP asks for scope on 401); without
// required scopes, none does.
func TestMiddlewareChallengeScope(t *testing.T) {
	es, _, _ := sharedKeys(t)
	ks := newKeyServer(t, es)
	clk := newClock()
	const meta = "https://api.example.com/.well-known/oauth-protected-resource"
	v := newVerifier(t, ks, clk, verify.Options{Realm: "orders", ResourceMetadataURL: meta})
	expired := tok{key: es, claims: with(claims(ks, clk.Now()), "exp", clk.Now().Add(-time.Hour).Unix())}.mint(t)
	otherAud := tok{key: es, claims: with(claims(ks, clk.Now()), "aud", "https://api.example.com/other")}.mint(t)
	const prefix = `Bearer realm="orders", resource_metadata="` + meta + `"`

	tests := []struct {
		name   string
		scopes []string
		auth   string
		status int
		want   string
	}{
		{"no token", []string{"orders:read", "orders:write"}, "", 401,
			prefix + `, scope="orders:read orders:write"`},
		{"invalid token", []string{"orders:read"}, "Bearer " + expired, 401,
			prefix + `, error="invalid_token", error_description="the access token expired", scope="orders:read"`},
		{"other resource", []string{"orders:read"}, "Bearer " + otherAud, 401,
			prefix + `, error="invalid_token", error_description="the access token is not meant for this resource", scope="orders:read"`},
		{"no token, no scopes", nil, "", 401, prefix},
		{"invalid token, no scopes", nil, "Bearer " + expired, 401,
			prefix + `, error="invalid_token", error_description="the access token expired"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := v.Middleware(http.NotFoundHandler(), tc.scopes...)
			r := httptest.NewRequest("GET", "/orders", nil)
			if tc.auth != "" {
				r.Header.Set("Authorization", tc.auth)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tc.status {
				t.Fatalf("status = %d; want %d", w.Code, tc.status)
			}
			if got := w.Header().Get("WWW-Authenticate"); got != tc.want {
				t.Errorf("WWW-Authenticate = %s\nwant              %s", got, tc.want)
			}
		})
	}
}

// TestMiddlewareAudienceForm: a token whose aud is the resource in another
// form of its URL (the MCP TypeScript SDK adds "/") gets through.
func TestMiddlewareAudienceForm(t *testing.T) {
	es, _, _ := sharedKeys(t)
	ks := newKeyServer(t, es)
	clk := newClock()
	v := newVerifier(t, ks, clk, verify.Options{Audience: "https://api.example.com"})
	h := v.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	}), "orders:read")
	for aud, want := range map[string]int{
		"https://api.example.com/":      204,
		"https://API.example.com":       204,
		"https://api.example.com/other": 401,
	} {
		r := httptest.NewRequest("GET", "/orders", nil)
		r.Header.Set("Authorization", "Bearer "+tok{key: es, claims: with(claims(ks, clk.Now()), "aud", aud)}.mint(t))
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != want {
			t.Errorf("aud %q: status %d; want %d (%s)", aud, w.Code, want, w.Body)
		}
	}
}
