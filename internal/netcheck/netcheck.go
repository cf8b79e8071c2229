// Package netcheck classifies IP addresses for SSRF defences. It is shared
// by authz (URL checks, on every runtime) and internal/safehttp (dial-time
// checks natively), and imports only the standard library.
package netcheck

import "net"

// Public reports whether ip is a public unicast address: not loopback,
// private (RFC 1918, RFC 4193), link-local, multicast, unspecified, or
// carrier-grade NAT (RFC 6598).
func Public(ip net.IP) bool {
	if ip4 := ip.To4(); ip4 != nil && ip4[0] == 100 && ip4[1]&0xc0 == 64 {
		return false
	}
	return ip.IsGlobalUnicast() && !ip.IsPrivate() && !ip.IsLoopback() && !ip.IsLinkLocalUnicast()
}
