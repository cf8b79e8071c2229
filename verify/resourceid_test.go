package verify

import (
	"net/url"
	"testing"
)

func TestSameResource(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		// The same resource.
		{"https://api.example.com", "https://api.example.com", true},
		{"https://api.example.com", "https://api.example.com/", true},
		{"https://API.example.com", "https://api.example.com/", true},
		{"HTTPS://Api.Example.COM/", "https://api.example.com", true},
		{"https://api.example.com:443", "https://api.example.com/", true},
		{"https://api.example.com:443/mcp", "https://api.example.com/mcp", true},
		{"http://localhost:80/mcp", "http://localhost/mcp", true},
		{"http://LOCALHOST:3000", "http://localhost:3000/", true},
		{"https://api.example.com?x=1", "https://api.example.com/?x=1", true},
		{"https://[::1]:443", "https://[::1]/", true},
		{"https://[2001:DB8::1]/x", "https://[2001:db8::1]/x", true},
		{"urn:example:resource", "urn:example:resource", true},

		// Different resources.
		{"https://api.example.com/MCP", "https://api.example.com/mcp", false},
		{"https://a/x", "https://a/x/", false},
		{"https://api.example.com/mcp", "https://api.example.com/mcp/", false},
		{"https://api.example.com/other", "https://api.example.com", false},
		{"https://api.example.com/?x=1", "https://api.example.com/?x=2", false},
		{"https://api.example.com/?x=1", "https://api.example.com/", false},
		{"https://api.example.com/?", "https://api.example.com/", false},
		{"https://api.example.com/#f", "https://api.example.com/", false},
		{"http://api.example.com", "https://api.example.com", false},
		{"https://api.example.com:8443", "https://api.example.com", false},
		{"https://api.example.com:80", "https://api.example.com", false},
		{"http://api.example.com:443", "http://api.example.com", false},
		{"https://api.example.com:0443", "https://api.example.com", false},
		{"https://api.example.com:", "https://api.example.com", false},
		{"https://user@api.example.com", "https://api.example.com", false},
		{"https://User@api.example.com", "https://user@api.example.com", false},
		{"https://api.example.com.", "https://api.example.com", false},
		// No percent-decoding, no dot segments, no Unicode folding.
		{"https://api.example.com/%7Ex", "https://api.example.com/~x", false},
		{"https://api.example.com/a%2Fb", "https://api.example.com/a/b", false},
		{"https://api.example.com/%2f", "https://api.example.com/%2F", false},
		{"https://api.example.com/a/../b", "https://api.example.com/b", false},
		{"https://api.example.com/./", "https://api.example.com/", false},
		{"https://\u212Aey.example", "https://key.example", false},
		{"https://\u212Aey.example", "https://kEY.example", false},
		// Not absolute URIs with an authority: byte for byte.
		{"urn:example:Resource", "urn:example:resource", false},
		{"URN:example:resource", "urn:example:resource", false},
		{"https:///x", "https:///X", false},
		{"file:///x", "FILE:///x", false},
		{"api.example.com", "api.example.com/", false},
		{"//api.example.com", "//api.example.com/", false},
		{"https://api.example.com/%zz", "HTTPS://api.example.com/%zz", false},
		{"https://bad host", "https://BAD host", false},
		{"", "/", false},
	}
	for _, tc := range tests {
		if got := SameResource(tc.a, tc.b); got != tc.want {
			t.Errorf("SameResource(%q, %q) = %v; want %v", tc.a, tc.b, got, tc.want)
		}
		if got := SameResource(tc.b, tc.a); got != tc.want {
			t.Errorf("SameResource(%q, %q) = %v; want %v", tc.b, tc.a, got, tc.want)
		}
	}
}

func TestCanonicalResource(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://api.example.com", "https://api.example.com/"},
		{"HTTPS://API.Example.com:443", "https://api.example.com/"},
		{"Http://Localhost:80?q=A", "http://localhost/?q=A"},
		{"https://api.example.com/Path/%2F?Q=%2f#F", "https://api.example.com/Path/%2F?Q=%2f#F"},
		{"https://Us%45r:Pw@API.example.com:8443/x", "https://Us%45r:Pw@api.example.com:8443/x"},
		{"https://[::FFFF:7F00:1]:443/", "https://[::ffff:7f00:1]/"},
		{"urn:ietf:params:Oauth", "urn:ietf:params:Oauth"},
		{"HTTPS:///x", "HTTPS:///x"},
		{"https://bad host/", "https://bad host/"},
		{"relative/Path", "relative/Path"},
		{"", ""},
	}
	for _, tc := range tests {
		got := canonicalResource(tc.in)
		if got != tc.want {
			t.Errorf("canonicalResource(%q) = %q; want %q", tc.in, got, tc.want)
		}
		if again := canonicalResource(got); again != got {
			t.Errorf("canonicalResource(%q) = %q, not idempotent", got, again)
		}
	}
}

func TestHasResource(t *testing.T) {
	aud := []string{"https://other.example.com", "https://api.example.com/"}
	for _, s := range []string{"https://api.example.com", "https://API.example.com:443", "https://api.example.com/"} {
		if !HasResource(aud, s) {
			t.Errorf("HasResource(%q, %q) = false", aud, s)
		}
	}
	for _, s := range []string{"https://api.example.com/other", "http://api.example.com", ""} {
		if HasResource(aud, s) {
			t.Errorf("HasResource(%q, %q) = true", aud, s)
		}
	}
	if HasResource(nil, "https://api.example.com") {
		t.Error("HasResource(nil, ...) = true")
	}
}

func FuzzCanonical(f *testing.F) {
	for _, s := range []string{"https://API.example.com:443", "http://a:80?x#y", "urn:x", "https://u@[::1]:8443/p", "https://a:"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c := canonicalResource(s)
		if canonicalResource(c) != c {
			t.Errorf("canonicalResource(%q) = %q; canonicalResource of that is %q", s, c, canonicalResource(c))
		}
		if !SameResource(s, c) {
			t.Errorf("SameResource(%q, canonicalResource = %q) = false", s, c)
		}
		if c == s {
			return
		}
		// What canonicalResource rewrote, Go's URL parser reads as the
		// same URL up to the case of the host, the default port and an
		// empty path.
		u, err1 := url.Parse(s)
		v, err2 := url.Parse(c)
		if err1 != nil || err2 != nil {
			t.Fatalf("canonicalResource(%q) = %q; parse errors %v, %v", s, c, err1, err2)
		}
		up := u.EscapedPath()
		if up == "" {
			up = "/"
		}
		port := u.Port()
		if u.Scheme == "https" && port == "443" || u.Scheme == "http" && port == "80" {
			port = ""
		}
		if u.Scheme != v.Scheme || lowerASCII(u.Hostname()) != v.Hostname() || port != v.Port() ||
			u.User.String() != v.User.String() || up != v.EscapedPath() ||
			u.RawQuery != v.RawQuery || u.ForceQuery != v.ForceQuery || u.EscapedFragment() != v.EscapedFragment() {
			t.Errorf("canonicalResource(%q) = %q: parsed %#v and %#v", s, c, u, v)
		}
	})
}
