package e2e

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

const (
	exchangeGrant   = "urn:ietf:params:oauth:grant-type:token-exchange"
	accessTokenType = "urn:ietf:params:oauth:token-type:access_token"
	mcpResource     = "https://mcp.example.com"
	downstream      = "https://downstream.example.com"
)

// exchangeFixture is f with a confidential client "mcp", the MCP server
// that receives users' tokens for mcpResource (its introspection
// audience) and may exchange them for downstream (its token exchange
// policy), and the secret of mcp.
func exchangeFixture(t *testing.T) (*fixture, string) {
	t.Helper()
	f := newFixture(t)
	r := adminDo(t, "POST", "/admin/v1/tenants/"+f.tenant+"/clients", map[string]any{
		"client_id": "mcp", "grant_types": []string{exchangeGrant}, "introspection_audiences": []string{mcpResource},
		"token_exchange_audiences": []string{downstream}})
	mustStatus(t, "create the MCP server's client", r, http.StatusCreated)
	if got := r.field("client_secret"); got == "" {
		t.Fatalf("no client secret: %s", r.body)
	}
	return f, r.field("client_secret")
}

// userToken runs the code flow of f's public client for scope and
// resource ("" for none) and returns the access token.
func userToken(t *testing.T, f *fixture, scope, resource string) string {
	t.Helper()
	opts := []oauth2.AuthCodeOption{oauth2.SetAuthURLParam("scope", scope)}
	if resource != "" {
		opts = append(opts, oauth2.SetAuthURLParam("resource", resource))
	}
	redirect := "http://127.0.0.1:5000/callback"
	code, v := codeFor(t, f, redirect, opts...)
	tok := tokenRequest(t, f, url.Values{"grant_type": {"authorization_code"}, "code": {code}, "code_verifier": {v}, "redirect_uri": {redirect}, "client_id": {f.public}})
	mustStatus(t, "code exchange", tok, http.StatusOK)
	noteSecret(tok.field("access_token"))
	return tok.field("access_token")
}

// exchange posts a token exchange as client id with secret; extra pairs
// set ("<delete>" removes) parameters of the form.
func exchange(t *testing.T, f *fixture, id, secret, subject string, extra ...string) response {
	t.Helper()
	form := url.Values{"grant_type": {exchangeGrant}, "subject_token": {subject}, "subject_token_type": {accessTokenType}, "resource": {downstream}}
	for i := 0; i+1 < len(extra); i += 2 {
		if extra[i+1] == "<delete>" {
			form.Del(extra[i])
		} else {
			form.Add(extra[i], extra[i+1])
		}
	}
	return tokenRequest(t, f, form, "Authorization", basicAuth(id, secret))
}

// actClaim reads the act claim (RFC 8693 §4.1) of a JWT without checking
// it (verifyAccessToken checks the token).
type actClaim struct {
	Sub string    `json:"sub"`
	Act *actClaim `json:"act"`
}

func actOf(t *testing.T, token string) *actClaim {
	t.Helper()
	parts := strings.Split(token, ".")
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		Act *actClaim `json:"act"`
	}
	json.Unmarshal(raw, &c)
	return c.Act
}

