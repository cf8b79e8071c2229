//go:build !js

package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
)

// server is a seeded edgeauth: a tenant with a service client, a
// first-party public client with refresh tokens, a third-party web client
// that needs consent, and a user.
type server struct {
	base       string // base URL, no trailing slash
	adminToken string
	http       *http.Client // follows no redirects

	tenant, issuer     string
	username, password string
	svcID, svcSecret   string
	publicID           string
	webID, webSecret   string

	// hook, if set, is called after every request of a flow with the
	// step's name (storage counting attributes calls to steps with it).
	hook func(step string)
}

const (
	publicRedirect = "http://127.0.0.1:49152/callback"
	webRedirect    = "https://app.example.com/callback"
)

func newHTTPClient(transport http.RoundTripper) *http.Client {
	return &http.Client{
		Transport: transport,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func randomSecret() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// seed creates the tenant, clients and user through the admin API.
func (s *server) seed(ctx context.Context) error {
	s.tenant = "bench-" + randomHex(4)
	s.issuer = s.base + "/t/" + s.tenant
	s.username, s.password = "alice", "correct horse battery staple"
	if _, err := s.admin(ctx, "POST", "/admin/v1/tenants", map[string]any{"id": s.tenant, "name": "Bench"}); err != nil {
		return err
	}
	base := "/admin/v1/tenants/" + s.tenant
	if _, err := s.admin(ctx, "POST", base+"/users", map[string]any{
		"username": s.username, "password": s.password, "email": "alice@example.com", "roles": []string{"admin"}}); err != nil {
		return err
	}
	r, err := s.admin(ctx, "POST", base+"/clients", map[string]any{
		"client_id": "svc", "grant_types": []string{"client_credentials"}, "scope": "read write"})
	if err != nil {
		return err
	}
	s.svcID, s.svcSecret = "svc", fmt.Sprint(r["client_secret"])
	if _, err := s.admin(ctx, "POST", base+"/clients", map[string]any{
		"client_id": "native", "token_endpoint_auth_method": "none", "first_party": true,
		"redirect_uris": []string{"http://127.0.0.1/callback"}, "grant_types": []string{"authorization_code", "refresh_token"},
		"scope": "openid profile email read write"}); err != nil {
		return err
	}
	s.publicID = "native"
	r, err = s.admin(ctx, "POST", base+"/clients", map[string]any{
		"client_id": "web", "client_name": "Web App", "redirect_uris": []string{webRedirect},
		"grant_types": []string{"authorization_code", "refresh_token"}, "scope": "openid read"})
	if err != nil {
		return err
	}
	s.webID, s.webSecret = "web", fmt.Sprint(r["client_secret"])
	return nil
}

func (s *server) admin(ctx context.Context, method, path string, body any) (map[string]any, error) {
	raw, _ := json.Marshal(body)
	req, err := http.NewRequestWithContext(ctx, method, s.base+path, bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+s.adminToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		return nil, fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, out)
	}
	var m map[string]any
	json.Unmarshal(out, &m)
	return m, nil
}

// statusError is an answer other than the one a scenario expects.
type statusError struct {
	what   string
	status int
	body   string
}

func (e *statusError) Error() string {
	b := e.body
	if len(b) > 200 {
		b = b[:200] + "..."
	}
	return fmt.Sprintf("%s: status %d: %s", e.what, e.status, strings.TrimSpace(b))
}

// get fetches path and wants 200.
func get(ctx context.Context, c *http.Client, u string) error {
	req, err := http.NewRequestWithContext(ctx, "GET", u, nil)
	if err != nil {
		return err
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return &statusError{"GET " + u, resp.StatusCode, string(body)}
	}
	return nil
}

// tokenResponse is the part of a token answer the scenarios read.
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	IDToken      string `json:"id_token"`
}

// token posts form to the token endpoint (with basic auth when user is
// set) and wants 200 with an access token.
func (s *server) token(ctx context.Context, c *http.Client, form url.Values, user, pass string) (tokenResponse, error) {
	return postToken(ctx, c, s.issuer+"/token", form, user, pass)
}

// postToken posts form to tokenURL (with basic auth when user is set) and
// wants 200 with an access token.
func postToken(ctx context.Context, c *http.Client, tokenURL string, form url.Values, user, pass string) (tokenResponse, error) {
	req, err := http.NewRequestWithContext(ctx, "POST", tokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return tokenResponse{}, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if user != "" {
		req.SetBasicAuth(url.QueryEscape(user), url.QueryEscape(pass))
	}
	resp, err := c.Do(req)
	if err != nil {
		return tokenResponse{}, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return tokenResponse{}, err
	}
	if resp.StatusCode != http.StatusOK {
		return tokenResponse{}, &statusError{"token " + form.Get("grant_type"), resp.StatusCode, string(body)}
	}
	var t tokenResponse
	if err := json.Unmarshal(body, &t); err != nil || t.AccessToken == "" {
		return tokenResponse{}, fmt.Errorf("token %s: no access_token in %s", form.Get("grant_type"), body)
	}
	return t, nil
}

func (s *server) clientCredentials(ctx context.Context, c *http.Client) error {
	_, err := s.token(ctx, c, url.Values{"grant_type": {"client_credentials"}, "scope": {"read"}}, s.svcID, s.svcSecret)
	return err
}

// refresh rotates the public client's refresh token rt and returns the new one.
func (s *server) refresh(ctx context.Context, c *http.Client, rt string) (string, error) {
	t, err := s.token(ctx, c, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {s.publicID}}, "", "")
	if err != nil {
		return "", err
	}
	if t.RefreshToken == "" || t.RefreshToken == rt {
		return "", fmt.Errorf("refresh: the refresh token did not rotate")
	}
	return t.RefreshToken, nil
}

