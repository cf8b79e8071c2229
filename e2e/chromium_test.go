package e2e

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"golang.org/x/oauth2"
)

// The headless Chromium test drives the login and consent pages the way a
// user does: a real browser with its own cookie rules, CSP enforcement and
// form submission, which the scripted browser of browser_test.go only
// imitates. It needs /usr/bin/chromium (`make browser-deps`); it fails
// without it, when EDGEAUTH_CHROMIUM=1 asks for it (make test does).

const (
	chromiumPath = "/usr/bin/chromium"
	// chromiumStep bounds every browser step, so a page that never loads
	// or an element that never appears fails the test quickly.
	chromiumStep = 30 * time.Second
)

// chromium is a tab of headless Chromium in a browser context of its own
// (like a fresh profile: no cookies shared with other tabs).
type chromium struct {
	t   *testing.T
	ctx context.Context // the tab; runStep bounds each step
}

// needChromium skips the test, saying so, unless EDGEAUTH_CHROMIUM=1 asks
// for it (make test does), so that `go test ./...` passes on a machine
// without Chromium; asked for, a missing Chromium fails the test: a browser
// test that silently skips is a browser test nobody runs.
func needChromium(t *testing.T) {
	t.Helper()
	if os.Getenv("EDGEAUTH_CHROMIUM") != "1" {
		t.Skip("set EDGEAUTH_CHROMIUM=1 to run the headless Chromium test (make test does)")
	}
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Fatalf("EDGEAUTH_CHROMIUM=1 but headless Chromium is missing: %v; run `make browser-deps`", err)
	}
}

// startChromium starts headless Chromium with a fresh profile in a
// temporary folder, shuts it down when the test ends, and returns its
// context for newTab.
func startChromium(t *testing.T) context.Context {
	t.Helper()
	needChromium(t)
	// The profile folder is made before the cleanup below is registered, so
	// the browser is gone before the folder is removed (cleanups run last
	// in, first out).
	profile := t.TempDir()
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chromiumPath),
		// Exactly these flags: the machine reaches only package registries,
		// so Chromium must not try to phone home, sync or update.
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.UserDataDir(profile),
	)
	ctx, cancelBrowser := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		// Close the browser gracefully, then make sure the process is gone.
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if err := chromedp.Cancel(cctx); err != nil {
			t.Logf("closing Chromium: %v", err)
		}
		cancelBrowser()
		cancelAlloc()
	})
	attach(t, ctx, cancelBrowser, "starting "+chromiumPath)
	return ctx
}

// newTab opens a tab of browser in a new browser context and closes both
// when t ends. A tab costs milliseconds where a browser costs seconds.
func newTab(t *testing.T, browser context.Context) *chromium {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	attach(t, ctx, cancel, "opening a tab")
	return &chromium{t: t, ctx: ctx}
}

// attach runs the first action on a chromedp context, which starts the
// browser or opens the tab. What it starts lives as long as the context of
// that first call, so the call gets ctx itself, without a timeout, and the
// wait is bounded here instead: on timeout cancel stops it.
func attach(t *testing.T, ctx context.Context, cancel context.CancelFunc, what string) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- chromedp.Do(ctx) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	case <-time.After(chromiumStep):
		cancel()
		t.Fatalf("%s: no answer within %v", what, chromiumStep)
	}
}

// runStep runs one browser action, bounded by chromiumStep, and fails the test
// if it fails.
func runStep[T any](c *chromium, what string, a chromedp.Action[T]) T {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(c.ctx, chromiumStep)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		c.t.Fatalf("%s: %v (the tab is at %s)", what, err, c.location())
	}
	return v
}

// location is the tab's address, for a failure message; it waits at most
// a few seconds, since it asks a tab that may have stopped answering.
func (c *chromium) location() string {
	ctx, cancel := context.WithTimeout(c.ctx, 5*time.Second)
	defer cancel()
	u, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		return "an address it did not tell: " + err.Error()
	}
	return u
}

// navigate loads u and returns the response of the document.
func (c *chromium) navigate(u string) *network.Response {
	c.t.Helper()
	return runStep(c, "navigate to "+u, chromedp.NavigateResponse(u))
}

// click clicks the element sel and returns the response of the page it
// leads to (after redirects).
func (c *chromium) click(sel string) *network.Response {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(c.ctx, chromiumStep)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(sel)))
	if err != nil {
		c.t.Fatalf("click %s: %v (the tab is at %s)", sel, err, c.location())
	}
	return resp
}

