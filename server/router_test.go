//go:build !js

package server

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
)

// serverRoutes returns the routes New registers.
func serverRoutes() []route {
	s := &Server{}
	s.routes()
	return s.mux.routes
}

// routerAndMux registers the patterns of routes with a router and with a
// ServeMux whose handlers name their pattern in an X-Pattern header.
func routerAndMux(routes []route) (*router, *http.ServeMux) {
	rt := &router{}
	mux := http.NewServeMux()
	for _, r := range routes {
		pattern := r.pattern
		rt.handle(pattern, nil)
		mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Pattern", pattern)
		})
	}
	return rt, mux
}

// No two routes of one method match the same path: the router takes the
// first that fits, so otherwise registration order would decide.
func TestRoutesDoNotOverlap(t *testing.T) {
	routes := serverRoutes()
	for i, a := range routes {
		for _, b := range routes[i+1:] {
			if a.method != b.method || len(a.segs) != len(b.segs) {
				continue
			}
			overlap := true
			for k := range a.segs {
				if !isWildcard(a.segs[k]) && !isWildcard(b.segs[k]) && a.segs[k] != b.segs[k] {
					overlap = false
				}
			}
			if overlap {
				t.Errorf("%q and %q match the same paths", a.pattern, b.pattern)
			}
		}
	}
}

// The router answers what http.ServeMux, given the same patterns, answers:
// the same route and path values, or the same 404 or 405 and Allow header;
// except where ServeMux redirects to a cleaned path, which is a 404 here.
func TestRouterMatchesLikeServeMux(t *testing.T) {
	routes := serverRoutes()
	rt, mux := routerAndMux(routes)
	// Every route's path with sample values, then variations of them.
	values := []string{"acme", "a%2Fb", "%41cme", "rotate"}
	paths := []string{"/", "/healthz/", "/nope", "/t/acme", "/t/acme/", "//t/acme/token", "/t/acme//token", "/t/./token",
		"/t/%2E%2E/token", "/t/acme/tok%65n", "/t/acme/token/", "/admin/v1/tenants/", "/admin/v1", "/t//jwks.json", "/t/acme/./token", "/t/acme/../acme/token"}
	for _, r := range routes {
		for _, v := range values {
			segs := slices.Clone(r.segs)
			for i, s := range segs {
				if isWildcard(s) {
					segs[i] = v
				}
			}
			paths = append(paths, "/"+strings.Join(segs, "/"))
		}
	}
	methods := []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}
	checked := 0
	for _, path := range paths {
		for _, method := range methods {
			req := httptest.NewRequest(method, "http://edgeauth.test"+path, nil)
			rec := httptest.NewRecorder()
			mux.ServeHTTP(rec, req)
			muxReq := req
			ours := httptest.NewRequest(method, "http://edgeauth.test"+path, nil)
			got, allow := rt.match(ours)
			switch want := rec.Header().Get("X-Pattern"); {
			case rec.Code == http.StatusMovedPermanently || rec.Code == http.StatusTemporaryRedirect:
				if got != nil || allow != nil {
					t.Errorf("%s %s: ServeMux redirects to a clean path; the router matched %v (allow %v), want a 404", method, path, got, allow)
				}
				continue
			case want != "":
				if got == nil || got.pattern != want {
					t.Errorf("%s %s: ServeMux routes to %q, the router to %v (allow %v)", method, path, want, got, allow)
					continue
				}
				for _, s := range got.segs {
					if isWildcard(s) {
						name := s[1 : len(s)-1]
						if ours.PathValue(name) != muxReq.PathValue(name) {
							t.Errorf("%s %s: %s = %q; ServeMux: %q", method, path, name, ours.PathValue(name), muxReq.PathValue(name))
						}
					}
				}
			case rec.Code == http.StatusMethodNotAllowed:
				if got != nil || strings.Join(allow, ", ") != rec.Header().Get("Allow") {
					t.Errorf("%s %s: ServeMux 405 Allow %q; the router %v, allow %q", method, path, rec.Header().Get("Allow"), got, allow)
				}
			case rec.Code == http.StatusNotFound:
				if got != nil || allow != nil {
					t.Errorf("%s %s: ServeMux 404; the router %v, allow %v", method, path, got, allow)
				}
			default:
				t.Fatalf("%s %s: ServeMux answered %d", method, path, rec.Code)
			}
			checked++
		}
	}
	if checked < len(routes)*len(values)*len(methods)/2 {
		t.Fatalf("only %d cases compared", checked)
	}
}

// Matching a request, the router against ServeMux with the same patterns
// (per request; registration is what the router was written for).
func BenchmarkRouteMatch(b *testing.B) {
	routes := serverRoutes()
	rt, mux := routerAndMux(routes)
	reqs := []*http.Request{
		httptest.NewRequest("POST", "/t/acme/token", nil),
		httptest.NewRequest("GET", "/t/acme/jwks.json", nil),
		httptest.NewRequest("GET", "/.well-known/oauth-authorization-server/t/acme", nil),
		httptest.NewRequest("GET", "/admin/v1/tenants/acme/clients/app", nil),
	}
	b.Run("router", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			rt.match(reqs[i%len(reqs)])
		}
	})
	b.Run("ServeMux", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			mux.Handler(reqs[i%len(reqs)])
		}
	})
	b.Run("register/router", func(b *testing.B) {
		for b.Loop() {
			var r router
			for _, x := range routes {
				r.handle(x.pattern, x.h)
			}
		}
	})
	b.Run("register/ServeMux", func(b *testing.B) {
		for b.Loop() {
			m := http.NewServeMux()
			for _, x := range routes {
				m.Handle(x.pattern, x.h)
			}
		}
	})
}
