// Package safehttp builds the HTTP transport the native server uses to fetch
// what clients point it at (Client ID Metadata Documents): it refuses to
// connect to anything but public unicast addresses, checked after DNS
// resolution at dial time, so a public name that resolves to 10.0.0.1 or
// 127.0.0.1 is refused too (DNS rebinding included: the check runs on the
// address actually dialled).
package safehttp

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"syscall"
	"time"

	"github.com/edgeauth/edgeauth/internal/netcheck"
)

// ErrForbiddenAddress is returned when a connection would go to a
// non-public address.
var ErrForbiddenAddress = errors.New("safehttp: address is not public")

// NewTransport returns a transport that dials only public unicast
// addresses, with timeout bounding the dial, the TLS handshake and the
// wait for response headers. allowLoopback also allows loopback addresses:
// for development and tests on one machine, never in production.
func NewTransport(allowLoopback bool, timeout time.Duration) *http.Transport {
	dialer := &net.Dialer{
		Timeout: timeout,
		Control: func(network, address string, _ syscall.RawConn) error {
			host, _, err := net.SplitHostPort(address)
			if err != nil {
				return err
			}
			ip := net.ParseIP(host)
			if ip == nil {
				return fmt.Errorf("%w: %s", ErrForbiddenAddress, host)
			}
			if allowLoopback && ip.IsLoopback() {
				return nil
			}
			if !netcheck.Public(ip) {
				return fmt.Errorf("%w: %s", ErrForbiddenAddress, ip)
			}
			return nil
		},
	}
	return &http.Transport{
		DialContext:           dialer.DialContext,
		Proxy:                 nil, // a proxy would dial for us, unchecked
		TLSHandshakeTimeout:   timeout,
		ResponseHeaderTimeout: timeout,
		MaxIdleConns:          10,
		IdleConnTimeout:       30 * time.Second,
	}
}
