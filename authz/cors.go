package authz

import (
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/edgeauth/edgeauth/storage"
)

// allowOrigin lets a browser-based public client read the answer: the
// request's Origin must be the origin of one of its registered redirect
// URIs (compared as webOrigin says). Credentials are never allowed, and
// confidential clients get no CORS at all (they do not belong in a
// browser).
func (s *Server) allowOrigin(w http.ResponseWriter, r *http.Request, client storage.Client) {
	origin := r.Header.Get("Origin")
	w.Header().Add("Vary", "Origin")
	if origin == "" || client.TokenEndpointAuthMethod != "none" {
		return
	}
	want, ok := webOrigin(origin)
	if !ok {
		return
	}
	for _, ru := range client.RedirectURIs {
		if got, ok := webOrigin(ru); ok && got == want {
			w.Header().Set("Access-Control-Allow-Origin", origin)
			return
		}
	}
}

// webOrigin is the origin (RFC 6454 §4) of an http or https URL, in a form
// two can be compared in: scheme and host in lower case, without the
// scheme's default port, and without any port for http on a loopback IP
// literal, which matches whatever the port at the authorization endpoint
// too (redirectURIMatches, RFC 8252 §7.3): a page served on another port
// of the loopback host than the one registered gets its code, and can
// redeem it. ok is false for anything else (an opaque origin, "null").
func webOrigin(raw string) (string, bool) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil {
		return "", false
	}
	scheme, host, port := strings.ToLower(u.Scheme), strings.ToLower(u.Hostname()), u.Port()
	switch {
	case scheme != "http" && scheme != "https":
		return "", false
	case scheme == "https" && port == "443", scheme == "http" && port == "80":
		port = ""
	}
	if ip := net.ParseIP(host); scheme == "http" && ip != nil && ip.IsLoopback() {
		port = ""
	}
	return scheme + "://" + net.JoinHostPort(host, port), true
}

// anyOrigin lets every origin read an answer: a public document, or one
// whose only credential is an access token the page itself sends in the
// Authorization header. Nothing ambient is allowed (no cookies: no
// Access-Control-Allow-Credentials).
func anyOrigin(w http.ResponseWriter) {
	w.Header().Set("Access-Control-Allow-Origin", "*")
}
