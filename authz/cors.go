package authz

import (
	"net/http"
	"net/url"
	"slices"

	"github.com/edgeauth/edgeauth/storage"
)

// allowOrigin lets a browser-based public client read the answer: the
// request's Origin must be the origin of one of its registered redirect
// URIs. Credentials are never allowed, and confidential clients get no
// CORS at all (they do not belong in a browser).
func (s *Server) allowOrigin(w http.ResponseWriter, r *http.Request, client storage.Client) {
	origin := r.Header.Get("Origin")
	w.Header().Add("Vary", "Origin")
	if origin == "" || client.TokenEndpointAuthMethod != "none" {
		return
	}
	for _, ru := range client.RedirectURIs {
		u, err := url.Parse(ru)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") {
			continue
		}
		if u.Scheme+"://"+u.Host == origin {
			w.Header().Set("Access-Control-Allow-Origin", origin)
			return
		}
	}
}

// preflight answers CORS preflight requests of the token and revocation
// endpoints. Which origin may read the actual answer is decided there, per
// client; the preflight only allows the method and Content-Type.
func (s *Server) preflight(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Add("Vary", "Origin")
	if origin := r.Header.Get("Origin"); origin != "" && slices.Contains(r.Header.Values("Access-Control-Request-Method"), "POST") {
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Allow-Methods", "POST")
		h.Set("Access-Control-Allow-Headers", "Content-Type")
		h.Set("Access-Control-Max-Age", "600")
	}
	w.WriteHeader(http.StatusNoContent)
}
