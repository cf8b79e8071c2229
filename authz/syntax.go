package authz

import "strings"

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

// validTenantID is DESIGN.md's tenant id syntax: ^[a-z0-9][a-z0-9-]{0,62}$.
func validTenantID(s string) bool {
	return s != "" && (isLower(s[0]) || isDigit(s[0])) &&
		every(s[1:], 0, 62, func(c byte) bool { return isLower(c) || isDigit(c) || c == '-' })
}

// validClientID is a registered client id: ^[A-Za-z0-9._~-]{1,128}$.
func validClientID(s string) bool { return every(s, 1, 128, unreservedByte) }

// validScopeToken is RFC 6749 §3.3's scope-token: ^[\x21\x23-\x5B\x5D-\x7E]+$.
func validScopeToken(s string) bool {
	return every(s, 1, len(s), func(c byte) bool {
		return c == 0x21 || 0x23 <= c && c <= 0x5B || 0x5D <= c && c <= 0x7E
	})
}

// validUsername: ^[A-Za-z0-9._@+-]{1,64}$.
func validUsername(s string) bool { return every(s, 1, 64, usernameByte) }

// validRole: ^[A-Za-z0-9:._-]{1,64}$.
func validRole(s string) bool { return every(s, 1, 64, roleByte) }

// validS256Challenge is the syntax of an S256 code challenge, BASE64URL of
// a SHA-256 digest: ^[A-Za-z0-9_-]{43}$.
func validS256Challenge(s string) bool { return every(s, 43, 43, base64URLByte) }

// validCodeVerifier is RFC 7636 §4.1: ^[A-Za-z0-9._~-]{43,128}$.
func validCodeVerifier(s string) bool { return every(s, 43, 128, unreservedByte) }

// isPrivateUseScheme is a reverse-domain scheme such as com.example.app
// (RFC 8252 §7.1): ^[a-z][a-z0-9+-]*(\.[a-z0-9+-]+)+$.
func isPrivateUseScheme(s string) bool {
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
