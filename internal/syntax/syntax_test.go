package syntax

import (
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
)

// The hand-written checks accept exactly what the regular expressions
// they replaced accept: on edge cases around each length bound and class
// boundary, and on random strings over an alphabet of every class's
// neighbours.
func TestSyntaxMatchesRegexps(t *testing.T) {
	checks := []struct {
		name string
		fn   func(string) bool
		re   *regexp.Regexp
	}{
		{"tenant id", ValidTenantID, regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)},
		{"client id", ValidClientID, regexp.MustCompile(`^[A-Za-z0-9._~-]{1,128}$`)},
		{"scope token", ValidScopeToken, regexp.MustCompile(`^[\x21\x23-\x5B\x5D-\x7E]+$`)},
		{"username", ValidUsername, regexp.MustCompile(`^[A-Za-z0-9._@+-]{1,64}$`)},
		{"role", ValidRole, regexp.MustCompile(`^[A-Za-z0-9:._-]{1,64}$`)},
		{"S256 challenge", ValidS256Challenge, regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`)},
		{"code verifier", ValidCodeVerifier, regexp.MustCompile(`^[A-Za-z0-9._~-]{43,128}$`)},
		{"private-use scheme", IsPrivateUseScheme, regexp.MustCompile(`^[a-z][a-z0-9+-]*(\.[a-z0-9+-]+)+$`)},
	}
	// Every printable ASCII byte, the class boundaries around it, a few
	// control and non-ASCII bytes.
	var alphabet []byte
	for c := 0x1f; c <= 0x7f; c++ {
		alphabet = append(alphabet, byte(c))
	}
	alphabet = append(alphabet, 0, '\n', 0x80, 0xc3, 0xa9, 0xff)
	var inputs []string
	for _, n := range []int{0, 1, 2, 42, 43, 44, 62, 63, 64, 65, 127, 128, 129} {
		for _, c := range alphabet {
			inputs = append(inputs, strings.Repeat("a", n)+string(c), string(c)+strings.Repeat("a", n), strings.Repeat(string(c), n))
		}
	}
	inputs = append(inputs, "com.example.app", "com..app", ".com.app", "com.app.", "Com.app", "1com.app", "com.ex-ample+1.app", "a.b", "a.")
	r := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		b := make([]byte, r.IntN(140))
		for i := range b {
			if r.IntN(4) == 0 {
				b[i] = alphabet[r.IntN(len(alphabet))]
			} else {
				b[i] = "abz09AZ.-_~+@:"[r.IntN(14)]
			}
		}
		inputs = append(inputs, string(b))
	}
	for _, c := range checks {
		for _, in := range inputs {
			if got, want := c.fn(in), c.re.MatchString(in); got != want {
				t.Errorf("%s(%q) = %v, the regexp says %v", c.name, in, got, want)
			}
		}
	}
}

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
		{"https://:443/cb", "host"},
		{"https://u:p@app.example.com/cb", "user information"},
		{"https://app.example.com/a b", "spaces"},
		{"https://app.example.com/a\\b", "backslashes"},
		{"https://app.example.com/\x00", "control"},
		{"https://app.example.com/" + strings.Repeat("a", MaxURILen), "longer"},
	}
	for _, tc := range cases {
		err := CheckRedirectURI(tc.uri)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("CheckRedirectURI(%q) = %v; want nil", tc.uri, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("CheckRedirectURI(%q) = %v; want an error about %q", tc.uri, err, tc.want)
		}
	}
}

// TestCheckWebURL: the URLs a page shows or links to are absolute http or
// https URLs with a host, and nothing a page could be tricked by.
func TestCheckWebURL(t *testing.T) {
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{"https://app.example/logo.png", true},
		{"http://127.0.0.1:8080/privacy", true},
		{"https://app.example/terms?lang=en#top", true},
		{"javascript:alert(1)", false},
		{"https://:443/logo.png", false},
		{"data:image/png;base64,AAAA", false},
		{"//app.example/logo.png", false},
		{"/logo.png", false},
		{"https:///logo.png", false},
		{"https://user:pw@app.example/", false},
		{"https://app.example/a b", false},
		{"https://app.example/\\evil", false},
		{"https://app.example/" + strings.Repeat("a", MaxURILen), false},
		{"ftp://app.example/logo.png", false},
	} {
		if err := CheckWebURL("logo_uri", tc.in); (err == nil) != tc.ok {
			t.Errorf("CheckWebURL(%q) = %v; want ok %v", tc.in, err, tc.ok)
		}
	}
}
