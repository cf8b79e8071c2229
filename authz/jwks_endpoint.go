package authz

import (
	"fmt"
	"net/http"
	"time"

	"github.com/edgeauth/edgeauth/jwks"
)

// serveJWKS answers the tenant's JSON Web Key Set: the public halves of its
// next, current and retired keys. Its max-age is short enough that a
// verifier sees a next key well before it signs (DESIGN.md, Keys).
func (s *Server) serveJWKS(w http.ResponseWriter, r *http.Request) error {
	t, err := s.tenant(r.Context(), r)
	if err != nil {
		return err
	}
	keys, err := s.cfg.Store.ListKeys(r.Context(), t.ID)
	if err != nil {
		return err
	}
	doc, err := jwks.Document(jwks.Published(keys))
	if err != nil {
		return err
	}
	maxAge := jwks.CacheMaxAge(s.rotationPeriod(t.Settings.RotationPeriod))
	h := w.Header()
	h.Set("Content-Type", "application/jwk-set+json")
	h.Set("Cache-Control", fmt.Sprintf("public, max-age=%d", int(maxAge/time.Second)))
	w.WriteHeader(http.StatusOK)
	w.Write(doc)
	return nil
}

func (s *Server) rotationPeriod(seconds int64) time.Duration {
	if seconds <= 0 {
		return DefaultRotationPeriod
	}
	return time.Duration(seconds) * time.Second
}
