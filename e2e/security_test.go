package e2e

import (
	"net/http"
	"net/url"
	"testing"
)

// TestConsentCoversItsResources: a remembered consent covers the scopes
// AND the resources (RFC 8707) the user saw and allowed. Approving client
// web for "read" at one API does not let it get, silently (prompt=none), a
// code for a token whose aud is another API, or the tenant's default
// audience; the same API again needs no new consent.
func TestConsentCoversItsResources(t *testing.T) {
	f := newFixture(t)
	const photos, bank = "https://photos.example/", "https://bank.example/"
	web := func(extra url.Values) string {
		q := url.Values{"client_id": {f.web}, "redirect_uri": {webRedirect}, "scope": {"read"}}
		for k, v := range extra {
			q[k] = v
		}
		return first(f.authURL(q))
	}
	b := newBrowser(t, f.username, f.password)
	b.decision = "approve"
	if code, e := callback(t, b.authorize(web(url.Values{"resource": {photos}})), "st", f.issuer); code == "" {
		t.Fatalf("approving read at %s: error %q", photos, e)
	}
	b.decision = ""
	for _, tc := range []struct {
		name     string
		resource []string
		want     string // "code" or the error
	}{
		{"the same API", []string{photos}, "code"},
		{"another API", []string{bank}, "consent_required"},
		{"both", []string{photos, bank}, "consent_required"},
		{"the default audience", nil, "consent_required"},
	} {
		q := url.Values{"prompt": {"none"}}
		if tc.resource != nil {
			q["resource"] = tc.resource
		}
		code, e := callback(t, b.authorize(web(q)), "st", f.issuer)
		if got := map[bool]string{true: "code", false: e}[code != ""]; got != tc.want {
			t.Errorf("prompt=none, %s: %s; want %s", tc.name, got, tc.want)
		}
	}
}

// TestSelfRegisteredScopeDefault: a tenant that sets no
// self_registered_scope gives the clients that register themselves the
// OpenID Connect scopes and nothing of an API's: a scope such as "admin"
// is refused at registration, under the open policy and the token policy
// alike (whose confidential clients would otherwise mint client_credentials
// tokens with it).
func TestSelfRegisteredScopeDefault(t *testing.T) {
	f := newFixture(t)
	setSettings(t, f.tenant, map[string]any{"registration": "open"})
	public := func(scope string) map[string]any {
		m := map[string]any{"client_name": "x", "redirect_uris": []string{"http://127.0.0.1/callback"}, "token_endpoint_auth_method": "none"}
		if scope != "" {
			m["scope"] = scope
		}
		return m
	}
	r := registerReq(t, f.tenant, public(""), "")
	mustStatus(t, "register without a scope", r, http.StatusCreated)
	if got := r.field("scope"); got != "openid profile email" {
		t.Errorf("registered scope %q; want %q", got, "openid profile email")
	}
	mustStatus(t, "register with openid", registerReq(t, f.tenant, public("openid"), ""), http.StatusCreated)
	mustOAuthError(t, "open registration asking for admin", registerReq(t, f.tenant, public("admin superuser payments:write"), ""), 400, "invalid_client_metadata")

	setSettings(t, f.tenant, map[string]any{"registration": "token"})
	tok := adminDo(t, "POST", "/admin/v1/tenants/"+f.tenant+"/registration-token", nil)
	mustStatus(t, "registration token", tok, http.StatusCreated)
	svc := map[string]any{"client_name": "svc", "grant_types": []string{"client_credentials"}, "token_endpoint_auth_method": "client_secret_basic", "scope": "admin root"}
	mustOAuthError(t, "token registration asking for admin", registerReq(t, f.tenant, svc, tok.field("initial_access_token")), 400, "invalid_client_metadata")
}
