//go:build !js

package server_test

import (
	"crypto/sha256"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/edgeauth/edgeauth/jwks"
	"github.com/edgeauth/edgeauth/server"
	"github.com/edgeauth/edgeauth/storage/sqlstore"
)

// newTestStore opens a SQLite store in the test's temporary folder, closed
// when the test ends.
func newTestStore(t *testing.T) *sqlstore.Store {
	t.Helper()
	store, db, err := sqlstore.OpenSQLite(filepath.Join(t.TempDir(), "edgeauth.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return store
}

// testSealer seals with a fixed all-zero key-encryption key.
func testSealer() *jwks.Sealer {
	s, _ := jwks.NewSealer(make([]byte, jwks.KEKSize))
	return s
}

// liveServer is a Server on a loopback listener, with a client that keeps
// cookies and does not follow redirects: a browser without JavaScript.
type liveServer struct {
	t     *testing.T
	base  string
	token string // the admin token
	hc    *http.Client
}

// result is one answer of a liveServer.
type result struct {
	status int
	body   string
	loc    string
}

// startServer starts server.New(cfg) with cfg.BaseURL set to its address;
// it stops when the test ends.
func startServer(t *testing.T, cfg server.Config) *liveServer {
	t.Helper()
	ts := httptest.NewUnstartedServer(nil)
	cfg.BaseURL = "http://" + ts.Listener.Addr().String()
	srv, err := server.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts.Config.Handler = srv
	ts.Start()
	t.Cleanup(ts.Close)
	l := &liveServer{t: t, base: cfg.BaseURL, token: cfg.AdminToken, hc: &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	l.forgetCookies()
	return l
}

// forgetCookies starts a new browser session.
func (l *liveServer) forgetCookies() { l.hc.Jar, _ = cookiejar.New(nil) }

// admin sends an admin API request with a JSON body.
func (l *liveServer) admin(method, path, body string) result {
	l.t.Helper()
	return l.do(method, path, "application/json", body, "Authorization", "Bearer "+l.token)
}

// mustAdmin is admin that fails the test unless the status is want, and
// returns the body.
func (l *liveServer) mustAdmin(method, path, body string, want int) string {
	l.t.Helper()
	r := l.admin(method, path, body)
	if r.status != want {
		l.t.Fatalf("%s %s = %d %s; want %d", method, path, r.status, r.body, want)
	}
	return r.body
}

// do sends one request; header is name, value pairs.
func (l *liveServer) do(method, path, ctype, body string, header ...string) result {
	l.t.Helper()
	req, err := http.NewRequest(method, l.base+path, strings.NewReader(body))
	if err != nil {
		l.t.Fatalf("%s %s: %v", method, path, err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := l.hc.Do(req)
	if err != nil {
		l.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return result{resp.StatusCode, string(b), resp.Header.Get("Location")}
}

// testVerifier is the PKCE verifier of authorizePath's requests, and
// testRedirect their redirect URI (a loopback one: any registered
// http://127.0.0.1/... matches it).
var (
	testVerifier = base64.RawURLEncoding.EncodeToString([]byte(strings.Repeat("v", 40)))
	testRedirect = "http://127.0.0.1:9/cb"
)

// authorizePath is an authorization request of tenant acme's client, with
// testVerifier's S256 challenge and state "s".
func authorizePath(client string) string { return authorizeWith(client, nil) }

// authorizeWith is authorizePath with the parameters of extra added or
// replaced.
func authorizeWith(client string, extra url.Values) string {
	sum := sha256.Sum256([]byte(testVerifier))
	q := url.Values{"response_type": {"code"}, "client_id": {client}, "redirect_uri": {testRedirect},
		"code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"}, "state": {"s"}}
	for k, v := range extra {
		q[k] = v
	}
	return "/t/acme/authorize?" + q.Encode()
}

var hiddenRE = regexp.MustCompile(`name="(req|csrf|user)" value="([^"]*)"`)

// pageForm is the form of a login, consent or device page: its hidden
// req, csrf and user fields, plus extra.
func pageForm(page string, extra url.Values) url.Values {
	f := url.Values{}
	for k, v := range extra {
		f[k] = v
	}
	for _, m := range hiddenRE.FindAllStringSubmatch(page, -1) {
		f.Set(m[1], m[2])
	}
	return f
}
