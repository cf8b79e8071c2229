package netcheck

import (
	"net"
	"testing"
)

func TestPublic(t *testing.T) {
	for ip, want := range map[string]bool{
		"8.8.8.8": true, "2606:4700::1111": true,
		"127.0.0.1": false, "10.1.2.3": false, "172.16.0.1": false, "192.168.1.1": false,
		"169.254.169.254": false, "100.64.0.1": false, "0.0.0.0": false, "::1": false,
		"fc00::1": false, "fe80::1": false, "224.0.0.1": false, "::ffff:127.0.0.1": false,

		// Reserved IPv4 ranges.
		"0.0.0.1":         false, // this network, RFC 1122
		"192.0.0.1":       false, // IETF protocol assignments, RFC 6890
		"192.0.0.170":     false,
		"198.18.0.1":      false, // benchmarking, RFC 2544
		"198.19.255.254":  false,
		"240.0.0.1":       false, // reserved
		"255.255.255.255": false,
		"198.20.0.1":      true, // just past 198.18.0.0/15
		"1.1.1.1":         true,
		"192.0.1.1":       true, // just past 192.0.0.0/24

		// IPv4-mapped ::ffff:0:0/96.
		"::ffff:169.254.169.254": false,
		"::ffff:8.8.8.8":         true,

		// NAT64 64:ff9b::/96, RFC 6052: judged by the last 32 bits.
		"64:ff9b::a9fe:a9fe":       false, // 169.254.169.254
		"64:ff9b::7f00:1":          false, // 127.0.0.1
		"64:ff9b::a00:1":           false, // 10.0.0.1
		"64:ff9b::169.254.169.254": false,
		"64:ff9b::808:808":         true, // 8.8.8.8
		// Local-use NAT64 64:ff9b:1::/48, RFC 8215: refused whatever it embeds.
		"64:ff9b:1::808:808": false,
		"64:ff9b:1::7f00:1":  false,

		// IPv4-compatible ::/96, deprecated.
		"::7f00:1":    false, // 127.0.0.1
		"::a9fe:a9fe": false, // 169.254.169.254
		"::":          false,
		"::808:808":   true, // 8.8.8.8

		// 6to4 2002::/16, RFC 3056: judged by bits 16-47.
		"2002:a9fe:a9fe::1": false, // 169.254.169.254
		"2002:7f00:1::":     false, // 127.0.0.1
		"2002:c0a8:101::1":  false, // 192.168.1.1
		"2002:808:808::1":   true,  // 8.8.8.8

		// Teredo 2001::/32, RFC 4380: refused whatever it embeds.
		"2001:0:4136:e378:8000:63bf:3fff:fdd2": false,
		"2001::1":                              false,
		"2001:4860:4860::8888":                 true, // Google DNS: 2001:4860::/32, not Teredo
	} {
		if got := Public(net.ParseIP(ip)); got != want {
			t.Errorf("Public(%s) = %v; want %v", ip, got, want)
		}
	}
	if Public(nil) || Public(net.IP{1, 2, 3}) {
		t.Errorf("Public accepted a nil or malformed IP")
	}
}

// PublicHost refuses every spelling of a non-public host that a resolver
// or a URL parser would read as one (security issue item 9).
func TestPublicHost(t *testing.T) {
	for host, want := range map[string]bool{
		"client.example.com": true, "CLIENT.Example.COM": true, "client.example.com.": true, "xn--bcher-kva.example": true,
		"8.8.8.8": true, "2606:4700::1111": true, "a-b.example": true, "1example.com": true,

		"localhost": false, "LOCALHOST": false, "localhost.": false, "sub.localhost": false, "sub.localhost.": false,
		"printer.local": false, "db.internal": false, "nas.home.arpa": false, "x.test": false, "x.onion": false,
		"127.0.0.1": false, "127.1": false, "127.0.1": false, "2130706433": false, "0x7f000001": false, "0x7F000001": false,
		"0177.0.0.1": false, "017700000001": false, "127.0.0.1.": false, "10.0.0.1": false, "169.254.169.254": false,
		"0x": false, "08.8.8.8": false, "8.8.8.8.8": false, "1.2.3.4.example.256": false,
		"::1": false, "fe80::1%lo": false, "fe80::1%25lo": false, "::ffff:127.0.0.1": false, "fc00::1": false,
		"": false, ".": false, "a..example": false, "-a.example": false, "a-.example": false, "a_b.example": false,
		"１２７.０.０.１": false, "ex ample.com": false, "exämple.com": false,
	} {
		if got := PublicHost(host) == nil; got != want {
			t.Errorf("PublicHost(%q) = %v; want public %v", host, PublicHost(host), want)
		}
	}
}