// signIn fills in the login form and clicks Sign in.
func (c *chromium) signIn(username, password string) *network.Response {
	c.t.Helper()
	runStep(c, "type the username", chromedp.SendKeys(chromedp.ID("username"), username))
	runStep(c, "type the password", chromedp.SendKeys(chromedp.ID("password"), password))
	return c.click(`button[type=submit]`)
}

// screenshot saves the visible page as name.png. The folder is the test's
// temporary one, or EDGEAUTH_E2E_SCREENSHOTS to keep them for a look.
func (c *chromium) screenshot(name string) {
	c.t.Helper()
	dir := os.Getenv("EDGEAUTH_E2E_SCREENSHOTS")
	if dir == "" {
		dir = c.t.TempDir()
	}
	png := runStep(c, "screenshot "+name, chromedp.CaptureScreenshot())
	path := filepath.Join(dir, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		c.t.Fatal(err)
	}
	c.t.Logf("screenshot: %s", path)
}

// checkPageSafety checks what the server's HTML pages promise: no script
// elements, and a CSP that forbids scripts anyway (default-src 'none' and
// no script-src to loosen it).
func (c *chromium) checkPageSafety(page string, resp *network.Response) {
	c.t.Helper()
	if n := runStep(c, page+": count scripts", chromedp.Evaluate[int](`document.scripts.length`)); n != 0 {
		c.t.Errorf("%s page: document.scripts.length = %d; want 0", page, n)
	}
	if resp == nil {
		return
	}
	csp := responseHeader(resp, "Content-Security-Policy")
	if !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "script-src") {
		c.t.Errorf("%s page: Content-Security-Policy = %q; want default-src 'none' and no script-src", page, csp)
	}
}

// checkSessionCookie checks that the browser holds the tenant's session
// cookie for the server and that page scripts cannot read it (HttpOnly).
func (c *chromium) checkSessionCookie(f *fixture) {
	c.t.Helper()
	res := runStep(c, "read cookies", func(ctx context.Context, tgt *chromedp.Target) (network.GetCookiesResult, error) {
		return cdp.Call(ctx, tgt, network.GetCookies, network.GetCookiesParams{URLs: []string{target.url + "/"}})
	})
	var session *network.Cookie
	for _, ck := range res.Cookies {
		if strings.HasSuffix(ck.Name, "edgeauth-session-"+f.tenant) {
			session = ck
		}
	}
	if session == nil {
		c.t.Fatalf("no session cookie after sign-in; cookies %v", cookieNames(res.Cookies))
	}
	if !session.HTTPOnly {
		c.t.Errorf("session cookie %s is not HttpOnly", session.Name)
	}
	// Cookies ignore ports, so this also holds on the callback's origin.
	if dc := runStep(c, "read document.cookie", chromedp.Evaluate[string](`document.cookie`)); strings.Contains(dc, "edgeauth-session") || strings.Contains(dc, session.Value) {
		c.t.Errorf("document.cookie = %q shows the session cookie", dc)
	}
}

// cookieNames lists the names of cs, for failure messages.
func cookieNames(cs []*network.Cookie) []string {
	var names []string
	for _, c := range cs {
		names = append(names, c.Name)
	}
	return names
}

// responseHeader returns a response header, matching its name case-insensitively.
func responseHeader(resp *network.Response, name string) string {
	for k, v := range resp.Headers {
		if strings.EqualFold(k, name) {
			s, _ := v.(string)
			return s
		}
	}
	return ""
}

// loopbackApp is a native app's redirect target: a server on 127.0.0.1 with a
// free port (RFC 8252 §7.3) that records each authorization response.
type loopbackApp struct {
	port     string
	redirect string
	got      chan url.Values
}

// newLoopbackApp starts a loopback callback server that lives as long as t.
func newLoopbackApp(t *testing.T) *loopbackApp {
	t.Helper()
	lb := &loopbackApp{got: make(chan url.Values, 4)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/callback" {
			http.NotFound(w, r)
			return
		}
		select {
		case lb.got <- r.URL.Query():
		default:
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte("<!doctype html><title>Done</title><p>Back in the app: you can close this tab.</p>"))
	}))
	t.Cleanup(srv.Close)
	_, lb.port, _ = net.SplitHostPort(srv.Listener.Addr().String())
	lb.redirect = "http://127.0.0.1:" + lb.port + "/callback"
	return lb
}

// response waits for the authorization response and checks state and iss
// (RFC 9207 §2.4: the client MUST compare iss with the issuer).
func (lb *loopbackApp) response(t *testing.T, state, issuer string) url.Values {
	t.Helper()
	select {
	case q := <-lb.got:
		if got := q.Get("state"); got != state {
			t.Errorf("callback state = %q; want %q", got, state)
		}
		if got := q.Get("iss"); got != issuer {
			t.Errorf("callback iss = %q; want %q (RFC 9207)", got, issuer)
		}
		return q
	case <-time.After(chromiumStep):
		t.Fatalf("the loopback callback was not called within %v", chromiumStep)
		return nil
	}
}

