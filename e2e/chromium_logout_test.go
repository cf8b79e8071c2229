package e2e

import (
	"html/template"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

// rpSite is a relying party's site: its page at http://localhost:<port>
// posts a logout form to edgeauth, which the tests reach at 127.0.0.1:
// another site, so the browser keeps SameSite=Lax cookies off the POST.
// Its post-logout landing page, http://127.0.0.1:<port>/signed-out,
// records each visit.
type rpSite struct {
	page      string // the logout form's page, without a query
	signedOut string // the post_logout_redirect_uri
	landed    chan url.Values
}

// logoutFormPage posts its query's parameters to action once loaded.
var logoutFormPage = template.Must(template.New("rp").Parse(`<!doctype html><title>RP</title>
<form method="post" action="{{.Action}}">{{range $k, $v := .Params}}<input type="hidden" name="{{$k}}" value="{{index $v 0}}">{{end}}</form>
<script>document.forms[0].submit()</script>`))

// newRPSite serves an RP's site whose form posts to action; it lives as
// long as t.
func newRPSite(t *testing.T, action string) *rpSite {
	t.Helper()
	rp := &rpSite{landed: make(chan url.Values, 4)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		switch r.URL.Path {
		case "/logout":
			logoutFormPage.Execute(w, map[string]any{"Action": action, "Params": r.URL.Query()})
		case "/signed-out":
			select {
			case rp.landed <- r.URL.Query():
			default:
			}
			w.Write([]byte("<!doctype html><title>Signed out</title><p>Back at the app.</p>"))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	rp.page = "http://localhost:" + port + "/logout"
	rp.signedOut = "http://127.0.0.1:" + port + "/signed-out"
	return rp
}

// TestChromiumCrossSiteLogout: an RP's page on another site posts the
// logout form (RP-Initiated Logout 1.0 §2: POST MUST work) for a browser
// signed in to edgeauth, in headless Chromium. The browser sends no
// SameSite=Lax session cookie with a cross-site POST; edgeauth sends the
// request on as a GET, which carries it, so the session really ends: its
// grant's access token is inactive and /authorize asks for a sign-in.
func TestChromiumCrossSiteLogout(t *testing.T) {
	browser := startChromium(t)
	f := newFixture(t)
	rp := newRPSite(t, f.issuer+"/logout")
	mustStatus(t, "register the post-logout URI", adminDo(t, "PATCH", "/admin/v1/tenants/"+f.tenant+"/clients/"+f.public,
		map[string]any{"post_logout_redirect_uris": []string{rp.signedOut}}), http.StatusOK)
	mustStatus(t, "web stands for the issuer", adminDo(t, "PATCH", "/admin/v1/tenants/"+f.tenant+"/clients/"+f.web,
		map[string]any{"introspection_audiences": []string{f.issuer}}), http.StatusOK)

	c, lb := newTab(t, browser), newLoopbackApp(t)
	cfg := f.publicConfig(lb.port, "openid")
	verifier := oauth2.GenerateVerifier()
	c.navigate(cfg.AuthCodeURL("st-in", oauth2.S256ChallengeOption(verifier)))
	c.signIn(f.username, f.password)
	q := lb.response(t, "st-in", f.issuer)
	noteSecret(q.Get("code"))
	tok, err := cfg.Exchange(oauthCtx(), q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	idToken, _ := tok.Extra("id_token").(string)
	noteSecret(idToken)
	if idToken == "" {
		t.Fatalf("no ID token")
	}
	active := func() bool {
		var out struct{ Active bool }
		introspect(t, f, tok.AccessToken, f.web, f.webSecret).decode(t, &out)
		return out.Active
	}
	if !active() {
		t.Fatalf("the access token is inactive before the sign-out")
	}

	c.navigate(rp.page + "?" + url.Values{"id_token_hint": {idToken}, "post_logout_redirect_uri": {rp.signedOut}, "state": {"bye"}}.Encode())
	select {
	case got := <-rp.landed:
		if got.Get("state") != "bye" {
			t.Errorf("post-logout redirect state = %q; want bye", got.Get("state"))
		}
	case <-time.After(chromiumStep):
		t.Fatalf("the browser did not come back to the post-logout URI within %v (the tab is at %s)", chromiumStep, c.location())
	}
	if active() {
		t.Errorf("the access token is still active after the cross-site logout: the session was not ended")
	}
	resp := c.navigate(cfg.AuthCodeURL("st-again", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())))
	if strings.HasPrefix(resp.URL, lb.redirect) || !strings.Contains(resp.URL, "/login?") {
		t.Errorf("after the cross-site logout /authorize led to %s; want the login page", resp.URL)
	}
}
