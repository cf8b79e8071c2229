package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/edgeauth/edgeauth/verify"
)

// grantClaim is the grant_id of an access token, read without checking
// it (the tests that verify tokens are elsewhere).
func grantClaim(t *testing.T, at string) string {
	t.Helper()
	parts := strings.Split(at, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", at)
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		GrantID string `json:"grant_id"`
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatal(err)
	}
	return c.GrantID
}

// TestRevocationReachesAccessTokens: an access token whose grant was
// revoked introspects active:false from that moment, whatever revoked
// the grant (OAuth 2.1 §4.1.3: a replayed code SHOULD revoke the tokens
// it issued; RFC 9700 §4.14.2: refresh token reuse), and userinfo refuses
// it. A client without refresh tokens has a grant too.
func TestRevocationReachesAccessTokens(t *testing.T) {
	f := newFixture(t)
	const api = "https://api.example.com"
	mustStatus(t, "svc stands for the API", adminDo(t, "PATCH", "/admin/v1/tenants/"+f.tenant+"/clients/"+f.svc,
		map[string]any{"introspection_audiences": []string{api}}), http.StatusOK)
	r := adminDo(t, "POST", "/admin/v1/tenants/"+f.tenant+"/clients", map[string]any{
		"client_id": "short", "token_endpoint_auth_method": "none", "first_party": true,
		"redirect_uris": []string{"http://127.0.0.1/callback"}, "grant_types": []string{"authorization_code"}, "scope": "openid read"})
	mustStatus(t, "create a client without refresh tokens", r, http.StatusCreated)
	redirect := "http://127.0.0.1:5000/callback"
	active := func(at string) bool {
		t.Helper()
		r := introspect(t, f, at, f.svc, f.svcSecret)
		var out struct{ Active bool }
		r.decode(t, &out)
		return out.Active
	}
	exchange := func(client, scope string) (code, verifier string, tok response) {
		t.Helper()
		verifier = oauth2.GenerateVerifier()
		cfg := f.publicConfig("5000", scope)
		cfg.ClientID, cfg.RedirectURL = client, redirect
		b := newBrowser(t, f.username, f.password)
		code, errCode := callback(t, b.authorize(cfg.AuthCodeURL("s", oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("resource", api))), "s", f.issuer)
		if code == "" {
			t.Fatalf("no code: %s", errCode)
		}
		tok = tokenRequest(t, f, url.Values{"grant_type": {"authorization_code"}, "code": {code}, "code_verifier": {verifier},
			"redirect_uri": {redirect}, "client_id": {client}})
		mustStatus(t, "exchange", tok, http.StatusOK)
		if !active(tok.field("access_token")) {
			t.Fatalf("a fresh access token introspects inactive")
		}
		return code, verifier, tok
	}

	for _, client := range []string{f.public, "short"} {
		t.Run("code replay/"+client, func(t *testing.T) {
			code, verifier, tok := exchange(client, "read")
			at := tok.field("access_token")
			if grantClaim(t, at) == "" {
				t.Errorf("the access token has no grant_id")
			}
			if client == "short" && tok.field("refresh_token") != "" {
				t.Errorf("a client without the refresh_token grant got a refresh token")
			}
			replay := tokenRequest(t, f, url.Values{"grant_type": {"authorization_code"}, "code": {code}, "code_verifier": {verifier},
				"redirect_uri": {redirect}, "client_id": {client}})
			mustOAuthError(t, "replayed code", replay, 400, "invalid_grant")
			if active(at) {
				t.Errorf("the access token of a replayed code is still active at introspection")
			}
		})
	}

	t.Run("refresh reuse", func(t *testing.T) {
		_, _, tok := exchange(f.public, "read")
		at1, rt1 := tok.field("access_token"), tok.field("refresh_token")
		next := tokenRequest(t, f, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt1}, "client_id": {f.public}})
		mustStatus(t, "refresh", next, http.StatusOK)
		at2 := next.field("access_token")
		if grantClaim(t, at2) != grantClaim(t, at1) {
			t.Errorf("a refreshed access token names grant %q; want the grant of the first, %q", grantClaim(t, at2), grantClaim(t, at1))
		}
		mustOAuthError(t, "reuse", tokenRequest(t, f, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt1}, "client_id": {f.public}}), 400, "invalid_grant")
		if active(at1) || active(at2) {
			t.Errorf("after refresh token reuse: first access token active %v, second %v; want both inactive", active(at1), active(at2))
		}
	})

	t.Run("userinfo", func(t *testing.T) {
		// A token without a resource names the issuer: userinfo's.
		cfg := f.publicConfig("5000", "openid")
		verifier := oauth2.GenerateVerifier()
		b := newBrowser(t, f.username, f.password)
		code, _ := callback(t, b.authorize(cfg.AuthCodeURL("s", oauth2.S256ChallengeOption(verifier))), "s", f.issuer)
		uTok := tokenRequest(t, f, url.Values{"grant_type": {"authorization_code"}, "code": {code}, "code_verifier": {verifier},
			"redirect_uri": {cfg.RedirectURL}, "client_id": {f.public}})
		mustStatus(t, "exchange for userinfo", uTok, http.StatusOK)
		userinfo := func() int {
			return request{method: "GET", path: "/t/" + f.tenant + "/userinfo",
				header: map[string]string{"Authorization": "Bearer " + uTok.field("access_token")}}.do(t).status
		}
		if got := userinfo(); got != http.StatusOK {
			t.Fatalf("userinfo before revocation: %d; want 200", got)
		}
		revoke := request{method: "POST", path: "/t/" + f.tenant + "/revoke", body: url.Values{"token": {uTok.field("refresh_token")}, "client_id": {f.public}}.Encode(),
			header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}}.do(t)
		mustStatus(t, "revoke", revoke, http.StatusOK)
		if got := userinfo(); got != http.StatusUnauthorized {
			t.Errorf("userinfo after its grant was revoked: %d; want 401", got)
		}
	})
}

