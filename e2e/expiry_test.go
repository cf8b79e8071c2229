package e2e

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

// TestClientAccessTokenTTL: a client's own lifetime wins over the tenant's.
func TestClientAccessTokenTTL(t *testing.T) {
	f := newFixture(t)
	r := adminDo(t, "PATCH", "/admin/v1/tenants/"+f.tenant+"/clients/"+f.svc, map[string]any{"access_token_ttl": 120})
	mustStatus(t, "patch ttl", r, http.StatusOK)
	tok := tokenRequest(t, f, url.Values{"grant_type": {"client_credentials"}, "client_id": {f.svc}, "client_secret": {f.svcSecret}})
	mustStatus(t, "token", tok, http.StatusOK)
	c := verifyAccessToken(t, f, tok.field("access_token"))
	if life := c.Expiry.Time().Sub(c.IssuedAt.Time()); life != 2*time.Minute {
		t.Errorf("lifetime %v; want the client's 2m", life)
	}
	var body struct {
		ExpiresIn int `json:"expires_in"`
	}
	tok.decode(t, &body)
	if body.ExpiresIn != 120 {
		t.Errorf("expires_in = %d; want 120", body.ExpiresIn)
	}
	mustStatus(t, "bad ttl", adminDo(t, "PATCH", "/admin/v1/tenants/"+f.tenant+"/clients/"+f.svc, map[string]any{"access_token_ttl": 5}), http.StatusBadRequest)
}

func TestExpiredCode(t *testing.T) {
	f := newFixture(t)
	redirect := "http://127.0.0.1:5000/callback"
	code, v := codeFor(t, f, redirect)
	advanceClock(t, 61*time.Second) // codes live 60 s
	mustOAuthError(t, "expired code", tokenRequest(t, f, url.Values{"grant_type": {"authorization_code"}, "code": {code}, "code_verifier": {v}, "redirect_uri": {redirect}, "client_id": {f.public}}), 400, "invalid_grant")
}

func TestExpiredRefreshFamily(t *testing.T) {
	f := newFixture(t)
	mustStatus(t, "tenant ttl", adminDo(t, "PATCH", "/admin/v1/tenants/"+f.tenant, map[string]any{"settings": map[string]any{"refresh_token_ttl": 300}}), http.StatusOK)
	redirect := "http://127.0.0.1:5000/callback"
	code, v := codeFor(t, f, redirect)
	tok := tokenRequest(t, f, url.Values{"grant_type": {"authorization_code"}, "code": {code}, "code_verifier": {v}, "redirect_uri": {redirect}, "client_id": {f.public}})
	mustStatus(t, "exchange", tok, http.StatusOK)
	advanceClock(t, 301*time.Second)
	mustOAuthError(t, "expired family", tokenRequest(t, f, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.field("refresh_token")}, "client_id": {f.public}}), 400, "invalid_grant")
}

// TestIntrospectExpiredAccessToken: "the authorization server MUST
// determine whether or not the token has expired" (RFC 7662 §4): its own
// token, ten seconds after exp, is inactive, although a resource server
// checking it offline may still allow clock skew.
func TestIntrospectExpiredAccessToken(t *testing.T) {
	f := newFixture(t)
	tok := tokenRequest(t, f, url.Values{"grant_type": {"client_credentials"}}, "Authorization", basicAuth(f.svc, f.svcSecret))
	mustStatus(t, "client_credentials", tok, http.StatusOK)
	ask := func() string { return string(introspect(t, f, tok.field("access_token"), f.svc, f.svcSecret).body) }
	if body := ask(); !strings.Contains(body, `"active":true`) {
		t.Fatalf("a fresh token: %s; want active", body)
	}
	var lifetime struct {
		ExpiresIn int64 `json:"expires_in"`
	}
	tok.decode(t, &lifetime)
	advanceClock(t, time.Duration(lifetime.ExpiresIn+10)*time.Second)
	if body := ask(); body != "{\"active\":false}\n" {
		t.Errorf("ten seconds after exp: %s; want only active:false", body)
	}
}

// TestMaxAge: a sign-in older than max_age means signing in again (OIDC
// Core §3.1.2.1).
func TestMaxAge(t *testing.T) {
	f := newFixture(t)
	cfg := f.publicConfig("5000", "read")
	b := newBrowser(t, f.username, f.password)
	callback(t, b.authorize(cfg.AuthCodeURL("s", oauth2.S256ChallengeOption(oauth2.GenerateVerifier()))), "s", f.issuer)
	advanceClock(t, 2*time.Minute)
	code, _ := callback(t, b.authorize(cfg.AuthCodeURL("s", oauth2.S256ChallengeOption(oauth2.GenerateVerifier()), oauth2.SetAuthURLParam("max_age", "3600"))), "s", f.issuer)
	if code == "" || len(b.seen) != 0 {
		t.Errorf("max_age=3600 after 2 minutes: pages %v; want none", b.seen)
	}
	code, _ = callback(t, b.authorize(cfg.AuthCodeURL("s", oauth2.S256ChallengeOption(oauth2.GenerateVerifier()), oauth2.SetAuthURLParam("max_age", "60"))), "s", f.issuer)
	if code == "" || len(b.seen) != 1 || b.seen[0] != "login" {
		t.Errorf("max_age=60 after 2 minutes: pages %v; want [login]", b.seen)
	}
}
