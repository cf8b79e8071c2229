package server

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// router matches requests against the server's routes. It does what the
// routes need of http.ServeMux's patterns and no more: a method and a path
// of literal segments and whole-segment wildcards ({name}, never empty); a
// GET route also answers HEAD; a path that matches only routes of other
// methods is a 405 with their methods. Paths match segment by segment after
// unescaping, as ServeMux matches; a path ServeMux would redirect to its
// clean form (a doubled slash, a dot segment) matches nothing, and an
// escaped dot segment is a value like any other, as in ServeMux.
//
// Why not ServeMux: registering the 38 routes (parsing each pattern,
// checking it against the others, recording the caller's file and line)
// ran on every Go instance's start, in the first request's time
// (README, Performance: about 15 ms of a first request of about 100). This
// departs from STYLE.md, which has ServeMux as the router, for that
// measured cost only: the patterns keep ServeMux's syntax, and
// TestRouterMatchesLikeServeMux holds the router to ServeMux's answers for
// every route. No two routes of one method may match the same path
// (TestRoutesDoNotOverlap), so the order of registration never decides.
type router struct {
	routes []route
}

type route struct {
	method  string
	pattern string   // as registered, for the request log
	segs    []string // "{name}" is a wildcard
	h       http.Handler
	cors    corsRule // who may read the answers from another origin (cors.go)
}

// handle registers h for pattern, "METHOD /path/{wildcard}/...".
func (rt *router) handle(pattern string, h http.Handler) { rt.handleCORS(pattern, h, corsNone) }

// handleCORS registers h for pattern, its answers readable from other
// origins by rule (withCORS); corsRoutes adds the path's preflight.
func (rt *router) handleCORS(pattern string, h http.Handler, rule corsRule) {
	method, path, ok := strings.Cut(pattern, " ")
	if !ok || !strings.HasPrefix(path, "/") {
		panic("server: bad route pattern " + pattern)
	}
	rt.routes = append(rt.routes, route{method: method, pattern: pattern, segs: strings.Split(path[1:], "/"), h: withCORS(h, rule), cors: rule})
}

// match returns the route for r, having set r's path values from its
// wildcards and r.Pattern to the route's pattern, as ServeMux does; or nil
// and the methods the path allows (nil: no such path).
func (rt *router) match(r *http.Request) (*route, []string) {
	path := r.URL.EscapedPath()
	if !strings.HasPrefix(path, "/") {
		return nil, nil
	}
	segs := strings.Split(path[1:], "/")
	for i, s := range segs {
		u, err := url.PathUnescape(s)
		if err != nil || s == "." || s == ".." {
			return nil, nil
		}
		segs[i] = u
	}
	method := r.Method
	if method == http.MethodHead {
		method = http.MethodGet
	}
	var allow []string
	for i := range rt.routes {
		rr := &rt.routes[i]
		if !rr.matches(segs) {
			continue
		}
		if rr.method == method {
			for j, s := range rr.segs {
				if isWildcard(s) {
					r.SetPathValue(s[1:len(s)-1], segs[j])
				}
			}
			r.Pattern = rr.pattern
			return rr, nil
		}
		allow = append(allow, rr.method)
		if rr.method == http.MethodGet {
			allow = append(allow, http.MethodHead)
		}
	}
	slices.Sort(allow)
	return nil, slices.Compact(allow)
}

// matches reports whether the path segments fit the route's.
func (rr *route) matches(segs []string) bool {
	if len(segs) != len(rr.segs) {
		return false
	}
	for i, s := range rr.segs {
		if isWildcard(s) {
			if segs[i] == "" {
				return false
			}
		} else if s != segs[i] {
			return false
		}
	}
	return true
}

func isWildcard(seg string) bool {
	return len(seg) > 2 && seg[0] == '{' && seg[len(seg)-1] == '}'
}