// TestTokensEndWithTheirGrant: an access token never outlives the grant
// it names, so a grant pruned once expired leaves no token that
// introspection would have to find it for.
func TestTokensEndWithTheirGrant(t *testing.T) {
	f := newFixture(t)
	setSettings(t, f.tenant, map[string]any{"refresh_token_ttl": 300})
	mustStatus(t, "a long access-token lifetime", adminDo(t, "PATCH", "/admin/v1/tenants/"+f.tenant+"/clients/"+f.public,
		map[string]any{"access_token_ttl": 3600}), http.StatusOK)
	redirect := "http://127.0.0.1:5000/callback"
	code, v := codeFor(t, f, redirect)
	tok := tokenRequest(t, f, url.Values{"grant_type": {"authorization_code"}, "code": {code}, "code_verifier": {v}, "redirect_uri": {redirect}, "client_id": {f.public}})
	mustStatus(t, "exchange", tok, http.StatusOK)
	var out struct {
		ExpiresIn int64 `json:"expires_in"`
	}
	tok.decode(t, &out)
	c := verifyAccessToken(t, f, tok.field("access_token"))
	if life := c.Expiry.Time().Sub(c.IssuedAt.Time()).Seconds(); out.ExpiresIn != 300 || life != 300 {
		t.Errorf("expires_in %d, exp-iat %v s; want 300: the grant's lifetime, not the client's hour", out.ExpiresIn, life)
	}
}

// TestVerifyOnlineCheck: verify's optional online check against the
// server under test: a token whose grant was revoked, still valid
// offline, is refused with ErrRevoked.
func TestVerifyOnlineCheck(t *testing.T) {
	f := newFixture(t)
	const api = "https://api.example.com"
	mustStatus(t, "svc stands for the API", adminDo(t, "PATCH", "/admin/v1/tenants/"+f.tenant+"/clients/"+f.svc,
		map[string]any{"introspection_audiences": []string{api}}), http.StatusOK)
	redirect := "http://127.0.0.1:5000/callback"
	code, v := codeFor(t, f, redirect, oauth2.SetAuthURLParam("resource", api))
	tok := tokenRequest(t, f, url.Values{"grant_type": {"authorization_code"}, "code": {code}, "code_verifier": {v}, "redirect_uri": {redirect}, "client_id": {f.public}})
	mustStatus(t, "exchange", tok, http.StatusOK)
	online, err := verify.NewIntrospection(verify.IntrospectionOptions{Endpoint: f.issuer + "/introspect", ClientID: f.svc, ClientSecret: f.svcSecret,
		HTTPClient: httpClient, CacheTTL: -1})
	if err != nil {
		t.Fatal(err)
	}
	offline, err := verify.New(f.issuer, verify.Options{Audience: api, HTTPClient: httpClient})
	if err != nil {
		t.Fatal(err)
	}
	checked, err := verify.New(f.issuer, verify.Options{Audience: api, HTTPClient: httpClient, Online: online})
	if err != nil {
		t.Fatal(err)
	}
	at := tok.field("access_token")
	ctx := context.Background()
	if _, err := checked.Verify(ctx, at); err != nil {
		t.Fatalf("online Verify of a live token = %v", err)
	}
	revoke := request{method: "POST", path: "/t/" + f.tenant + "/revoke", body: url.Values{"token": {tok.field("refresh_token")}, "client_id": {f.public}}.Encode(),
		header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}}.do(t)
	mustStatus(t, "revoke", revoke, http.StatusOK)
	if _, err := offline.Verify(ctx, at); err != nil {
		t.Errorf("offline Verify after revocation = %v; want nil (offline cannot know)", err)
	}
	if _, err := checked.Verify(ctx, at); !errors.Is(err, verify.ErrRevoked) {
		t.Errorf("online Verify after revocation = %v; want ErrRevoked", err)
	}
}
