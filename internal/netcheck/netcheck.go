// Package netcheck classifies IP addresses for SSRF defences. It is shared
// by authz (URL checks, on every runtime) and internal/safehttp (dial-time
// checks natively), and imports only the standard library.
//
// Public refuses, for IPv4:
//   - 0.0.0.0/8, "this network" (RFC 1122), including 0.0.0.0
//   - 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, private (RFC 1918)
//   - 100.64.0.0/10, carrier-grade NAT (RFC 6598)
//   - 127.0.0.0/8, loopback
//   - 169.254.0.0/16, link-local, cloud metadata services among them
//   - 192.0.0.0/24, IETF protocol assignments (RFC 6890)
//   - 198.18.0.0/15, benchmarking (RFC 2544)
//   - 224.0.0.0/4, multicast
//   - 240.0.0.0/4, reserved, and the broadcast address 255.255.255.255
//
// and for IPv6:
//   - ::, unspecified, and ::1, loopback
//   - fc00::/7, unique local (RFC 4193)
//   - fe80::/10, link-local
//   - ff00::/8, multicast
//   - 64:ff9b:1::/48, local-use NAT64 (RFC 8215)
//   - 2001::/32, Teredo (RFC 4380), whatever the addresses it embeds
//
// IPv6 addresses that embed an IPv4 address are judged by that address:
// IPv4-mapped ::ffff:0:0/96 (RFC 4291), IPv4-compatible ::/96 (deprecated,
// RFC 4291), NAT64 64:ff9b::/96 (RFC 6052), all three by their last 32
// bits, and 6to4 2002::/16 (RFC 3056) by bits 16-47. So 64:ff9b::7f00:1
// (127.0.0.1 through a NAT64 gateway) is refused and 64:ff9b::808:808
// (8.8.8.8) is public.
package netcheck

import (
	"net"
	"net/netip"
)

// Refused IPv4 ranges beyond what netip.Addr's methods classify.
var reserved4 = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),     // "this network", RFC 1122 §3.2.1.3
	netip.MustParsePrefix("100.64.0.0/10"), // carrier-grade NAT, RFC 6598
	netip.MustParsePrefix("192.0.0.0/24"),  // IETF protocol assignments, RFC 6890
	netip.MustParsePrefix("198.18.0.0/15"), // benchmarking, RFC 2544
	netip.MustParsePrefix("240.0.0.0/4"),   // reserved, RFC 1112 §4; with 255.255.255.255
}

// IPv6 prefixes that embed or hide an IPv4 address.
var (
	nat64      = netip.MustParsePrefix("64:ff9b::/96")   // RFC 6052: IPv4 in the last 32 bits
	nat64Local = netip.MustParsePrefix("64:ff9b:1::/48") // RFC 8215: local-use, refused
	ipv4Compat = netip.MustParsePrefix("::/96")          // RFC 4291 §2.5.5.1: IPv4 in the last 32 bits
	sixToFour  = netip.MustParsePrefix("2002::/16")      // RFC 3056: IPv4 in bits 16-47
	teredo     = netip.MustParsePrefix("2001::/32")      // RFC 4380: refused
)

// Public reports whether ip is a public unicast address: none of the
// ranges listed in the package comment, directly or embedded in IPv6. A nil
// or malformed ip is not public.
func Public(ip net.IP) bool {
	a, ok := netip.AddrFromSlice(ip)
	if !ok {
		return false
	}
	a = a.Unmap() // IPv4-mapped ::ffff:a.b.c.d is a.b.c.d
	if a.Is4() {
		return public4(a)
	}
	b := a.As16()
	switch {
	case nat64.Contains(a), ipv4Compat.Contains(a):
		return public4(netip.AddrFrom4([4]byte(b[12:16])))
	case sixToFour.Contains(a):
		return public4(netip.AddrFrom4([4]byte(b[2:6])))
	case nat64Local.Contains(a), teredo.Contains(a):
		return false
	}
	return publicUnicast(a)
}

func public4(a netip.Addr) bool {
	for _, p := range reserved4 {
		if p.Contains(a) {
			return false
		}
	}
	return publicUnicast(a)
}

// publicUnicast applies the classifications both families share: not
// unspecified, loopback, multicast, link-local or private.
func publicUnicast(a netip.Addr) bool {
	return a.IsGlobalUnicast() && !a.IsPrivate() && !a.IsLoopback() && !a.IsLinkLocalUnicast()
}
