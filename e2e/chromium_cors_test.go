package e2e

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"golang.org/x/oauth2"
)

// webOrigin is a site of its own on 127.0.0.1 (another port is another
// origin): the page of a browser-based client, or of a stranger.
type webOrigin struct {
	url string
}

// newWebOrigin serves a blank HTML page at every path; it lives as long
// as t.
func newWebOrigin(t *testing.T) *webOrigin {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte("<!doctype html><title>app</title><p>a browser-based client</p>"))
	}))
	t.Cleanup(srv.Close)
	return &webOrigin{url: srv.URL}
}

// fetchResult is what pageFetch reports of a fetch: its status and JSON
// body, or the error it rejected with (a cross-origin answer the page may
// not read rejects with a TypeError).
type fetchResult struct {
	Status int            `json:"status"`
	Body   map[string]any `json:"body"`
	Error  string         `json:"error"`
}

// pageFetch runs fetch(u, init) in the page c shows, init being a
// JavaScript object literal, and returns what it got.
func (c *chromium) pageFetch(u, init string) fetchResult {
	c.t.Helper()
	js := `(async () => {
	  try {
	    const r = await fetch(` + strconv.Quote(u) + `, ` + init + `);
	    const text = await r.text();
	    let body = null;
	    try { body = JSON.parse(text); } catch (e) {}
	    return JSON.stringify({status: r.status, body});
	  } catch (e) {
	    return JSON.stringify({error: String(e)});
	  }
	})()`
	raw := runStep(c, "fetch "+u, chromedp.Evaluate[string](js, chromedp.EvalAwaitPromise))
	var res fetchResult
	if err := json.Unmarshal([]byte(raw), &res); err != nil {
		c.t.Fatalf("fetch %s: %v: %s", u, err, raw)
	}
	return res
}

// TestChromiumCrossOriginClient is a browser-based client on a page of
// another origin, in headless Chromium: it reads the discovery document
// and the JWKS with a custom header (MCP-Protocol-Version, so the browser
// sends a preflight first), registers itself with JSON, sends the user
// through sign-in and consent, redeems the code at the token endpoint from
// its page (with the custom header again) and reads userinfo with its
// token. A page of a third origin cannot read the token endpoint's answer.
func TestChromiumCrossOriginClient(t *testing.T) {
	browser := startChromium(t)
	f := newFixture(t)
	setSettings(t, f.tenant, map[string]any{"registration": "open"})
	app, stranger := newWebOrigin(t), newWebOrigin(t)
	// The stranger is on another host: every port of the app's loopback
	// IP is the app's (its redirect URI matches on any port, RFC 8252
	// §7.3), and so its origin is too.
	stranger.url = strings.Replace(stranger.url, "127.0.0.1", "localhost", 1)
	mcp := `{headers: {"MCP-Protocol-Version": "2025-06-18"}}`

	c := newTab(t, browser)
	c.navigate(app.url + "/")
	md := c.pageFetch(target.url+"/.well-known/oauth-authorization-server/t/"+f.tenant, mcp)
	if md.Status != http.StatusOK || md.Body["issuer"] != f.issuer {
		t.Fatalf("metadata from the page: %+v; want 200 with issuer %s", md, f.issuer)
	}
	if r := c.pageFetch(f.issuer+"/.well-known/openid-configuration", mcp); r.Status != http.StatusOK {
		t.Errorf("openid-configuration from the page: %+v", r)
	}
	if r := c.pageFetch(f.issuer+"/jwks.json", mcp); r.Status != http.StatusOK || r.Body["keys"] == nil {
		t.Errorf("JWKS from the page: %+v", r)
	}

	// Dynamic registration: JSON is not a CORS-safelisted content type,
	// so this is preflighted too.
	reg := c.pageFetch(md.Body["registration_endpoint"].(string), `{method: "POST", headers: {"Content-Type": "application/json", "MCP-Protocol-Version": "2025-06-18"},
	  body: JSON.stringify({client_name: "Browser client", redirect_uris: [`+strconv.Quote(app.url+"/callback")+`],
	    grant_types: ["authorization_code", "refresh_token"], token_endpoint_auth_method: "none"})}`)
	clientID, _ := reg.Body["client_id"].(string)
	if reg.Status != http.StatusCreated || clientID == "" {
		t.Fatalf("registration from the page: %+v; want 201 with a client_id", reg)
	}

	// The user signs in and approves; the browser comes back to the page.
	verifier := oauth2.GenerateVerifier()
	cfg := &oauth2.Config{ClientID: clientID, RedirectURL: app.url + "/callback", Scopes: []string{"openid", "profile"},
		Endpoint: oauth2.Endpoint{AuthURL: f.issuer + "/authorize", TokenURL: f.issuer + "/token"}}
	c.navigate(cfg.AuthCodeURL("st-spa", oauth2.S256ChallengeOption(verifier)))
	c.signIn(f.username, f.password)
	resp := c.click(`button[name=decision][value=approve]`)
	back, err := url.Parse(resp.URL)
	if err != nil || !strings.HasPrefix(resp.URL, app.url+"/callback?") || back.Query().Get("code") == "" {
		t.Fatalf("after Allow the browser is at %s; want the page's callback with a code", resp.URL)
	}
	noteSecret(back.Query().Get("code"))

	// The token request from the page: a public client, whose redirect
	// URI is on the page's origin, may read the answer.
	form := url.Values{"grant_type": {"authorization_code"}, "code": {back.Query().Get("code")}, "redirect_uri": {cfg.RedirectURL},
		"client_id": {clientID}, "code_verifier": {verifier}}
	tokenInit := func(form url.Values) string {
		return `{method: "POST", headers: {"Content-Type": "application/x-www-form-urlencoded", "MCP-Protocol-Version": "2025-06-18"}, body: ` + strconv.Quote(form.Encode()) + `}`
	}
	tok := c.pageFetch(f.issuer+"/token", tokenInit(form))
	at, _ := tok.Body["access_token"].(string)
	rt, _ := tok.Body["refresh_token"].(string)
	if tok.Status != http.StatusOK || at == "" || rt == "" {
		t.Fatalf("token request from the page: %+v; want 200 with an access and a refresh token", tok)
	}
	noteSecret(at)
	noteSecret(rt)
	ui := c.pageFetch(f.issuer+"/userinfo", `{headers: {"Authorization": "Bearer `+at+`"}}`)
	if ui.Status != http.StatusOK || ui.Body["sub"] != f.userID {
		t.Errorf("userinfo from the page: %+v; want the user", ui)
	}

	// A stranger's page gets nothing it can read from the token
	// endpoint, even with the client's id (the browser rejects the fetch).
	s := newTab(t, browser)
	s.navigate(stranger.url + "/")
	if r := s.pageFetch(f.issuer+"/.well-known/openid-configuration", "{}"); r.Status != http.StatusOK {
		t.Fatalf("discovery from the stranger's page: %+v; want 200 (any origin may read it)", r)
	}
	if r := s.pageFetch(f.issuer+"/token", tokenInit(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"x"}, "client_id": {clientID}})); r.Error == "" {
		t.Errorf("token request from a stranger's page: %+v; want the browser to refuse the answer", r)
	}
}
