package verify_test

import (
	"encoding/json"
	"fmt"
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
		{"no header", nil, 401, realm, body{"", "a bearer access token is required"}},
		{"other scheme", []string{"Basic dXNlcjpwYXNz"}, 401, realm, body{"", "a bearer access token is required"}},
		{"two headers", []string{"Bearer " + valid, "Bearer " + valid}, 400,
			realm + `, error="invalid_request", error_description="more than one Authorization header"`,
			body{"invalid_request", "more than one Authorization header"}},
		{"empty token", []string{"Bearer "}, 400,
			realm + `, error="invalid_request", error_description="the bearer token is empty"`,
			body{"invalid_request", "the bearer token is empty"}},
		{"garbage", []string{"Bearer not-a-jwt"}, 401,
			realm + `, error="invalid_token", error_description="the access token is malformed"`,
			body{"invalid_token", "the access token is malformed"}},
		{"expired", []string{"Bearer " + expired}, 401,
			realm + `, error="invalid_token", error_description="the access token expired"`,
			body{"invalid_token", "the access token expired"}},
		{"unknown kid", []string{"Bearer " + forged}, 401,
			realm + `, error="invalid_token", error_description="the access token is signed by an unknown key"`,
			body{"invalid_token", "the access token is signed by an unknown key"}},
		{"missing scope", []string{"Bearer " + narrow}, 403,
			realm + `, error="insufficient_scope", error_description="the access token lacks a required scope", scope="orders:read profile"`,
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
