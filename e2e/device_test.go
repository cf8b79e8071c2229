package e2e

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

const deviceGrant = "urn:ietf:params:oauth:grant-type:device_code"

// deviceFixture is f with a public device client "tv" (device code and
// refresh grants, no redirect URI) and a one-second polling interval.
func deviceFixture(t *testing.T) (*fixture, *oauth2.Config) {
	t.Helper()
	f := newFixture(t)
	setSettings(t, f.tenant, map[string]any{"device_poll_interval": 1, "scope_descriptions": map[string]string{"read": "Read your files"}})
	r := adminDo(t, "POST", "/admin/v1/tenants/"+f.tenant+"/clients", map[string]any{
		"client_id": "tv", "client_name": "Living-room TV", "token_endpoint_auth_method": "none",
		"grant_types": []string{deviceGrant, "refresh_token"}, "scope": "openid profile read"})
	mustStatus(t, "create device client", r, http.StatusCreated)
	return f, &oauth2.Config{ClientID: "tv", Scopes: []string{"openid", "read"},
		Endpoint: oauth2.Endpoint{DeviceAuthURL: f.issuer + "/device_authorization", TokenURL: f.issuer + "/token", AuthStyle: oauth2.AuthStyleInParams}}
}

// deviceAuth asks for a device code and checks the answer (RFC 8628 §3.2).
func deviceAuth(t *testing.T, f *fixture, cfg *oauth2.Config) *oauth2.DeviceAuthResponse {
	t.Helper()
	da, err := cfg.DeviceAuth(oauthCtx())
	if err != nil {
		t.Fatalf("DeviceAuth: %v", err)
	}
	noteSecret(da.DeviceCode)
	if !regexp.MustCompile(`^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$`).MatchString(da.UserCode) {
		t.Errorf("user_code %q; want two groups of four consonants", da.UserCode)
	}
	if da.VerificationURI != f.issuer+"/device" || da.VerificationURIComplete != f.issuer+"/device?user_code="+da.UserCode {
		t.Errorf("verification_uri %q, verification_uri_complete %q", da.VerificationURI, da.VerificationURIComplete)
	}
	if da.Interval != 1 || time.Until(da.Expiry) < 9*time.Minute || time.Until(da.Expiry) > 10*time.Minute {
		t.Errorf("interval %d, expiry in %v; want 1 and 10 minutes", da.Interval, time.Until(da.Expiry))
	}
	return da
}

// devicePoll is one poll of the token endpoint with device code.
func devicePoll(t *testing.T, f *fixture, client, code string) response {
	t.Helper()
	return tokenRequest(t, f, url.Values{"grant_type": {deviceGrant}, "device_code": {code}, "client_id": {client}})
}

// approveDevice signs in with the scripted browser at the verification
// URL u and answers the approval page with decision; it returns the
// browser, the approval page and the page the decision led to.
func approveDevice(t *testing.T, f *fixture, u, decision string) (b *browser, approval, result page) {
	t.Helper()
	b = newBrowser(t, f.username, f.password)
	p := b.follow(u)
	if !strings.Contains(p.body, `name="password"`) {
		t.Fatalf("verification URL: %d %.400s; want the login page", p.status, p.body)
	}
	p = b.submit(p, url.Values{"username": {f.username}, "password": {f.password}})
	approval = b.follow(target.url + p.header.Get("Location"))
	if !strings.Contains(approval.body, `name="decision"`) {
		t.Fatalf("after sign-in: %d %.400s; want the approval page", approval.status, approval.body)
	}
	return b, approval, b.submit(approval, url.Values{"decision": {decision}})
}