// TestTokenExchange: an MCP server that received a user's access token
// for itself exchanges it for a token to a downstream API (RFC 8693):
// the same user, a scope no wider, the downstream audience, an act claim
// naming the MCP server, an expiry no later than the subject token's, and
// issued_token_type. A token exchanged again nests the earlier actor.
func TestTokenExchange(t *testing.T) {
	f, secret := exchangeFixture(t)
	if md := metadataOf(t, f.tenant); !slices.Contains(md["grant_types_supported"].([]any), any(exchangeGrant)) {
		t.Errorf("grant_types_supported %v lacks token exchange", md["grant_types_supported"])
	}
	subject := userToken(t, f, "read write", mcpResource)
	r := exchange(t, f, "mcp", secret, subject, "scope", "read")
	mustStatus(t, "token exchange", r, http.StatusOK)
	if r.field("issued_token_type") != accessTokenType || r.field("token_type") != "Bearer" || r.field("refresh_token") != "" || r.field("scope") != "read" {
		t.Errorf("token exchange answer %s; want an access token of scope read, no refresh token", r.body)
	}
	if r.header.Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control %q; want no-store", r.header.Get("Cache-Control"))
	}
	at := r.field("access_token")
	c, s := verifyAccessToken(t, f, at), verifyAccessToken(t, f, subject)
	if c.Subject != f.userID || c.ClientID != "mcp" || c.Scope != "read" || !slices.Equal([]string(c.Audience), []string{downstream}) {
		t.Errorf("exchanged token: sub %q client_id %q scope %q aud %v; want the user, mcp, read, %s", c.Subject, c.ClientID, c.Scope, c.Audience, downstream)
	}
	if c.Expiry.Time().After(s.Expiry.Time()) || c.AuthTime != s.AuthTime || !slices.Equal(c.Roles, []string{"admin"}) {
		t.Errorf("exchanged token: exp %v (subject's %v), auth_time %d (%d), roles %v", c.Expiry.Time(), s.Expiry.Time(), c.AuthTime, s.AuthTime, c.Roles)
	}
	if act := actOf(t, at); act == nil || act.Sub != "mcp" || act.Act != nil {
		t.Errorf("act = %+v; want {sub: mcp}", act)
	}
	// Without scope: the subject token's.
	if r := exchange(t, f, "mcp", secret, subject); r.field("scope") != "read write" {
		t.Errorf("exchange without scope: %s; want the subject's scope", r.body)
	}

	// The downstream API exchanges it again, for a name of its own.
	d := adminDo(t, "POST", "/admin/v1/tenants/"+f.tenant+"/clients", map[string]any{
		"client_id": "downstream", "grant_types": []string{exchangeGrant}, "introspection_audiences": []string{downstream},
		"token_exchange_audiences": []string{"billing", "ledger"}})
	mustStatus(t, "downstream client", d, http.StatusCreated)
	// The downstream API sees who acts, at introspection too (§4.1).
	var in struct {
		Active bool      `json:"active"`
		Sub    string    `json:"sub"`
		Act    *actClaim `json:"act"`
	}
	introspect(t, f, at, "downstream", d.field("client_secret")).decode(t, &in)
	if !in.Active || in.Sub != f.userID || in.Act == nil || in.Act.Sub != "mcp" {
		t.Errorf("introspection of the exchanged token by the downstream API: %+v; want active, the user, act mcp", in)
	}
	r = exchange(t, f, "downstream", d.field("client_secret"), at, "resource", "<delete>", "audience", "billing")
	mustStatus(t, "second exchange", r, http.StatusOK)
	noteSecret(r.field("access_token"))
	if act := actOf(t, r.field("access_token")); act == nil || act.Sub != "downstream" || act.Act == nil || act.Act.Sub != "mcp" {
		t.Errorf("act after two exchanges = %+v; want {sub: downstream, act: {sub: mcp}}", act)
	}
	// §2.1: audience may repeat, for a token to several APIs.
	r = exchange(t, f, "downstream", d.field("client_secret"), at, "resource", "<delete>", "audience", "billing", "audience", "ledger")
	mustStatus(t, "an exchange for two audiences", r, http.StatusOK)
	noteSecret(r.field("access_token"))
	if c := verifyAccessToken(t, f, r.field("access_token")); !slices.Equal([]string(c.Audience), []string{"billing", "ledger"}) {
		t.Errorf("aud %v; want billing and ledger", c.Audience)
	}
	mustOAuthError(t, "two audiences, one not allowed", exchange(t, f, "downstream", d.field("client_secret"), at, "resource", "<delete>", "audience", "billing", "audience", "payroll"), 400, "invalid_target")
}