// exchangeForToken redeems code at the token endpoint and checks the access token.
func exchangeForToken(t *testing.T, f *fixture, cfg *oauth2.Config, code, verifier string) {
	t.Helper()
	if code == "" {
		t.Fatalf("the callback got no code")
	}
	tok, err := cfg.Exchange(oauthCtx(), code, oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	if tok.AccessToken == "" {
		t.Fatalf("no access token: %+v", tok)
	}
	if c := verifyAccessToken(t, f, tok.AccessToken); c.Subject != f.userID || c.ClientID != cfg.ClientID {
		t.Errorf("access token sub %q client_id %q; want %q %q", c.Subject, c.ClientID, f.userID, cfg.ClientID)
	}
}

// TestChromiumLoginConsent signs alice in with headless Chromium: a
// first-party client (login only), a third-party one (consent: Allow and
// Deny) and a wrong password, with the callback on a loopback server.
func TestChromiumLoginConsent(t *testing.T) {
	browser := startChromium(t)
	f := newFixture(t)
	// newThirdParty registers a public client that is not first party, so
	// the consent page shows; it redirects to loopback like the fixture's
	// native client. Each consent subtest has its own, because an approval
	// is remembered.
	newThirdParty := func(t *testing.T, id string) string {
		r := adminDo(t, "POST", "/admin/v1/tenants/"+f.tenant+"/clients", map[string]any{
			"client_id": id, "client_name": "Loopback App", "token_endpoint_auth_method": "none",
			"redirect_uris": []string{"http://127.0.0.1/callback"}, "grant_types": []string{"authorization_code", "refresh_token"},
			"scope": "openid profile read"})
		mustStatus(t, "create third-party public client", r, http.StatusCreated)
		return id
	}
	// onConsentPage fails unless resp is the consent page of Loopback App.
	onConsentPage := func(c *chromium, resp *network.Response) {
		c.t.Helper()
		if resp.Status != http.StatusOK || !strings.HasPrefix(resp.URL, target.url+"/") {
			c.t.Fatalf("after sign-in: status %d at %s; want the consent page", resp.Status, resp.URL)
		}
		if h := runStep(c, "consent heading", chromedp.Text(chromedp.CSS("h1"))); h != "Allow Loopback App?" {
			c.t.Fatalf("heading = %q; want the consent page's %q", h, "Allow Loopback App?")
		}
	}

	// authorize returns a config for client, an authorization URL with
	// PKCE and the given state, and the verifier.
	authorize := func(lb *loopbackApp, client, state string) (*oauth2.Config, string, string) {
		cfg := f.publicConfig(lb.port, "openid", "profile", "read")
		cfg.ClientID = client
		verifier := oauth2.GenerateVerifier()
		return cfg, cfg.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier)), verifier
	}

	t.Run("first party: login only", func(t *testing.T) {
		c, lb := newTab(t, browser), newLoopbackApp(t)
		cfg, authURL, verifier := authorize(lb, f.public, "st-native")
		resp := c.navigate(authURL)
		if resp.Status != http.StatusOK {
			t.Fatalf("authorize: status %d; want the login page", resp.Status)
		}
		c.checkPageSafety("login", resp)
		c.screenshot("login")
		resp = c.signIn(f.username, f.password)
		if !strings.HasPrefix(resp.URL, lb.redirect+"?") {
			t.Fatalf("after sign-in the browser is at %s; want the callback (no consent for a first-party client)", resp.URL)
		}
		q := lb.response(t, "st-native", f.issuer)
		c.checkSessionCookie(f)
		exchangeForToken(t, f, cfg, q.Get("code"), verifier)
	})

	t.Run("consent: allow", func(t *testing.T) {
		c, lb := newTab(t, browser), newLoopbackApp(t)
		cfg, authURL, verifier := authorize(lb, newThirdParty(t, "app-allow"), "st-allow")
		c.navigate(authURL)
		resp := c.signIn(f.username, f.password)
		onConsentPage(c, resp)
		c.checkPageSafety("consent", resp)
		c.checkSessionCookie(f)
		c.screenshot("consent")
		resp = c.click(`button[name=decision][value=approve]`)
		if !strings.HasPrefix(resp.URL, lb.redirect+"?") {
			t.Fatalf("after Allow the browser is at %s; want the callback", resp.URL)
		}
		q := lb.response(t, "st-allow", f.issuer)
		exchangeForToken(t, f, cfg, q.Get("code"), verifier)
	})

	t.Run("consent: deny", func(t *testing.T) {
		c, lb := newTab(t, browser), newLoopbackApp(t)
		_, authURL, _ := authorize(lb, newThirdParty(t, "app-deny"), "st-deny")
		c.navigate(authURL)
		onConsentPage(c, c.signIn(f.username, f.password))
		c.click(`button[name=decision][value=deny]`)
		q := lb.response(t, "st-deny", f.issuer)
		if q.Get("error") != "access_denied" || q.Get("code") != "" {
			t.Errorf("callback after Deny = %v; want error=access_denied and no code", q)
		}
	})

	t.Run("wrong password", func(t *testing.T) {
		c, lb := newTab(t, browser), newLoopbackApp(t)
		_, authURL, _ := authorize(lb, f.public, "st-wrong")
		c.navigate(authURL)
		resp := c.signIn(f.username, "not the password")
		if resp.Status != http.StatusOK || !strings.HasPrefix(resp.URL, target.url+"/") {
			t.Fatalf("after a wrong password: status %d at %s; want the login page again", resp.Status, resp.URL)
		}
		if msg := runStep(c, "error message", chromedp.Text(chromedp.CSS(".error"))); msg != "Wrong username or password." {
			t.Errorf("error message = %q; want %q", msg, "Wrong username or password.")
		}
		c.checkPageSafety("login after a wrong password", resp)
		select {
		case q := <-lb.got:
			t.Errorf("the callback was called after a wrong password: %v", q)
		default:
		}
	})
}

