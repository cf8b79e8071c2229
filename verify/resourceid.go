package verify

import (
	"net/url"
	"slices"
	"strings"
)

// SameResource reports whether the resource identifiers a and b name the
// same resource: the RFC 8707 resource a client asks a token for, the
// RFC 9068 aud the token carries, the audience a resource server checks
// (Options.Audience), the RFC 9728 resource it publishes. Verify compares
// aud with Options.Audience this way, and edgeauth's authorization server
// compares resources this way too, so that both sides agree.
//
// Clients do not all send the identifier in the form it was configured in.
// The MCP TypeScript SDK sends new URL(resource).href, which turns
// "https://api.example.com" into "https://api.example.com/", and the MCP
// specification (2025-11-25, canonical server URI) says implementations
// SHOULD accept an uppercase scheme and host. So a and b are the same when
// they are equal after this, and only this (RFC 3986 §6.2.2.1 and
// §6.2.3), for an absolute URI with a non-empty authority ("scheme://host"):
//
//   - the scheme and the host are lowercased (ASCII letters only);
//   - the default port is removed: ":443" for https, ":80" for http;
//   - an empty path is "/" (RFC 3986 §6.2.3: "http://example.com" and
//     "http://example.com/" are equivalent).
//
// Everything else compares byte for byte: user information, a non-default
// or empty port, the path (its case, its trailing slash: "https://a/x" and
// "https://a/x/" differ), the query and the fragment. A string that does not
// parse as such a URI (a URN, a relative reference, "https:///x") compares
// byte for byte as a whole.
//
// Nothing more is normalised on purpose: no percent-decoding, no
// dot-segment removal, no Unicode case folding, no IDNA. Each of those makes
// names that a resource server's router, a proxy in front of it, or the
// resource server's own Audience may treat as different resources compare
// as one (".../api/../admin" as ".../admin", "%2F" as "/", the Kelvin sign
// as "k"), so that a token asked for one resource would be accepted by
// another. A resource server must not be reachable under a second name it
// did not ask for; the rules above only accept forms that every URL parser
// maps to the same origin and path.
func SameResource(a, b string) bool {
	return a == b || canonicalResource(a) == canonicalResource(b)
}

// HasResource reports whether list holds an identifier that names the same
// resource as r (SameResource), as an aud array is checked against a
// resource server's audience, or a requested resource against a tenant's
// allowed resources.
func HasResource(list []string, r string) bool {
	if slices.Contains(list, r) { // the usual case: no parsing
		return true
	}
	c := canonicalResource(r)
	return slices.ContainsFunc(list, func(e string) bool { return canonicalResource(e) == c })
}

// canonicalResource returns s in the form SameResource compares: for an
// absolute URI with an authority, scheme and host in lower case, no
// default port, and "/" for an empty path; otherwise s unchanged. It is
// idempotent, and SameResource(a, b) is
// canonicalResource(a) == canonicalResource(b).
func canonicalResource(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" || u.Opaque != "" || u.Host == "" {
		return s
	}
	// The string is rebuilt from its own pieces, not with u.String(), which
	// would re-escape the path, query and fragment.
	colon := strings.IndexByte(s, ':')
	// url.Parse sets Host only after "//".
	scheme, rest := lowerASCII(s[:colon]), s[colon+3:]
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	authority, tail := rest[:end], rest[end:]
	userinfo, hostport := "", authority
	if at := strings.LastIndexByte(authority, '@'); at >= 0 {
		userinfo, hostport = authority[:at+1], authority[at+1:]
	}
	host, port := hostport, ""
	if i := strings.LastIndexByte(hostport, ':'); i >= 0 && i > strings.LastIndexByte(hostport, ']') {
		host, port = hostport[:i], hostport[i:]
	}
	if host == "" {
		return s
	}
	if scheme == "https" && port == ":443" || scheme == "http" && port == ":80" {
		port = ""
	}
	if tail == "" || tail[0] != '/' {
		tail = "/" + tail
	}
	return scheme + "://" + userinfo + lowerASCII(host) + port + tail
}

// lowerASCII lowercases the ASCII letters of s and nothing else: Unicode
// case mapping would make, for one, the Kelvin sign U+212A equal to "k".
func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; 'A' <= c && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if c := b[j]; 'A' <= c && c <= 'Z' {
					b[j] = c + 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}