// TestTokenExchangeRefusals: each case RFC 8693 §2.2.2 and the policy
// refuse, with its error: a client without the policy, another tenant's
// token, an expired or revoked subject token, a token not meant for the
// client, a wider scope or another audience, and the parameters this
// server does not take.
func TestTokenExchangeRefusals(t *testing.T) {
	f, secret := exchangeFixture(t)
	subject := userToken(t, f, "read", mcpResource)

	// Clients without the policy.
	mustOAuthError(t, "a client without the grant", exchange(t, f, f.svc, f.svcSecret, subject), 400, "unauthorized_client")
	nopolicy := adminDo(t, "POST", "/admin/v1/tenants/"+f.tenant+"/clients", map[string]any{
		"client_id": "nopolicy", "grant_types": []string{exchangeGrant}, "introspection_audiences": []string{mcpResource}})
	mustStatus(t, "client with the grant, without audiences", nopolicy, http.StatusCreated)
	mustOAuthError(t, "a client with the grant and no audiences (off by default)", exchange(t, f, "nopolicy", nopolicy.field("client_secret"), subject), 400, "unauthorized_client")
	mustOAuthError(t, "a public client with the grant", adminDo(t, "POST", "/admin/v1/tenants/"+f.tenant+"/clients", map[string]any{
		"client_id": "pub-ex", "token_endpoint_auth_method": "none", "grant_types": []string{exchangeGrant}}), 400, "invalid_client_metadata")
	// A client that registers itself cannot give itself the policy.
	setSettings(t, f.tenant, map[string]any{"registration": "token"})
	iat := adminDo(t, "POST", "/admin/v1/tenants/"+f.tenant+"/registration-token", nil).field("initial_access_token")
	noteSecret(iat)
	reg := registerReq(t, f.tenant, map[string]any{"client_name": "self", "grant_types": []string{exchangeGrant},
		"token_endpoint_auth_method": "client_secret_basic", "token_exchange_audiences": []string{downstream}}, iat)
	mustStatus(t, "register", reg, http.StatusCreated)
	if strings.Contains(string(reg.body), "token_exchange_audiences") {
		t.Errorf("registration kept token_exchange_audiences: %s", reg.body)
	}
	noteSecret(reg.field("client_secret"))
	mustOAuthError(t, "a self-registered client", exchange(t, f, reg.field("client_id"), reg.field("client_secret"), subject), 400, "unauthorized_client")

	// Subject tokens that are not acceptable: invalid_request.
	other := newFixture(t)
	foreign := userToken(t, other, "read", mcpResource)
	mustOAuthError(t, "another tenant's token", exchange(t, f, "mcp", secret, foreign), 400, "invalid_request")
	mustOAuthError(t, "a tampered token", exchange(t, f, "mcp", secret, subject[:len(subject)-4]+"AAAA"), 400, "invalid_request")
	mustOAuthError(t, "not a token", exchange(t, f, "mcp", secret, "abc"), 400, "invalid_request")
	mustOAuthError(t, "a token for another API", exchange(t, f, "mcp", secret, userToken(t, f, "read", "")), 400, "invalid_request")

	// Widening: invalid_scope, invalid_target.
	mustOAuthError(t, "a wider scope", exchange(t, f, "mcp", secret, subject, "scope", "read write"), 400, "invalid_scope")
	mustOAuthError(t, "another resource", exchange(t, f, "mcp", secret, subject, "resource", "<delete>", "resource", "https://other.example.com"), 400, "invalid_target")
	mustOAuthError(t, "one allowed and one other audience", exchange(t, f, "mcp", secret, subject, "audience", "billing"), 400, "invalid_target")
	mustOAuthError(t, "a resource that is no URI", exchange(t, f, "mcp", secret, subject, "resource", "<delete>", "resource", "downstream"), 400, "invalid_target")

	// Parameters.
	for _, tc := range []struct {
		name  string
		extra []string
	}{
		{"no subject_token", []string{"subject_token", "<delete>"}},
		{"no subject_token_type", []string{"subject_token_type", "<delete>"}},
		{"an ID token type", []string{"subject_token_type", "<delete>", "subject_token_type", "urn:ietf:params:oauth:token-type:id_token"}},
		{"an actor token", []string{"actor_token", subject, "actor_token_type", accessTokenType}},
		{"a refresh token asked for", []string{"requested_token_type", "urn:ietf:params:oauth:token-type:refresh_token"}},
		{"no resource nor audience", []string{"resource", "<delete>"}},
	} {
		mustOAuthError(t, tc.name, exchange(t, f, "mcp", secret, subject, tc.extra...), 400, "invalid_request")
	}
	mustStatus(t, "the same request, well formed", exchange(t, f, "mcp", secret, subject), http.StatusOK)

	// Expired (native: the clock moves) and revoked (the key that signed
	// it, revoked by an admin) subject tokens.
	if target.name == "native" {
		advanceClock(t, 11*time.Minute)
		mustOAuthError(t, "an expired subject token", exchange(t, f, "mcp", secret, subject), 400, "invalid_request")
		advanceClock(t, -11*time.Minute)
	}
	kid := kidOf(t, subject)
	mustStatus(t, "revoke the key", adminDo(t, "DELETE", "/admin/v1/tenants/"+f.tenant+"/keys/"+kid, nil), http.StatusNoContent)
	mustOAuthError(t, "a subject token of a revoked key", exchange(t, f, "mcp", secret, subject), 400, "invalid_request")
}