// TestDeviceFlow: a device (x/oauth2's device flow as the polling client)
// asks for a code, the user types it on the verification page (the
// scripted browser: sign-in, then the approval page with the client, the
// scopes and the code), and the device's polls get
// authorization_pending, then the tokens, once. RFC 8628 §3.1-§3.5.
func TestDeviceFlow(t *testing.T) {
	f, cfg := deviceFixture(t)
	md := metadataOf(t, f.tenant)
	if md["device_authorization_endpoint"] != f.issuer+"/device_authorization" || !slices.Contains(md["grant_types_supported"].([]any), any(deviceGrant)) {
		t.Errorf("metadata: device_authorization_endpoint %v, grant_types_supported %v", md["device_authorization_endpoint"], md["grant_types_supported"])
	}
	da := deviceAuth(t, f, cfg)
	mustOAuthError(t, "poll before the user decides", devicePoll(t, f, "tv", da.DeviceCode), 400, "authorization_pending")

	// The user types the code in lower case without its dash.
	b := newBrowser(t, f.username, f.password)
	typed := strings.ToLower(strings.ReplaceAll(da.UserCode, "-", ""))
	p := b.follow(f.issuer + "/device?user_code=" + typed)
	if !strings.Contains(p.body, `name="password"`) {
		t.Fatalf("after the user code: %d %.400s; want the login page", p.status, p.body)
	}
	p = b.submit(p, url.Values{"username": {f.username}, "password": {f.password}})
	p = b.follow(target.url + p.header.Get("Location"))
	for _, want := range []string{"Allow Living-room TV?", "Read your files", "Know who you are", da.UserCode, `name="decision"`} {
		if !strings.Contains(p.body, want) {
			t.Errorf("approval page lacks %q: %.1000s", want, p.body)
		}
	}
	if p = b.submit(p, url.Values{"decision": {"approve"}}); p.status != http.StatusOK || !strings.Contains(p.body, "Device connected") {
		t.Fatalf("after Allow: %d %.400s; want the device-connected page", p.status, p.body)
	}

	ctx, cancel := context.WithTimeout(oauthCtx(), 30*time.Second)
	defer cancel()
	tok, err := cfg.DeviceAccessToken(ctx, da)
	if err != nil {
		t.Fatalf("DeviceAccessToken: %v", err)
	}
	c := verifyAccessToken(t, f, tok.AccessToken)
	noteSecret(tok.RefreshToken)
	if c.Subject != f.userID || c.ClientID != "tv" || c.Scope != "openid read" || !slices.Equal([]string(c.Audience), []string{f.issuer}) || c.AuthTime == 0 {
		t.Errorf("access token claims %+v; want the user, client tv, scope openid read, aud the issuer, auth_time", c)
	}
	if tok.RefreshToken == "" || tok.Extra("id_token") == nil {
		t.Errorf("refresh token %q, id_token %v; want both (refresh_token grant, openid)", tok.RefreshToken, tok.Extra("id_token"))
	}
	if ui := (request{method: "GET", path: "/t/" + f.tenant + "/userinfo", header: map[string]string{"Authorization": "Bearer " + tok.AccessToken}}).do(t); ui.field("sub") != f.userID {
		t.Errorf("userinfo with the device's token: %d %s", ui.status, ui.body)
	}

	// The refresh token works like the code grant's: it rotates.
	refreshed := tokenRequest(t, f, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}, "client_id": {"tv"}})
	mustStatus(t, "refresh", refreshed, http.StatusOK)
	rt := refreshed.field("refresh_token")
	noteSecret(rt)

	// Redeemed once: the device code again is invalid_grant and revokes
	// the grant it issued.
	time.Sleep(1100 * time.Millisecond) // on time, so the poll is not slowed down instead
	mustOAuthError(t, "the device code again", devicePoll(t, f, "tv", da.DeviceCode), 400, "invalid_grant")
	mustOAuthError(t, "refresh after the replay", tokenRequest(t, f, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {"tv"}}), 400, "invalid_grant")
	// And the code is no longer good on the verification page.
	if p := newBrowser(t, "", "").follow(da.VerificationURIComplete); !strings.Contains(p.body, "not valid or has expired") {
		t.Errorf("verification page with a used code: %d %.400s", p.status, p.body)
	}
}

// TestDeviceFlowDenied: the user says no; the device's next poll is
// access_denied, a 400 (RFC 8628 §3.5 via RFC 6749 §5.2), and nothing is
// issued.
func TestDeviceFlowDenied(t *testing.T) {
	f, cfg := deviceFixture(t)
	da := deviceAuth(t, f, cfg)
	b, approval, result := approveDevice(t, f, da.VerificationURIComplete, "deny")
	if !strings.Contains(result.body, "Request denied") {
		t.Errorf("after Deny: %.400s", result.body)
	}
	mustOAuthError(t, "poll after Deny", devicePoll(t, f, "tv", da.DeviceCode), 400, "access_denied")
	// The decision is taken once: the same page answered again changes
	// nothing.
	if p := b.submit(approval, url.Values{"decision": {"approve"}}); !strings.Contains(p.body, "This request has ended") {
		t.Errorf("approving after Deny: %d %.400s; want the request-ended page", p.status, p.body)
	}
	time.Sleep(1100 * time.Millisecond)
	mustOAuthError(t, "poll after a late Allow", devicePoll(t, f, "tv", da.DeviceCode), 400, "access_denied")
}

