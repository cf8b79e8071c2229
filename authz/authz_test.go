package authz

import (
	"bytes"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestCheckRedirectURI(t *testing.T) {
	cases := []struct {
		uri  string
		want string // substring of the error; "" means valid
	}{
		{"https://app.example.com/cb", ""},
		{"https://app.example.com:8443/cb?x=1", ""},
		{"http://127.0.0.1/cb", ""},
		{"http://127.0.0.1:51234/cb", ""},
		{"http://[::1]:8080/cb", ""},
		{"http://localhost:3000/cb", ""},
		{"com.example.app:/oauth2redirect", ""},
		{"com.example.app://cb", ""},
		{"/relative", "absolute"},
		{"cb", "absolute"},
		{"https://app.example.com/cb#x", "fragment"},
		{"https://app.example.com/cb#", "fragment"},
		{"javascript:alert(1)", "not allowed"},
		{"JAVASCRIPT:alert(1)", "not allowed"},
		{"data:text/html,x", "not allowed"},
		{"vbscript:x", "not allowed"},
		{"file:///etc/passwd", "not allowed"},
		{"myapp:/cb", "not allowed"},
		{"http://evil.example/cb", "loopback"},
		{"http://127.0.0.1.evil.example/cb", "loopback"},
		{"https:///cb", "host"},
		{"https://u:p@app.example.com/cb", "user information"},
		{"https://app.example.com/a b", "spaces"},
		{"https://app.example.com/a\\b", "backslashes"},
		{"https://app.example.com/\x00", "control"},
		{"https://app.example.com/" + strings.Repeat("a", maxURILen), "longer"},
	}
	for _, tc := range cases {
		err := checkRedirectURI(tc.uri)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("checkRedirectURI(%q) = %v; want nil", tc.uri, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("checkRedirectURI(%q) = %v; want an error about %q", tc.uri, err, tc.want)
		}
	}
}

func TestPassword(t *testing.T) {
	rand := bytes.NewReader(bytes.Repeat([]byte{7}, 64))
	hash, err := hashPassword(rand, goPBKDF2, "correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(hash, "$pbkdf2-sha512$i=100000$") {
		t.Errorf("hash = %q; want PHC pbkdf2-sha512 with i=100000", hash)
	}
	check := func(hash, pw string) bool {
		ok, err := checkPassword(goPBKDF2, hash, pw)
		if err != nil {
			t.Fatalf("checkPassword: %v", err)
		}
		return ok
	}
	if !check(hash, "correct horse") {
		t.Errorf("checkPassword(right password) = false")
	}
	for _, wrong := range []string{"correct horsE", "", "correct horse "} {
		if check(hash, wrong) {
			t.Errorf("checkPassword(%q) = true; want false", wrong)
		}
	}
	for _, bad := range []string{"", "$pbkdf2-sha512$i=0$AAAA$AAAA", "$pbkdf2-sha512$i=x$AAAA$AAAA", "$pbkdf2-sha256$i=1$AAAA$AAAA",
		"$argon2id$v=19$m=1$AA$AA", "$pbkdf2-sha512$i=1$!!$AAAA", "$pbkdf2-sha512$i=100001$AAAA$AAAA", dummyPasswordHash} {
		if check(bad, "") || check(bad, "correct horse") {
			t.Errorf("checkPassword(%q) = true for a malformed or dummy hash", bad)
		}
	}
	// An unknown username costs a full derivation, like a real hash.
	var iter, keyLen int
	spy := func(pw, salt []byte, i, n int) ([]byte, error) { iter, keyLen = i, n; return make([]byte, n), nil }
	if ok, err := checkPassword(spy, dummyPasswordHash, "x"); err != nil || iter != passwordIterations || keyLen != passwordKeyLen {
		t.Errorf("the dummy hash %q: derived with %d iterations, %d bytes (%v, %v); want %d, %d", dummyPasswordHash, iter, keyLen, ok, err, passwordIterations, passwordKeyLen)
	}
	failing := func([]byte, []byte, int, int) ([]byte, error) { return nil, errors.New("no crypto") }
	if _, err := checkPassword(failing, hash, "correct horse"); err == nil {
		t.Errorf("checkPassword with a failing derivation = nil error; want the error")
	}
}

func TestStatus(t *testing.T) {
	cases := map[ErrorCode]int{
		CodeInvalidRequest: 400, CodeInvalidClientMetadata: 400, CodeInvalidRedirectURI: 400,
		CodeInvalidToken: 401, CodeNotFound: 404, CodeMethodNotAllowed: 405, CodeAlreadyExists: 409,
		CodeRequestTooLarge: 413, CodeUnsupportedMediaType: 415, CodeServerError: 500, CodeTemporarilyUnavail: 503,
	}
	for code, want := range cases {
		if got := status(code); got != want {
			t.Errorf("status(%q) = %d; want %d", code, got, want)
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
		token, ok := bearerToken(r)
		if token != tc.token || ok != tc.ok {
			t.Errorf("bearerToken(%q) = %q, %v; want %q, %v", tc.header, token, ok, tc.token, tc.ok)
		}
	}
}

func TestConfigRequired(t *testing.T) {
	_, err := New(Config{BaseURL: "http://example.com"})
	if err == nil {
		t.Fatal("New(empty Config) = nil error")
	}
	for _, want := range []string{"Store", "KV", "Sealer", "AdminToken", "https"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("New(empty Config) error %q does not name %s", err, want)
		}
	}
	for _, base := range []string{"", "ftp://x", "https://x.example/", "https://x.example?q=1", "https://u@x.example", "relative", "https://example.com/auth"} {
		if err := checkBaseURL(base); err == nil {
			t.Errorf("checkBaseURL(%q) = nil; want an error", base)
		}
	}
	for _, base := range []string{"https://auth.example.com", "http://127.0.0.1:8787", "http://localhost:8787"} {
		if err := checkBaseURL(base); err != nil {
			t.Errorf("checkBaseURL(%q) = %v; want nil", base, err)
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

// BenchmarkPasswordHash measures one PBKDF2 hash at passwordIterations:
// what a login or a user creation costs. Run it under wasm too:
// GOOS=js GOARCH=wasm go test -run x -bench PasswordHash ./authz/
func BenchmarkPasswordHash(b *testing.B) {
	salt := bytes.NewReader(make([]byte, 1<<20))
	for b.Loop() {
		if _, err := hashPassword(salt, goPBKDF2, "correct horse battery staple"); err != nil {
			b.Fatal(err)
		}
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

func TestLockoutDelay(t *testing.T) {
	for count, want := range map[int64]time.Duration{
		0: 0, 4: 0, 5: 30 * time.Second, 6: time.Minute, 7: 2 * time.Minute, 11: 32 * time.Minute, 12: time.Hour, 100: time.Hour,
	} {
		if got := lockoutDelay(count); got != want {
			t.Errorf("lockoutDelay(%d) = %v; want %v", count, got, want)
		}
	}
}
