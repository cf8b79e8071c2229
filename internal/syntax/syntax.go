package syntax

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Syntax checks of identifiers and protocol tokens. They are written out
// rather than as regular expressions: package regexp compiles its patterns
// at start-up, in every Worker instance, and adds its code to the wasm.
// TestSyntaxMatchesRegexps checks each against the regular expression it
// replaces (quoted in its comment).

// every reports whether s has min to max bytes, each accepted by ok.
func every(s string, min, max int, ok func(c byte) bool) bool {
	if len(s) < min || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !ok(s[i]) {
			return false
		}
	}
	return true
}

func isLower(c byte) bool { return 'a' <= c && c <= 'z' }
func isDigit(c byte) bool { return '0' <= c && c <= '9' }
func isAlnum(c byte) bool { return isLower(c) || 'A' <= c && c <= 'Z' || isDigit(c) }

// alnumOr returns a test for bytes that are alphanumeric or in extra.
func alnumOr(extra string) func(byte) bool {
	return func(c byte) bool { return isAlnum(c) || strings.IndexByte(extra, c) >= 0 }
}

var (
	unreservedByte = alnumOr("._~-") // RFC 3986 unreserved
	base64URLByte  = alnumOr("_-")   // RFC 4648 §5 without padding
	usernameByte   = alnumOr("._@+-")
	roleByte       = alnumOr(":._-")
)

// ValidTenantID is DESIGN.md's tenant id syntax: ^[a-z0-9][a-z0-9-]{0,62}$.
func ValidTenantID(s string) bool {
	return s != "" && (isLower(s[0]) || isDigit(s[0])) &&
		every(s[1:], 0, 62, func(c byte) bool { return isLower(c) || isDigit(c) || c == '-' })
}

// ValidClientID is a registered client id: ^[A-Za-z0-9._~-]{1,128}$.
func ValidClientID(s string) bool { return every(s, 1, 128, unreservedByte) }

// ValidScopeToken is RFC 6749 §3.3's scope-token: ^[\x21\x23-\x5B\x5D-\x7E]+$.
func ValidScopeToken(s string) bool {
	return every(s, 1, len(s), func(c byte) bool {
		return c == 0x21 || 0x23 <= c && c <= 0x5B || 0x5D <= c && c <= 0x7E
	})
}

// ValidUsername: ^[A-Za-z0-9._@+-]{1,64}$.
func ValidUsername(s string) bool { return every(s, 1, 64, usernameByte) }

// ValidRole: ^[A-Za-z0-9:._-]{1,64}$.
func ValidRole(s string) bool { return every(s, 1, 64, roleByte) }

// ValidS256Challenge is the syntax of an S256 code challenge, BASE64URL of
// a SHA-256 digest: ^[A-Za-z0-9_-]{43}$.
func ValidS256Challenge(s string) bool { return every(s, 43, 43, base64URLByte) }

// ValidCodeVerifier is RFC 7636 §4.1: ^[A-Za-z0-9._~-]{43,128}$.
func ValidCodeVerifier(s string) bool { return every(s, 43, 128, unreservedByte) }

// IsPrivateUseScheme is a reverse-domain scheme such as com.example.app
// (RFC 8252 §7.1): ^[a-z][a-z0-9+-]*(\.[a-z0-9+-]+)+$.
func IsPrivateUseScheme(s string) bool {
	labels := strings.Split(s, ".")
	if len(labels) < 2 || labels[0] == "" || !isLower(labels[0][0]) {
		return false
	}
	for _, l := range labels {
		if !every(l, 1, len(l), func(c byte) bool { return isLower(c) || isDigit(c) || c == '+' || c == '-' }) {
			return false
		}
	}
	return true
}

// MaxURILen is the longest redirect URI or resource indicator accepted.
const MaxURILen = 2000

// CheckRedirectURI validates a redirect URI at registration. It must be
// absolute without a fragment (RFC 6749 §3.1.2), and https, http on a
// loopback host (RFC 8252 §7.3, §8.3), or a private-use scheme (RFC 8252
// §7.1). Scripting and data schemes are refused outright.
func CheckRedirectURI(raw string) error {
	if len(raw) > MaxURILen {
		return fmt.Errorf("redirect URI is longer than %d bytes", MaxURILen)
	}
	if strings.ContainsAny(raw, "#") {
		return errors.New("redirect URI must not contain a fragment")
	}
	if strings.ContainsFunc(raw, func(r rune) bool { return r <= 0x20 || r == 0x7f || r == '\\' }) {
		return errors.New("redirect URI contains spaces, control characters or backslashes")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return errors.New("redirect URI is not a valid URI")
	}
	if !u.IsAbs() {
		return errors.New("redirect URI must be absolute")
	}
	if u.User != nil {
		return errors.New("redirect URI must not contain user information")
	}
	switch scheme := u.Scheme; {
	case scheme == "https":
		if u.Hostname() == "" { // "https://:443/cb" has a Host, ":443", and no host name
			return errors.New("https redirect URI must have a host")
		}
	case scheme == "http":
		if !IsLoopbackHost(u.Hostname()) {
			return errors.New("http redirect URIs are allowed only on a loopback host (127.0.0.1, [::1], localhost)")
		}
	case IsPrivateUseScheme(scheme):
		// RFC 8252 §7.1: native apps' reverse-domain schemes.
	default:
		return fmt.Errorf("redirect URI scheme %q is not allowed: use https, http on loopback, or a reverse-domain private-use scheme", scheme)
	}
	return nil
}