// TestDeviceFlowSlowDown: a device that polls faster than its interval
// gets slow_down, and its interval grows by 5 seconds for every later
// poll (RFC 8628 §3.5: MUST). Polls within the interval less a second of
// leeway are too soon.
func TestDeviceFlowSlowDown(t *testing.T) {
	f, cfg := deviceFixture(t)
	setSettings(t, f.tenant, map[string]any{"device_poll_interval": 5})
	da, err := cfg.DeviceAuth(oauthCtx())
	if err != nil {
		t.Fatalf("DeviceAuth: %v", err)
	}
	noteSecret(da.DeviceCode)
	if da.Interval != 5 {
		t.Errorf("interval %d; want the tenant's 5", da.Interval)
	}
	mustOAuthError(t, "first poll", devicePoll(t, f, "tv", da.DeviceCode), 400, "authorization_pending")
	r := devicePoll(t, f, "tv", da.DeviceCode)
	mustOAuthError(t, "second poll at once", r, 400, "slow_down")
	if !strings.Contains(r.field("error_description"), "10 seconds") {
		t.Errorf("slow_down description %q; want the new interval, 10 seconds", r.field("error_description"))
	}
	if r := devicePoll(t, f, "tv", da.DeviceCode); !strings.Contains(r.field("error_description"), "15 seconds") {
		t.Errorf("third poll at once: %s; want slow_down with 15 seconds", r.body)
	}
}

// TestDeviceFlowExpired: once its lifetime is over, a device code is
// expired_token at the token endpoint and no longer good on the
// verification page; the scheduled job prunes it, after which it is
// unknown (invalid_grant). Native only: it moves the server's clock.
func TestDeviceFlowExpired(t *testing.T) {
	f, cfg := deviceFixture(t)
	da := deviceAuth(t, f, cfg)
	advanceClock(t, 10*time.Minute)
	mustOAuthError(t, "poll after the expiry", devicePoll(t, f, "tv", da.DeviceCode), 400, "expired_token")
	if p := newBrowser(t, f.username, f.password).follow(da.VerificationURIComplete); !strings.Contains(p.body, "not valid or has expired") {
		t.Errorf("verification page with an expired code: %d %.400s", p.status, p.body)
	}
	advanceClock(t, time.Minute)
	if err := target.runCron(); err != nil {
		t.Fatal(err)
	}
	mustOAuthError(t, "poll after pruning", devicePoll(t, f, "tv", da.DeviceCode), 400, "invalid_grant")
}

// TestDeviceFlowErrors: what the device authorization endpoint, the
// verification page and the token endpoint refuse, each with its RFC's
// error.
func TestDeviceFlowErrors(t *testing.T) {
	f, cfg := deviceFixture(t)
	authorize := func(form url.Values, header ...string) response {
		t.Helper()
		h := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
		for i := 0; i+1 < len(header); i += 2 {
			h[header[i]] = header[i+1]
		}
		return request{method: "POST", path: "/t/" + f.tenant + "/device_authorization", body: form.Encode(), header: h}.do(t)
	}
	mustOAuthError(t, "a client without the device grant", authorize(url.Values{"client_id": {f.public}}), 400, "unauthorized_client")
	mustOAuthError(t, "an unknown client", authorize(url.Values{"client_id": {"nobody"}}), 401, "invalid_client")
	mustOAuthError(t, "a wrong secret", authorize(url.Values{"client_id": {f.svc}, "client_secret": {"wrong"}}), 401, "invalid_client")
	mustOAuthError(t, "a scope beyond the client's", authorize(url.Values{"client_id": {"tv"}, "scope": {"openid admin"}}), 400, "invalid_scope")
	mustOAuthError(t, "a bad resource", authorize(url.Values{"client_id": {"tv"}, "resource": {"not a uri"}}), 400, "invalid_target")
	ok := authorize(url.Values{"client_id": {"tv"}, "resource": {"https://api.example.com"}})
	mustStatus(t, "device authorization with a resource", ok, http.StatusOK)
	noteSecret(ok.field("device_code"))
	if ok.header.Get("Cache-Control") != "no-store" || ok.field("verification_uri") == "" {
		t.Errorf("device authorization answer: %v %s", ok.header, ok.body)
	}

	da := deviceAuth(t, f, cfg)
	mustOAuthError(t, "no device_code", tokenRequest(t, f, url.Values{"grant_type": {deviceGrant}, "client_id": {"tv"}}), 400, "invalid_request")
	mustOAuthError(t, "an unknown device code", devicePoll(t, f, "tv", oauth2.GenerateVerifier()), 400, "invalid_grant")
	mustOAuthError(t, "a client without the grant", devicePoll(t, f, f.public, da.DeviceCode), 400, "unauthorized_client")
	other := adminDo(t, "POST", "/admin/v1/tenants/"+f.tenant+"/clients", map[string]any{
		"client_id": "tv2", "token_endpoint_auth_method": "none", "grant_types": []string{deviceGrant}})
	mustStatus(t, "second device client", other, http.StatusCreated)
	mustOAuthError(t, "another client's device code", devicePoll(t, f, "tv2", da.DeviceCode), 400, "invalid_grant")
	// ... which did not count as a poll of the code's own client.
	mustOAuthError(t, "the owner's poll", devicePoll(t, f, "tv", da.DeviceCode), 400, "authorization_pending")

	// The verification page: a malformed or unknown code is the form
	// again, with one message; a device request is not a consent request.
	for _, typed := range []string{"BCDF-BCDF", "AEIOU", strings.Repeat("x", 500)} {
		p := newBrowser(t, "", "").follow(f.issuer + "/device?user_code=" + url.QueryEscape(typed))
		if p.status != http.StatusOK || !strings.Contains(p.body, "not valid or has expired") || !strings.Contains(p.body, `name="user_code"`) {
			t.Errorf("user code %.20q: %d %.400s; want the form with the message", typed, p.status, p.body)
		}
	}
	if p := newBrowser(t, "", "").follow(f.issuer + "/device"); !strings.Contains(p.body, `name="user_code"`) || !strings.Contains(p.header.Get("Content-Security-Policy"), "default-src 'none'") {
		t.Errorf("verification page: %d %v %.400s", p.status, p.header, p.body)
	}
	// A device request's approval page cannot be answered as a consent.
	b := newBrowser(t, f.username, f.password)
	p := b.follow(da.VerificationURIComplete)
	p = b.submit(p, url.Values{"username": {f.username}, "password": {f.password}})
	req, _ := url.Parse(p.header.Get("Location"))
	if r := b.follow(f.issuer + "/consent?" + req.RawQuery); r.status != http.StatusBadRequest || strings.Contains(r.body, `name="decision"`) {
		t.Errorf("a device request on the consent page: %d %.300s; want the error page", r.status, r.body)
	}
}

