//go:build !js

package main

import (
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// browser plays a user agent without JavaScript, like e2e/browser_test.go:
// it keeps cookies, follows redirects, and signs in through the login form.
// It follows the redirect that leaves the server too: that is the runner's
// callback. A consent page is an error (the client is first party).
type browser struct {
	client             *http.Client
	origin             string // the server's origin, e.g. http://127.0.0.1:8787
	username, password string
	steps              []string // what happened, for the report
}

func newBrowser(origin, username, password string) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{origin: origin, username: username, password: password, client: &http.Client{
		Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

var (
	formActionRE = regexp.MustCompile(`<form method="post" action="([^"]+)"`)
	hiddenRE     = regexp.MustCompile(`<input type="hidden" name="(\w+)" value="([^"]*)"`)
)

type page struct {
	url    string
	status int
	header http.Header
	body   string
}

// authorize starts at authURL, signs in, and delivers the authorization
// response to the client's redirect URI (the runner's callback server). It
// returns that redirect URI with its query.
func (b *browser) authorize(authURL string) (string, error) {
	p, err := b.do("GET", authURL, nil)
	if err != nil {
		return "", err
	}
	loggedIn := false
	for range 12 {
		switch {
		case p.status == http.StatusSeeOther || p.status == http.StatusFound || p.status == http.StatusMovedPermanently || p.status == http.StatusTemporaryRedirect:
			base, _ := url.Parse(p.url)
			loc, err := base.Parse(p.header.Get("Location"))
			if err != nil || p.header.Get("Location") == "" {
				return "", fmt.Errorf("%d from %s with bad Location %q", p.status, p.url, p.header.Get("Location"))
			}
			if loc.Scheme+"://"+loc.Host != b.origin {
				// Leaving the server: the client's redirect URI.
				b.steps = append(b.steps, "redirect to client")
				cb, err := b.do("GET", loc.String(), nil)
				if err != nil {
					return "", fmt.Errorf("deliver the authorization response to %s: %w", loc, err)
				}
				if cb.status != http.StatusOK {
					return "", fmt.Errorf("callback %s answered %d: %s", loc, cb.status, snippet(cb.body))
				}
				return loc.String(), nil
			}
			b.steps = append(b.steps, "redirect "+loc.Path)
			if p, err = b.do("GET", loc.String(), nil); err != nil {
				return "", err
			}
		case p.status == http.StatusOK && strings.Contains(p.body, `name="password"`):
			if loggedIn {
				return "", fmt.Errorf("login form shown again after signing in (wrong credentials?): %s", snippet(p.body))
			}
			loggedIn = true
			b.steps = append(b.steps, "login form")
			if p, err = b.submit(p, url.Values{"username": {b.username}, "password": {b.password}}); err != nil {
				return "", err
			}
		case p.status == http.StatusOK && strings.Contains(p.body, `name="decision"`):
			return "", fmt.Errorf("consent page shown for a first-party client")
		default:
			return "", fmt.Errorf("unexpected page: %d at %s: %s", p.status, p.url, snippet(p.body))
		}
	}
	return "", fmt.Errorf("too many steps: %v", b.steps)
}

// submit posts a page's form with its hidden fields (req, csrf) plus extra.
func (b *browser) submit(p page, extra url.Values) (page, error) {
	m := formActionRE.FindStringSubmatch(p.body)
	if m == nil {
		return page{}, fmt.Errorf("no form on %s: %s", p.url, snippet(p.body))
	}
	form := url.Values{}
	for _, h := range hiddenRE.FindAllStringSubmatch(p.body, -1) {
		form.Set(h[1], html.UnescapeString(h[2]))
	}
	for k, v := range extra {
		form[k] = v
	}
	base, _ := url.Parse(p.url)
	action, err := base.Parse(html.UnescapeString(m[1]))
	if err != nil {
		return page{}, fmt.Errorf("bad form action %q", m[1])
	}
	return b.do("POST", action.String(), form)
}

func (b *browser) do(method, u string, form url.Values) (page, error) {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		return page{}, err
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := b.client.Do(req)
	if err != nil {
		return page{}, fmt.Errorf("%s %s: %w", method, u, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return page{url: u, status: resp.StatusCode, header: resp.Header, body: string(raw)}, nil
}

var tagRE = regexp.MustCompile(`(?s)<style.*?</style>|<[^>]*>`)

// snippet is the visible text of an HTML page, shortened.
func snippet(s string) string {
	s = strings.Join(strings.Fields(html.UnescapeString(tagRE.ReplaceAllString(s, " "))), " ")
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	return s
}
