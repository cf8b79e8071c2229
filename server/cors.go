package server

import (
	"net/http"
	"slices"
	"strings"
)

// CORS (the Fetch standard's cross-origin rules) for the endpoints a
// browser-based client calls from a page of its own origin: discovery, the
// JWKS, registration, the token, revocation and device authorization
// endpoints, userinfo. The router answers their preflights (OPTIONS) and
// says, per route, which origins may read the answers.
//
// Why it is safe to let pages of any origin send these requests: none of
// them rests on anything the browser adds by itself. Credentials are never
// allowed cross-origin (no Access-Control-Allow-Credentials, so no cookie
// is sent), and every credential these endpoints take (a client id and
// secret, a bearer token, a code and its verifier) is one the page holds
// and sends itself, as any other HTTP client could. The browser flow's
// pages (/authorize, /login, /consent, /device) are navigations, never
// fetched, and answer no preflight.

// corsRule says which origins may read a route's answers.
type corsRule uint8

const (
	// corsNone: no CORS; a browser gets no preflight answer.
	corsNone corsRule = iota
	// corsAnyOrigin: every origin may read every answer, errors included
	// (Access-Control-Allow-Origin: *): public documents, and endpoints
	// whose only credential is one the page sends (userinfo's bearer
	// token, registration's initial access token).
	corsAnyOrigin
	// corsClient: the endpoint decides who reads its answer once it knows
	// the client (authz: the origins of a public client's redirect URIs);
	// the preflight lets any origin ask, since a preflight names no client.
	corsClient
)

// corsMaxAge is how long a browser may keep a preflight's answer (seconds).
const corsMaxAge = "600"

// exposedHeaders are the answer headers a page may read besides the
// CORS-safelisted ones: why a token was refused, when to try again.
const exposedHeaders = "WWW-Authenticate, Retry-After"

// corsRoutes registers, for every path of a route given a CORS rule, an
// OPTIONS route that answers the preflight for the methods the path has.
func (rt *router) corsRoutes() {
	type path struct {
		pattern string
		rule    corsRule
		methods []string
	}
	var paths []*path
	for _, r := range rt.routes {
		if r.cors == corsNone {
			continue
		}
		p := strings.TrimPrefix(r.pattern, r.method+" ")
		i := slices.IndexFunc(paths, func(q *path) bool { return q.pattern == p })
		if i < 0 {
			paths = append(paths, &path{pattern: p, rule: r.cors})
			i = len(paths) - 1
		}
		if paths[i].rule != r.cors {
			panic("server: the routes of " + p + " have different CORS rules")
		}
		paths[i].methods = append(paths[i].methods, r.method)
		if r.method == http.MethodGet {
			paths[i].methods = append(paths[i].methods, http.MethodHead)
		}
	}
	for _, p := range paths {
		rt.handle("OPTIONS "+p.pattern, preflight(p.methods, p.rule))
	}
}

// preflight answers a CORS preflight (Fetch standard, CORS protocol) for
// a path whose routes take methods: 204, and, when the request is a
// preflight for one of those methods with header names that are tokens,
// the CORS headers that let the page send it. The headers asked for are
// allowed as asked (a page may send any header of its own, such as
// MCP-Protocol-Version, and the endpoints read only theirs); listing them
// rather than answering "*" covers Authorization, which "*" does not.
func preflight(methods []string, rule corsRule) http.Handler {
	allow := strings.Join(methods, ", ")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Allow", allow+", OPTIONS")
		h.Set("Vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers")
		origin := r.Header.Get("Origin")
		headers, ok := requestedHeaders(r.Header.Values("Access-Control-Request-Headers"))
		if origin != "" && ok && slices.Contains(methods, r.Header.Get("Access-Control-Request-Method")) {
			if rule == corsAnyOrigin {
				origin = "*"
			}
			h.Set("Access-Control-Allow-Origin", origin)
			h.Set("Access-Control-Allow-Methods", allow)
			if headers != "" {
				h.Set("Access-Control-Allow-Headers", headers)
			}
			h.Set("Access-Control-Max-Age", corsMaxAge)
		}
		w.WriteHeader(http.StatusNoContent)
	})
}

// Bounds of a preflight's Access-Control-Request-Headers.
const (
	maxRequestedHeaders   = 32
	maxRequestedHeaderLen = 1024
)

// requestedHeaders reads Access-Control-Request-Headers: header names
// separated by commas. ok is false when it is not that (a name that is not
// an RFC 9110 token, too many or too long), and the preflight then allows
// nothing.
func requestedHeaders(values []string) (string, bool) {
	raw := strings.Join(values, ",")
	if len(raw) > maxRequestedHeaderLen {
		return "", false
	}
	var names []string
	for _, n := range strings.Split(raw, ",") {
		n = strings.ToLower(strings.TrimSpace(n))
		if n == "" {
			continue
		}
		if !isToken(n) || len(names) == maxRequestedHeaders {
			return "", false
		}
		names = append(names, n)
	}
	slices.Sort(names)
	return strings.Join(slices.Compact(names), ", "), true
}

// isToken reports whether s is an RFC 9110 §5.6.2 token.
func isToken(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return s != ""
}

// withCORS sets, before h runs, the headers that let any origin read the
// answer of a corsAnyOrigin route, errors included. corsClient routes
// allow their origin themselves, once they know the client; the headers a
// page may read are the same for both.
func withCORS(h http.Handler, rule corsRule) http.Handler {
	if rule == corsNone {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rule == corsAnyOrigin {
			w.Header().Set("Access-Control-Allow-Origin", "*")
		}
		w.Header().Set("Access-Control-Expose-Headers", exposedHeaders)
		h.ServeHTTP(w, r)
	})
}
