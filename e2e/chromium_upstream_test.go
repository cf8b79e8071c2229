package e2e

import (
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"golang.org/x/oauth2"
)

// TestChromiumUpstream: in headless Chromium, the user clicks the
// connection's button on the sign-in page, signs in at the provider
// (another edgeauth tenant of this server) and lands back at the app's
// loopback callback with a code, which redeems for tokens whose ID token
// carries the provider's profile. The browser's own cookie rules carry
// the upstream sign-in's cookie through the redirects.
func TestChromiumUpstream(t *testing.T) {
	browser := startChromium(t)
	d := newDownstream(t, nil)
	issuer, clientID, secret, _ := upstreamEdgeauth(t, d, "corp")
	mustStatus(t, "create connection", adminDo(t, "POST", "/admin/v1/tenants/"+d.tenant+"/connections", map[string]any{
		"id": "corp", "kind": "oidc", "name": "Corp SSO", "issuer": issuer, "client_id": clientID, "client_secret": secret,
		"create_users": true}), http.StatusCreated)

	c, lb := newTab(t, browser), newLoopbackApp(t)
	cfg := *d.cfg
	cfg.RedirectURL = lb.redirect
	verifier := oauth2.GenerateVerifier()
	resp := c.navigate(cfg.AuthCodeURL("st-upstream", oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("nonce", "app-nonce")))
	if resp.Status != http.StatusOK {
		t.Fatalf("authorize: status %d; want the sign-in page", resp.Status)
	}
	c.checkPageSafety("login with a connection", resp)
	if label := runStep(c, "the button", chromedp.Text(chromedp.CSS(`button[name=connection][value=corp]`))); label != "Continue with Corp SSO" {
		t.Errorf("button = %q; want %q", label, "Continue with Corp SSO")
	}
	c.screenshot("login-upstream")
	resp = c.click(`button[name=connection][value=corp]`)
	if resp.Status != http.StatusOK || !strings.HasPrefix(resp.URL, issuer+"/login?") {
		t.Fatalf("after the button: status %d at %s; want the provider's sign-in page", resp.Status, resp.URL)
	}
	resp = c.signIn("carol", "carol's long password")
	if !strings.HasPrefix(resp.URL, lb.redirect+"?") {
		t.Fatalf("after signing in at the provider the browser is at %s (status %d); want the app's callback", resp.URL, resp.Status)
	}
	q := lb.response(t, "st-upstream", d.issuer)
	tok, err := cfg.Exchange(oauthCtx(), q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	noteSecret(tok.AccessToken)
	raw, _ := tok.Extra("id_token").(string)
	claims := verifyIDToken(t, d, raw)
	if claims.Email != "carol@up.example" || claims.Name != "Carol Upstream" {
		t.Errorf("id_token %+v; want carol's upstream profile", claims)
	}
}