// CheckResource validates an RFC 8707 resource indicator: an absolute URI
// without a fragment (§2).
func CheckResource(raw string) error {
	if len(raw) > MaxURILen {
		return fmt.Errorf("resource is longer than %d bytes", MaxURILen)
	}
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Host == "" && u.Opaque == "" {
		return fmt.Errorf("resource %q must be an absolute URI", raw)
	}
	if strings.Contains(raw, "#") {
		return fmt.Errorf("resource %q must not contain a fragment", raw)
	}
	return nil
}

// CheckWebURL validates the URL of a web page or an image that a page
// shows or links to (RFC 7591 §2 logo_uri, policy_uri, tos_uri): an
// absolute http or https URL with a host, without user information, spaces
// or control characters, at most MaxURILen bytes.
func CheckWebURL(field, raw string) error {
	if len(raw) > MaxURILen {
		return fmt.Errorf("%s is longer than %d bytes", field, MaxURILen)
	}
	if strings.ContainsFunc(raw, func(r rune) bool { return r <= 0x20 || r == 0x7f || r == '\\' }) {
		return fmt.Errorf("%s contains spaces, control characters or backslashes", field)
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Hostname() == "" || u.Opaque != "" {
		return fmt.Errorf("%s must be an absolute http or https URL", field)
	}
	if u.User != nil {
		return fmt.Errorf("%s must not contain user information", field)
	}
	return nil
}

// IsLoopbackHost reports whether host names the local machine: an IP
// loopback literal or "localhost".
func IsLoopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// MaxScopeLen is the longest scope string accepted.
const MaxScopeLen = 1000

// NormalizeScope checks an RFC 6749 §3.3 scope string and removes
// duplicates.
func NormalizeScope(s string) (string, error) {
	if len(s) > MaxScopeLen {
		return "", fmt.Errorf("scope is longer than %d bytes", MaxScopeLen)
	}
	fields := strings.Fields(s)
	for _, f := range fields {
		if !ValidScopeToken(f) {
			return "", fmt.Errorf("scope %q has characters RFC 6749 §3.3 does not allow", f)
		}
	}
	return strings.Join(Dedupe(fields), " "), nil
}

// Dedupe returns in without repeated values, in first-seen order.
func Dedupe(in []string) []string {
	out := make([]string, 0, len(in))
	for _, v := range in {
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// WithinScope normalises the scope string requested (NormalizeScope) and
// returns it with the first of its scopes that allowed lacks ("" when
// allowed has them all).
func WithinScope(requested, allowed string) (scope, outside string, err error) {
	if scope, err = NormalizeScope(requested); err != nil {
		return "", "", err
	}
	have := strings.Fields(allowed)
	for _, sc := range strings.Fields(scope) {
		if !slices.Contains(have, sc) {
			return scope, sc, nil
		}
	}
	return scope, "", nil
}

// CheckText validates a short human-readable string: UTF-8, at most max
// characters, and nothing that is invisible or reorders what is shown
// around it. A client_name from open registration is shown on the consent
// page, where "Evil\u202Eelgoog" (a right-to-left override) would read as
// another name (RFC 7591 §5: the server must not let self-asserted
// metadata mislead the user).
func CheckText(field, v string, max int) error {
	switch {
	case !utf8.ValidString(v):
		return fmt.Errorf("%s is not valid UTF-8", field)
	case utf8.RuneCountInString(v) > max:
		return fmt.Errorf("%s is longer than %d characters", field, max)
	case strings.ContainsFunc(v, unicode.IsControl): // C0, DEL and C1
		return fmt.Errorf("%s contains control characters", field)
	case strings.ContainsFunc(v, invisible):
		return fmt.Errorf("%s contains invisible or direction-changing characters", field)
	}
	return nil
}

// invisible: the bidirectional controls (U+061C, U+200E-U+200F,
// U+202A-U+202E, U+2066-U+2069), the line and paragraph separators, and
// the other format characters (Unicode category Cf: zero-width spaces and
// joiners, the byte order mark, the tag characters).
func invisible(r rune) bool {
	return r == 0x2028 || r == 0x2029 || unicode.Is(unicode.Cf, r)
}