// TestTokenExchangeEndsWithItsGrant: an exchanged token names the grant
// of the user's token it came from, so revoking that grant ends every
// token exchanged from it at introspection (issue: revocation reaches
// every token), and a token of a revoked grant cannot be exchanged. The
// exchanging client cannot revoke the user's grant through its own
// exchanged token.
func TestTokenExchangeEndsWithItsGrant(t *testing.T) {
	f, secret := exchangeFixture(t)
	d := adminDo(t, "POST", "/admin/v1/tenants/"+f.tenant+"/clients", map[string]any{
		"client_id": "downstream", "grant_types": []string{exchangeGrant}, "introspection_audiences": []string{downstream},
		"token_exchange_audiences": []string{"billing"}})
	mustStatus(t, "downstream client", d, http.StatusCreated)
	dSecret := d.field("client_secret")
	noteSecret(dSecret)

	subject := userToken(t, f, "read", mcpResource)
	r := exchange(t, f, "mcp", secret, subject)
	mustStatus(t, "token exchange", r, http.StatusOK)
	at := r.field("access_token")
	noteSecret(at)
	r = exchange(t, f, "downstream", dSecret, at, "resource", "<delete>", "audience", "billing")
	mustStatus(t, "second exchange", r, http.StatusOK)
	at2 := r.field("access_token")
	noteSecret(at2)
	active := func(token, id, secret string) bool {
		t.Helper()
		var in struct {
			Active bool `json:"active"`
		}
		r := introspect(t, f, token, id, secret)
		mustStatus(t, "introspect", r, http.StatusOK)
		r.decode(t, &in)
		return in.Active
	}
	if !active(at, "downstream", dSecret) || !active(subject, "mcp", secret) {
		t.Fatal("the exchanged and the subject token are not active before any revocation")
	}

	revoke := func(token string, auth ...string) response {
		form := url.Values{"token": {token}}
		if len(auth) == 2 {
			form.Set("client_id", auth[0])
			form.Set("client_secret", auth[1])
		} else {
			form.Set("client_id", f.public)
		}
		return request{method: "POST", path: "/t/" + f.tenant + "/revoke", body: form.Encode(),
			header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}}.do(t)
	}
	// The MCP server's own exchanged token names the user's grant to
	// another client: revoking it is refused, and the grant holds.
	if r := revoke(at, "mcp", secret); r.status != http.StatusBadRequest || r.field("error") != "unsupported_token_type" {
		t.Errorf("mcp revokes its exchanged token: %d %s; want 400 unsupported_token_type", r.status, r.body)
	}
	if !active(subject, "mcp", secret) || !active(at, "downstream", dSecret) {
		t.Error("revoking an exchanged token ended the user's grant")
	}

	// The user's client revokes its access token: the grant ends, and with
	// it every token exchanged from it.
	mustStatus(t, "the public client revokes the user's token", revoke(subject), http.StatusOK)
	if active(at, "downstream", dSecret) {
		t.Error("the exchanged token is active after its grant was revoked")
	}
	if active(at2, "downstream", dSecret) {
		t.Error("the token exchanged twice is active after its grant was revoked")
	}
	mustOAuthError(t, "a subject token of a revoked grant", exchange(t, f, "mcp", secret, subject), 400, "invalid_request")
	mustOAuthError(t, "an exchanged token of a revoked grant", exchange(t, f, "downstream", dSecret, at, "resource", "<delete>", "audience", "billing"), 400, "invalid_request")
}

