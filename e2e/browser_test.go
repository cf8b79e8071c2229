package e2e

import (
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// browser plays a user agent without JavaScript: it keeps cookies, follows
// the server's redirects, fills in the login form and answers the consent
// page. It stops at the first redirect that leaves the server: the
// client's redirect URI.
type browser struct {
	t        *testing.T
	client   *http.Client
	username string
	password string
	decision string // approve or deny; "" fails the test if consent is asked
	// seen records the pages shown, in order: "login", "consent".
	seen []string
	// last is the last HTML page shown.
	last page
}

type page struct {
	status int
	header http.Header
	body   string
}

func newBrowser(t *testing.T, username, password string) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, username: username, password: password, client: &http.Client{
		Jar: jar, Timeout: httpClient.Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

var (
	formActionRE = regexp.MustCompile(`<form method="post" action="([^"]+)"`)
	hiddenRE     = regexp.MustCompile(`<input type="hidden" name="(\w+)" value="([^"]*)"`)
)

// authorize starts at authURL and returns the redirect to the client, or
// nil if the flow ended on a page of the server (see b.last).
func (b *browser) authorize(authURL string) *url.URL {
	b.t.Helper()
	b.seen = nil
	resp := b.do("GET", authURL, nil)
	for i := 0; i < 10; i++ {
		switch {
		case resp.status == http.StatusSeeOther || resp.status == http.StatusFound:
			loc, err := url.Parse(resp.header.Get("Location"))
			if err != nil {
				b.t.Fatalf("bad Location %q", resp.header.Get("Location"))
			}
			if !loc.IsAbs() {
				loc = mustParse(b.t, target.url).ResolveReference(loc)
			}
			if !strings.HasPrefix(loc.String(), target.url+"/") {
				return loc
			}
			resp = b.do("GET", loc.String(), nil)
		case resp.status == http.StatusOK && strings.Contains(resp.body, `name="password"`):
			b.seen = append(b.seen, "login")
			if b.password == "" {
				return nil
			}
			resp = b.submit(resp, url.Values{"username": {b.username}, "password": {b.password}})
			if resp.status == http.StatusOK && strings.Contains(resp.body, `name="password"`) {
				b.last = resp
				return nil // the form again: wrong credentials
			}
		case resp.status == http.StatusOK && strings.Contains(resp.body, `name="decision"`):
			b.seen = append(b.seen, "consent")
			if b.decision == "" {
				b.t.Fatalf("consent page shown unexpectedly")
			}
			resp = b.submit(resp, url.Values{"decision": {b.decision}})
		default:
			return nil
		}
		b.last = resp
	}
	b.t.Fatalf("too many steps")
	return nil
}

// follow gets u and follows the server's own redirects (not the one back
// to the client), without filling in any page.
func (b *browser) follow(u string) page {
	b.t.Helper()
	p := b.do("GET", u, nil)
	for i := 0; i < 10 && p.status == http.StatusSeeOther && strings.HasPrefix(p.header.Get("Location"), "/"); i++ {
		p = b.do("GET", target.url+p.header.Get("Location"), nil)
	}
	return p
}

// submit posts a page's form with its hidden fields plus extra.
func (b *browser) submit(p page, extra url.Values) page {
	b.t.Helper()
	m := formActionRE.FindStringSubmatch(p.body)
	if m == nil {
		b.t.Fatalf("no form on the page: %s", p.body)
	}
	form := url.Values{}
	for _, h := range hiddenRE.FindAllStringSubmatch(p.body, -1) {
		form.Set(h[1], html.UnescapeString(h[2]))
	}
	for k, v := range extra {
		form[k] = v
	}
	return b.do("POST", target.url+html.UnescapeString(m[1]), form)
}

func (b *browser) do(method, u string, form url.Values) page {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		b.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	p := page{status: resp.StatusCode, header: resp.Header, body: string(raw)}
	b.last = p
	return p
}

func mustParse(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