// TestChromiumDeviceFlow: the device flow with the verification page in
// headless Chromium and x/oauth2 polling as the device (RFC 8628): the user
// opens verification_uri, types the code as they read it (lower case,
// without the dash), signs in on the login page, sees the client, the
// scopes and the code on the approval page, and allows; the device's
// polling then gets its tokens.
func TestChromiumDeviceFlow(t *testing.T) {
	browser := startChromium(t)
	f, cfg := deviceFixture(t)
	da := deviceAuth(t, f, cfg)
	type polled struct {
		tok *oauth2.Token
		err error
	}
	done := make(chan polled, 1)
	ctx, cancel := context.WithTimeout(oauthCtx(), 2*chromiumStep)
	defer cancel()
	go func() {
		tok, err := cfg.DeviceAccessToken(ctx, da)
		done <- polled{tok, err}
	}()

	c := newTab(t, browser)
	resp := c.navigate(da.VerificationURI)
	c.checkPageSafety("device code", resp)
	runStep(c, "type the user code", chromedp.SendKeys(chromedp.ID("user_code"), strings.ToLower(strings.ReplaceAll(da.UserCode, "-", ""))))
	resp = c.click(`button[type=submit]`)
	if resp.Status != http.StatusOK || !strings.Contains(resp.URL, "/login?") {
		t.Fatalf("after the code: status %d at %s; want the login page", resp.Status, resp.URL)
	}
	resp = c.signIn(f.username, f.password)
	if h := runStep(c, "approval heading", chromedp.Text(chromedp.CSS("h1"))); h != "Allow Living-room TV?" {
		t.Fatalf("heading = %q at %s; want the approval page", h, resp.URL)
	}
	if code := runStep(c, "the code shown", chromedp.Text(chromedp.CSS("strong.code"))); code != da.UserCode {
		t.Errorf("the approval page shows the code %q; want %q", code, da.UserCode)
	}
	if list := runStep(c, "the scopes", chromedp.Text(chromedp.CSS("ul"))); !strings.Contains(list, "Read your files") {
		t.Errorf("scopes listed: %q; want the tenant's description of read", list)
	}
	c.checkPageSafety("device approval", resp)
	c.screenshot("device-approval")
	c.click(`button[name=decision][value=approve]`)
	if h := runStep(c, "result heading", chromedp.Text(chromedp.CSS("h1"))); h != "Device connected" {
		t.Errorf("after Allow: heading %q; want Device connected", h)
	}

	select {
	case p := <-done:
		if p.err != nil {
			t.Fatalf("the device's polling: %v", p.err)
		}
		if c := verifyAccessToken(t, f, p.tok.AccessToken); c.Subject != f.userID || c.ClientID != "tv" {
			t.Errorf("the device's token: sub %q client_id %q; want %q tv", c.Subject, c.ClientID, f.userID)
		}
	case <-ctx.Done():
		t.Fatalf("the device got no token: %v", ctx.Err())
	}
}