// TestDeviceUserCodeGuessing: user codes typed from one address are
// limited to 30 a minute per tenant (RFC 8628 §5.1): past that the page
// answers 429 with Retry-After, before any lookup.
func TestDeviceUserCodeGuessing(t *testing.T) {
	f, _ := deviceFixture(t)
	for i := 1; i <= 70; i++ {
		p := newBrowser(t, "", "").follow(f.issuer + "/device?user_code=BCDF" + strconv.Itoa(i))
		if p.status != http.StatusTooManyRequests {
			continue
		}
		if i <= 30 {
			t.Errorf("guess %d refused; the limit is 30 a minute", i)
		}
		if p.header.Get("Retry-After") == "" {
			t.Errorf("429 without Retry-After")
		}
		return
	}
	t.Errorf("70 user codes from one address were all looked up; want 429 after 30")
}

// TestDeviceFlowPollAfterRedemption: a device that polls again at once
// after its tokens came (two polls in flight, or a retry of an answer it
// lost) is told invalid_grant but keeps its grant: only a replay on time
// is taken for a stolen device code. The token request may narrow the
// granted resources (RFC 8707 §2.2), never widen them.
func TestDeviceFlowPollAfterRedemption(t *testing.T) {
	f, _ := deviceFixture(t)
	setSettings(t, f.tenant, map[string]any{"device_poll_interval": 5})
	r := request{method: "POST", path: "/t/" + f.tenant + "/device_authorization", header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"},
		body: url.Values{"client_id": {"tv"}, "scope": {"read"}, "resource": {"https://api.example.com", "https://files.example.com"}}.Encode()}.do(t)
	mustStatus(t, "device authorization with two resources", r, http.StatusOK)
	code := r.field("device_code")
	noteSecret(code)
	approveDevice(t, f, r.field("verification_uri_complete"), "approve")

	poll := func(extra ...string) response {
		form := url.Values{"grant_type": {deviceGrant}, "device_code": {code}, "client_id": {"tv"}}
		for i := 0; i+1 < len(extra); i += 2 {
			form.Add(extra[i], extra[i+1])
		}
		return tokenRequest(t, f, form)
	}
	mustOAuthError(t, "a resource not granted", poll("resource", "https://evil.example.com"), 400, "invalid_target")
	time.Sleep(4100 * time.Millisecond) // on time (interval 5, leeway 1), so the poll is not slowed down instead
	tok := poll("resource", "https://files.example.com")
	mustStatus(t, "redeeming poll, narrowed to one resource", tok, http.StatusOK)
	noteSecret(tok.field("access_token"))
	noteSecret(tok.field("refresh_token"))
	if c := verifyAccessToken(t, f, tok.field("access_token")); !slices.Equal([]string(c.Audience), []string{"https://files.example.com"}) {
		t.Errorf("aud %v; want the one resource asked for", c.Audience)
	}
	mustOAuthError(t, "a poll at once after the redemption", poll(), 400, "invalid_grant")
	refreshed := tokenRequest(t, f, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.field("refresh_token")}, "client_id": {"tv"}})
	mustStatus(t, "refresh after the repeated poll: the grant holds", refreshed, http.StatusOK)
	noteSecret(refreshed.field("refresh_token"))
}
