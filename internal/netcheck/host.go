package netcheck

import (
	"errors"
	"net"
	"net/netip"
	"strings"
)

// specialNames are DNS suffixes that never name a public host: RFC 6761
// and RFC 6762 special-use names, RFC 8375's home.arpa, and "internal"
// (reserved for private use, ICANN 2024).
var specialNames = []string{"localhost", "local", "internal", "home.arpa", "invalid", "test", "onion"}

// PublicHost reports, as an error saying why not, whether host (a URL's
// host, without port and brackets) names a public host, read the way a
// resolver and a WHATWG URL parser read it, so that no spelling of a
// private address gets past it:
//
//   - an IP literal must be a public address (Public); an IPv6 literal
//     with a zone (fe80::1%eth0) is refused;
//   - a name is lowercased and may end in one dot ("localhost." is
//     "localhost"); it must be ASCII letters, digits, hyphens and dots in
//     labels of 1-63 characters (an internationalised name in its xn--
//     form), so no Unicode spelling (fullwidth digits) can turn into an
//     address later;
//   - a name whose last label is a number is an IPv4 address to a URL
//     parser and to inet_aton: 2130706433, 0x7f000001, 0177.0.0.1 and 127.1
//     are all 127.0.0.1. Only the canonical dotted-decimal form is
//     accepted, and only when the address is public;
//   - special-use names (localhost, *.localhost, *.local, *.internal,
//     *.home.arpa, *.invalid, *.test, *.onion) are refused.
//
// A public name can still resolve to a private address: the native
// server's dialer checks the address it connects to (internal/safehttp),
// and Cloudflare's fetch reaches no private network.
func PublicHost(host string) error {
	if host == "" {
		return errors.New("no host")
	}
	if strings.ContainsRune(host, ':') { // an IPv6 literal (brackets removed)
		if strings.ContainsRune(host, '%') {
			return errors.New("an IPv6 address with a zone")
		}
		a, err := netip.ParseAddr(host)
		if err != nil || !Public(net.IP(a.AsSlice())) {
			return errors.New("not a public address")
		}
		return nil
	}
	name := strings.ToLower(strings.TrimSuffix(host, "."))
	labels := strings.Split(name, ".")
	for _, l := range labels {
		if !ldh(l) {
			return errors.New("not a host name of ASCII letters, digits and hyphens")
		}
	}
	if last := labels[len(labels)-1]; numeric(last) {
		a, err := netip.ParseAddr(name)
		if err != nil || !a.Is4() {
			return errors.New("a numeric host other than a dotted-decimal IPv4 address")
		}
		if !Public(net.IP(a.AsSlice())) {
			return errors.New("not a public address")
		}
		return nil
	}
	for _, sn := range specialNames {
		if name == sn || strings.HasSuffix(name, "."+sn) {
			return errors.New("a special-use name (" + sn + ")")
		}
	}
	return nil
}

// ldh reports whether l is a DNS label of letters, digits and hyphens
// (RFC 1123 §2.1), lowercased: 1-63 characters, no hyphen at either end.
func ldh(l string) bool {
	if len(l) == 0 || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
		return false
	}
	for i := 0; i < len(l); i++ {
		c := l[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// numeric reports whether a label is a number to a WHATWG URL parser's
// IPv4 reading ("ends in a number"): decimal digits, or 0x followed by hex
// digits (or nothing).
func numeric(l string) bool {
	if rest, ok := strings.CutPrefix(l, "0x"); ok {
		return strings.Trim(rest, "0123456789abcdef") == ""
	}
	return strings.Trim(l, "0123456789") == ""
}