func (s *server) step(name string) {
	if s.hook != nil {
		s.hook(name)
	}
}

var (
	formActionRE = regexp.MustCompile(`<form method="post" action="([^"]+)"`)
	hiddenRE     = regexp.MustCompile(`<input type="hidden" name="(\w+)" value="([^"]*)"`)
)

// codeFlow is one whole authorization-code flow with PKCE S256 as a user
// agent without JavaScript does it, with a fresh cookie jar: authorize,
// the login form, the consent form when asked (web client only), then the
// client's token exchange. It returns the tokens.
func (s *server) codeFlow(ctx context.Context, transport http.RoundTripper, web bool) (tokenResponse, error) {
	return s.codeFlowIn(ctx, newBrowser(transport), transport, web)
}

// newBrowser is a client with its own cookie jar: one browser.
func newBrowser(transport http.RoundTripper) *http.Client {
	jar, _ := cookiejar.New(nil)
	b := newHTTPClient(transport)
	b.Jar = jar
	return b
}

// codeFlowIn runs the flow in browser b: with the session cookie of an
// earlier flow in b, authorize answers the code at once (no login).
func (s *server) codeFlowIn(ctx context.Context, b *http.Client, transport http.RoundTripper, web bool) (tokenResponse, error) {
	verifier := randomSecret() + randomSecret() // 86 characters
	sum := sha256.Sum256([]byte(verifier))
	clientID, redirect, scope := s.publicID, publicRedirect, "openid profile read"
	if web {
		clientID, redirect, scope = s.webID, webRedirect, "openid read"
	}
	state := randomHex(8)
	q := url.Values{
		"response_type": {"code"}, "client_id": {clientID}, "redirect_uri": {redirect}, "scope": {scope},
		"state": {state}, "code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])},
		"code_challenge_method": {"S256"}, "nonce": {randomHex(8)},
	}
	p, err := s.page(ctx, b, "GET", s.issuer+"/authorize?"+q.Encode(), nil)
	s.step("authorize")
	if err != nil {
		return tokenResponse{}, err
	}
	var code string
	for i := 0; code == "" && i < 10; i++ {
		switch {
		case p.status == http.StatusSeeOther || p.status == http.StatusFound:
			loc, perr := url.Parse(p.location)
			if perr != nil {
				return tokenResponse{}, fmt.Errorf("bad Location %q", p.location)
			}
			loc = p.url.ResolveReference(loc)
			if !strings.HasPrefix(loc.String(), s.base+"/") {
				if loc.Query().Get("state") != state || loc.Query().Get("code") == "" {
					return tokenResponse{}, fmt.Errorf("authorization response %s: no code or wrong state", loc)
				}
				code = loc.Query().Get("code")
				break
			}
			name := "follow"
			switch {
			case strings.Contains(loc.Path, "/login"):
				name = "login page"
			case strings.Contains(loc.Path, "/consent"):
				name = "consent page"
			case strings.Contains(loc.Path, "/authorize"):
				name = "authorize again"
			}
			p, err = s.page(ctx, b, "GET", loc.String(), nil)
			s.step(name)
		case p.status == http.StatusOK && strings.Contains(p.body, `name="password"`):
			p, err = s.submit(ctx, b, p, url.Values{"username": {s.username}, "password": {s.password}})
			s.step("login")
			if err == nil && p.status == http.StatusOK && strings.Contains(p.body, `name="password"`) {
				return tokenResponse{}, fmt.Errorf("login refused: the form came back")
			}
		case p.status == http.StatusOK && strings.Contains(p.body, `name="decision"`):
			p, err = s.submit(ctx, b, p, url.Values{"decision": {"approve"}})
			s.step("consent")
		default:
			return tokenResponse{}, &statusError{"flow at " + p.url.Path, p.status, p.body}
		}
		if err != nil {
			return tokenResponse{}, err
		}
	}
	if code == "" {
		return tokenResponse{}, fmt.Errorf("flow: too many steps")
	}
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirect}, "code_verifier": {verifier}}
	user, pass := "", ""
	if web {
		user, pass = s.webID, s.webSecret
	} else {
		form.Set("client_id", clientID)
	}
	t, err := s.token(ctx, newHTTPClient(transport), form, user, pass)
	s.step("token")
	if err == nil && t.RefreshToken == "" {
		err = fmt.Errorf("code exchange: no refresh_token")
	}
	return t, err
}

type page struct {
	url      *url.URL
	status   int
	location string
	body     string
}

func (s *server) submit(ctx context.Context, c *http.Client, p page, extra url.Values) (page, error) {
	m := formActionRE.FindStringSubmatch(p.body)
	if m == nil {
		return page{}, fmt.Errorf("no form on the page %s", p.url.Path)
	}
	form := url.Values{}
	for _, h := range hiddenRE.FindAllStringSubmatch(p.body, -1) {
		form.Set(h[1], html.UnescapeString(h[2]))
	}
	for k, v := range extra {
		form[k] = v
	}
	action, err := url.Parse(html.UnescapeString(m[1]))
	if err != nil {
		return page{}, err
	}
	return s.page(ctx, c, "POST", p.url.ResolveReference(action).String(), form)
}

func (s *server) page(ctx context.Context, c *http.Client, method, u string, form url.Values) (page, error) {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return page{}, err
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := c.Do(req)
	if err != nil {
		return page{}, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return page{}, err
	}
	return page{url: req.URL, status: resp.StatusCode, location: resp.Header.Get("Location"), body: string(raw)}, nil
}
