package authz

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
)

const maxURILen = 2000

// checkRedirectURI validates a redirect URI at registration. It must be
// absolute without a fragment (RFC 6749 §3.1.2), and https, http on a
// loopback host (RFC 8252 §7.3, §8.3), or a private-use scheme (RFC 8252
// §7.1). Scripting and data schemes are refused outright.
func checkRedirectURI(raw string) error {
	if len(raw) > maxURILen {
		return fmt.Errorf("redirect URI is longer than %d bytes", maxURILen)
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
		if u.Host == "" {
			return errors.New("https redirect URI must have a host")
		}
	case scheme == "http":
		if !isLoopbackHost(u.Hostname()) {
			return errors.New("http redirect URIs are allowed only on a loopback host (127.0.0.1, [::1], localhost)")
		}
	case isPrivateUseScheme(scheme):
		// RFC 8252 §7.1: native apps' reverse-domain schemes.
	default:
		return fmt.Errorf("redirect URI scheme %q is not allowed: use https, http on loopback, or a reverse-domain private-use scheme", scheme)
	}
	return nil
}

// checkResource validates an RFC 8707 resource indicator: an absolute URI
// without a fragment (§2).
func checkResource(raw string) error {
	if len(raw) > maxURILen {
		return fmt.Errorf("resource is longer than %d bytes", maxURILen)
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

// isLoopbackHost reports whether host names the local machine: an IP
// loopback literal or "localhost".
func isLoopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