// TestTokensOfADeletedClient: the tokens that name no grant of their own
// client (client_credentials, and exchanged tokens, which name the user's
// grant to another client) are inactive at introspection once their client
// is deleted, as a user's tokens are once their grant goes with it.
func TestTokensOfADeletedClient(t *testing.T) {
	f, secret := exchangeFixture(t)
	job := adminDo(t, "POST", "/admin/v1/tenants/"+f.tenant+"/clients", map[string]any{
		"client_id": "job", "grant_types": []string{"client_credentials"}, "scope": "read"})
	mustStatus(t, "client_credentials client", job, http.StatusCreated)
	noteSecret(job.field("client_secret"))
	cc := tokenRequest(t, f, url.Values{"grant_type": {"client_credentials"}, "resource": {mcpResource}}, "Authorization", basicAuth("job", job.field("client_secret")))
	mustStatus(t, "client_credentials token", cc, http.StatusOK)
	noteSecret(cc.field("access_token"))

	subject := userToken(t, f, "read", mcpResource)
	x := exchange(t, f, "mcp", secret, subject)
	mustStatus(t, "token exchange", x, http.StatusOK)
	noteSecret(x.field("access_token"))
	// Two APIs that introspect: one for the MCP server's resource, one
	// downstream.
	api := adminDo(t, "POST", "/admin/v1/tenants/"+f.tenant+"/clients", map[string]any{
		"client_id": "api", "introspection_audiences": []string{mcpResource}, "grant_types": []string{"client_credentials"}})
	mustStatus(t, "api client", api, http.StatusCreated)
	noteSecret(api.field("client_secret"))
	d := adminDo(t, "POST", "/admin/v1/tenants/"+f.tenant+"/clients", map[string]any{
		"client_id": "downstream", "introspection_audiences": []string{downstream}, "grant_types": []string{"client_credentials"}})
	mustStatus(t, "downstream client", d, http.StatusCreated)
	noteSecret(d.field("client_secret"))

	active := func(what, token, id, secret string) bool {
		t.Helper()
		var in struct {
			Active bool `json:"active"`
		}
		r := introspect(t, f, token, id, secret)
		mustStatus(t, "introspect "+what, r, http.StatusOK)
		r.decode(t, &in)
		return in.Active
	}
	if !active("the client_credentials token", cc.field("access_token"), "api", api.field("client_secret")) || !active("the exchanged token", x.field("access_token"), "downstream", d.field("client_secret")) {
		t.Fatal("the tokens are not active before their clients are deleted")
	}
	mustStatus(t, "delete job", adminDo(t, "DELETE", "/admin/v1/tenants/"+f.tenant+"/clients/job", nil), http.StatusNoContent)
	mustStatus(t, "delete mcp", adminDo(t, "DELETE", "/admin/v1/tenants/"+f.tenant+"/clients/mcp", nil), http.StatusNoContent)
	if active("the client_credentials token", cc.field("access_token"), "api", api.field("client_secret")) {
		t.Error("a deleted client's client_credentials token is active")
	}
	if active("the exchanged token", x.field("access_token"), "downstream", d.field("client_secret")) {
		t.Error("a token exchanged by a deleted client is active")
	}
}
