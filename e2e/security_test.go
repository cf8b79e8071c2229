package e2e

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
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

	// Two approvals of other scopes at other APIs do not add up to the
	// pairs the user never saw: openid at bank after read at photos is not
	// read at bank, nor openid at photos.
	b.decision = "approve"
	if code, e := callback(t, b.authorize(web(url.Values{"scope": {"openid"}, "resource": {bank}})), "st", f.issuer); code == "" {
		t.Fatalf("approving openid at %s: error %q", bank, e)
	}
	b.decision = ""
	for _, tc := range []struct {
		name, scope, resource, want string
	}{
		{"the latest approval", "openid", bank, "code"},
		{"a scope approved at another API", "read", bank, "consent_required"},
		{"another scope at the API approved before", "openid", photos, "consent_required"},
	} {
		code, e := callback(t, b.authorize(web(url.Values{"prompt": {"none"}, "scope": {tc.scope}, "resource": {tc.resource}})), "st", f.issuer)
		if got := map[bool]string{true: "code", false: e}[code != ""]; got != tc.want {
			t.Errorf("prompt=none, %s (%s at %s): %s; want %s", tc.name, tc.scope, tc.resource, got, tc.want)
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

// TestAdminAuthFailuresAreCounted: failed admin authentications, which
// anyone can send, are counted per address and hour in one audit event
// naming the route, never one event per request holding the path it sent
// (a 10 KB path here).
func TestAdminAuthFailuresAreCounted(t *testing.T) {
	hour := time.Now().UTC().Truncate(time.Hour).Format(time.RFC3339)
	counted := func() (events int, total int64) {
		var page auditPage
		adminDo(t, "GET", "/admin/v1/audit?event=admin.auth_failed&limit=1000&since="+url.QueryEscape(hour), nil).decode(t, &page)
		for _, e := range page.Events {
			if len(e.Subject) > 128 || strings.Contains(e.Subject, "wwww") || e.Source == "" {
				t.Errorf("event %+v: want the route as subject, at most 128 bytes, and the source", e)
			}
			total += e.Count
		}
		return len(page.Events), total
	}
	_, before := counted()
	long := "/admin/v1/tenants/" + strings.Repeat("w", 10<<10)
	audited := int64(0)
	for range 20 {
		r := request{method: "GET", path: long, header: map[string]string{"Authorization": "Bearer nope"}}.do(t)
		switch r.status {
		case http.StatusUnauthorized:
			audited++
		case http.StatusTooManyRequests:
		default:
			t.Fatalf("a wrong admin token: %d; want 401 or 429", r.status)
		}
	}
	events, after := counted()
	// One address: one event this hour (two if the hour turned meanwhile).
	if events < 1 || events > 2 || after-before != audited {
		t.Errorf("%d failed admin authentications from one address: %d events this hour, their count grew by %d; want 1 event counting each", audited, events, after-before)
	}
}

// TestAuditOutlivesItsTenant: the audit log is append-only; deleting a
// tenant keeps its events (until the retention prunes them), readable in
// the log of every tenant.
func TestAuditOutlivesItsTenant(t *testing.T) {
	f := newFixture(t)
	mustStatus(t, "delete tenant", adminDo(t, "DELETE", "/admin/v1/tenants/"+f.tenant, nil), http.StatusNoContent)
	var page auditPage
	adminDo(t, "GET", "/admin/v1/audit?event=user.created&limit=1000", nil).decode(t, &page)
	kept := false
	for _, e := range page.Events {
		kept = kept || e.Tenant == f.tenant
	}
	if !kept {
		t.Errorf("the deleted tenant's user.created event is gone from the audit log")
	}
}

// TestFamilyIDAloneRevokesNothing: a refresh token is "<fid>.<gen>-<mac>"
// and the family id is no secret (it names the grant). Revocation and
// reuse detection act only on a token the family really held: a made-up
// token with a known family id is invalid and revokes nothing; a token
// the family held before is reuse and revokes it (RFC 9700 §4.14.2).
func TestFamilyIDAloneRevokesNothing(t *testing.T) {
	f := newFixture(t)
	redirect := "http://127.0.0.1:5000/callback"
	code, v := codeFor(t, f, redirect)
	tok := tokenRequest(t, f, url.Values{"grant_type": {"authorization_code"}, "code": {code}, "code_verifier": {v}, "redirect_uri": {redirect}, "client_id": {f.public}})
	mustStatus(t, "exchange", tok, http.StatusOK)
	rt0 := tok.field("refresh_token")
	noteSecret(rt0)
	fid, _, _ := strings.Cut(rt0, ".")
	refresh := func(rt string) response {
		return tokenRequest(t, f, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {f.public}})
	}
	for _, forged := range []string{fid + ".x", fid + ".0-" + strings.Repeat("A", 43), fid + "." + strings.Repeat("A", 43), fid + ".7-" + strings.Repeat("B", 43)} {
		r := request{method: "POST", path: "/t/" + f.tenant + "/revoke", body: url.Values{"token": {forged}, "client_id": {f.public}}.Encode(),
			header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}}.do(t)
		mustStatus(t, "revoke a made-up token", r, http.StatusOK)
		mustOAuthError(t, "refresh with a made-up token", refresh(forged), 400, "invalid_grant")
	}
	r1 := refresh(rt0)
	mustStatus(t, "refresh after the made-up tokens", r1, http.StatusOK) // the grant lives
	rt1 := r1.field("refresh_token")
	noteSecret(rt1)
	// The token of the first generation again: reuse, the grant is revoked.
	mustOAuthError(t, "reuse of the first token", refresh(rt0), 400, "invalid_grant")
	mustOAuthError(t, "the current token after reuse", refresh(rt1), 400, "invalid_grant")
}
