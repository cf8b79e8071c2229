package authz

import (
	"net/http"
	"net/url"

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

// anyOrigin lets every origin read an answer: a public document, or one
// whose only credential is an access token the page itself sends in the
// Authorization header. Nothing ambient is allowed (no cookies: no
// Access-Control-Allow-Credentials).
func anyOrigin(w http.ResponseWriter) {
	w.Header().Set("Access-Control-Allow-Origin", "*")
}
