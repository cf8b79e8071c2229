package authz

import (
	"errors"
	"net/http"
	"testing"
)

func TestStatus(t *testing.T) {
	cases := map[ErrorCode]int{
		CodeInvalidRequest: 400, CodeInvalidClientMetadata: 400, CodeInvalidRedirectURI: 400,
		CodeInvalidToken: 401, CodeNotFound: 404, CodeMethodNotAllowed: 405, CodeAlreadyExists: 409,
		CodeRequestTooLarge: 413, CodeUnsupportedMediaType: 415, CodeServerError: 500, CodeTemporarilyUnavail: 503,
	}
	for code, want := range cases {
		if got := Status(code); got != want {
			t.Errorf("Status(%q) = %d; want %d", code, got, want)
		}
	}
}

func TestBearerToken(t *testing.T) {
	cases := []struct {
		header []string
		token  string
		ok     bool
	}{
		{[]string{"Bearer abc"}, "abc", true},
		{[]string{"bearer abc"}, "abc", true},
		{[]string{"Basic abc"}, "", false},
		{[]string{"Bearer"}, "", false},
		{[]string{"Bearer "}, "", false},
		{[]string{"Bearer a", "Bearer b"}, "", false},
		{nil, "", false},
	}
	for _, tc := range cases {
		r, _ := http.NewRequest("GET", "/", nil)
		for _, h := range tc.header {
			r.Header.Add("Authorization", h)
		}
		token, ok := BearerToken(r)
		if token != tc.token || ok != tc.ok {
			t.Errorf("BearerToken(%q) = %q, %v; want %q, %v", tc.header, token, ok, tc.token, tc.ok)
		}
	}
}

func TestErrorIdentity(t *testing.T) {
	cause := errors.New("disk on fire")
	err := error(&Error{Code: CodeServerError, Description: "x", Err: cause})
	if !errors.Is(err, cause) {
		t.Errorf("errors.Is(Error{Err: cause}, cause) = false")
	}
	var e *Error
	if !errors.As(err, &e) || e.Code != CodeServerError {
		t.Errorf("errors.As did not find the *Error")
	}
}

func TestCheckClientIDURL(t *testing.T) {
	prod := &Server{cfg: Config{BaseURL: "https://auth.example.com"}}
	dev := &Server{cfg: Config{BaseURL: "http://127.0.0.1:8787"}}
	cases := []struct {
		url       string
		prod, dev bool // valid?
	}{
		{"https://client.example.com/oauth/client.json", true, true},
		{"https://client.example.com:8443/c", true, true},
		{"http://client.example.com/c", false, false},
		{"http://127.0.0.1:9000/c", false, true},
		{"https://127.0.0.1/c", false, true},
		{"https://10.0.0.1/c", false, true},
		{"https://169.254.169.254/latest", false, true},
		{"https://[::1]/c", false, true},
		{"https://localhost/c", false, true},
		{"https://client.example.com", false, false},
		{"https://client.example.com/", false, false},
		{"https://client.example.com/a/../c", false, false},
		{"https://client.example.com/./c", false, false},
		{"https://client.example.com/c#frag", false, false},
		{"https://user:pw@client.example.com/c", false, false},
		{"ftp://client.example.com/c", false, false},
		// Security issue item 9: spellings of non-public hosts that a
		// resolver or a URL parser reads as such.
		{"https://LOCALHOST/c", false, true},
		{"https://localhost./c", false, true},
		{"https://sub.localhost./c", false, true},
		{"https://[fe80::1%25lo]/c", false, true},
		{"https://2130706433/c", false, true},
		{"https://0x7f000001/c", false, true},
		{"https://127.1/c", false, true},
		{"https://0177.0.0.1/c", false, true},
		{"https://printer.local/c", false, true},
		{"https://8.8.8.8/c", true, true},
	}
	for _, tc := range cases {
		if _, err := prod.checkClientIDURL(tc.url); (err == nil) != tc.prod {
			t.Errorf("production checkClientIDURL(%q) = %v; want valid=%v", tc.url, err, tc.prod)
		}
		if _, err := dev.checkClientIDURL(tc.url); (err == nil) != tc.dev {
			t.Errorf("development checkClientIDURL(%q) = %v; want valid=%v", tc.url, err, tc.dev)
		}
	}
}

func TestRedirectURIMatches(t *testing.T) {
	reg := []string{"https://app.example.com/cb", "http://127.0.0.1/callback", "http://[::1]:8080/cb", "http://localhost:3000/cb"}
	for uri, want := range map[string]bool{
		"https://app.example.com/cb":       true,
		"https://app.example.com/cb/":      false,
		"https://app.example.com/cb?x=1":   false,
		"https://app.example.com:443/cb":   false,
		"http://127.0.0.1/callback":        true,
		"http://127.0.0.1:51000/callback":  true, // RFC 8252 §7.3: any port
		"http://[::1]/cb":                  true,
		"http://[::1]:9999/cb":             true,
		"http://127.0.0.1:51000/callback2": false,
		"http://127.0.0.2:51000/callback":  false,
		"https://127.0.0.1:51000/callback": false,
		"http://localhost:3000/cb":         true,
		"http://localhost:3001/cb":         false, // names are matched exactly
	} {
		if got := redirectURIMatches(reg, uri); got != want {
			t.Errorf("redirectURIMatches(%q) = %v; want %v", uri, got, want)
		}
	}
}

// TestWebOrigin: origins compare as a browser writes them (RFC 6454 §4):
// scheme and host in lower case, no default port, and no port at all for
// http on a loopback IP literal (RFC 8252 §7.3).
func TestWebOrigin(t *testing.T) {
	for _, tc := range []struct{ a, b string }{
		{"https://App.Example:443/cb", "https://app.example"},
		{"HTTP://example.com:80/x?y", "http://example.com"},
		{"http://127.0.0.1/cb", "http://127.0.0.1:5173"},
		{"http://[::1]:8080/cb", "http://[::1]:3000"},
		{"https://app.example:8443/cb", "https://app.example:8443"},
	} {
		a, okA := webOrigin(tc.a)
		b, okB := webOrigin(tc.b)
		if !okA || !okB || a != b {
			t.Errorf("webOrigin(%q) = %q, %v; webOrigin(%q) = %q, %v; want the same origin", tc.a, a, okA, tc.b, b, okB)
		}
	}
	for _, tc := range []struct{ a, b string }{
		{"https://app.example/cb", "http://app.example"},        // scheme
		{"https://app.example:8443/cb", "https://app.example"},  // a port that is not the default
		{"https://127.0.0.1:8443/cb", "https://127.0.0.1:9443"}, // https keeps its port, loopback or not
		{"http://localhost:8080/cb", "http://localhost:3000"},   // a name, not an IP literal
		{"https://app.example/cb", "https://app.example.evil"},  // host
	} {
		a, _ := webOrigin(tc.a)
		b, _ := webOrigin(tc.b)
		if a == b {
			t.Errorf("webOrigin(%q) = webOrigin(%q) = %q; want different origins", tc.a, tc.b, a)
		}
	}
	for _, bad := range []string{"null", "", "app.example", "mailto:a@b", "https://user@app.example", "com.example.app:/cb"} {
		if o, ok := webOrigin(bad); ok {
			t.Errorf("webOrigin(%q) = %q; want no origin", bad, o)
		}
	}
}
