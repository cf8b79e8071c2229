package authz

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/edgeauth/edgeauth/internal/syntax"
	"github.com/edgeauth/edgeauth/jwks"
	"github.com/edgeauth/edgeauth/storage"
)

// Defaults applied where a tenant's settings leave a field zero.
const (
	DefaultAccessTokenTTL  = 10 * time.Minute
	DefaultRefreshTokenTTL = 30 * 24 * time.Hour
	DefaultRotationPeriod  = 30 * 24 * time.Hour
	DefaultSigningAlg      = "ES256"
)

// The access-token lifetimes a tenant or a client may set. The key
// schedule assumes no token lives longer than MaxAccessTokenTTL.
const (
	MinAccessTokenTTL = time.Minute
	MaxAccessTokenTTL = 24 * time.Hour
)

// KeyPolicy is the rotation schedule of tenant t. Tokens of a retired key
// are assumed to live as long as any access token can (MaxAccessTokenTTL: a
// client may override the tenant's lifetime up to that), so no valid token
// ever loses its key.
func KeyPolicy(t storage.Tenant) jwks.Policy {
	p := jwks.Policy{Alg: SigningAlg(t), Period: DefaultRotationPeriod, MaxTokenLifetime: MaxAccessTokenTTL}
	if t.Settings.RotationPeriod > 0 {
		p.Period = time.Duration(t.Settings.RotationPeriod) * time.Second
	}
	return p
}

// SigningAlg is the access-token algorithm of tenant t.
func SigningAlg(t storage.Tenant) string {
	if t.Settings.SigningAlg != "" {
		return t.Settings.SigningAlg
	}
	return DefaultSigningAlg
}

// JWKS answers the tenant's JSON Web Key Set: the public halves of its
// next, current and retired keys, from KV when published there
// (jwks.Publisher). Its max-age is short enough that a verifier sees a next
// key well before it signs.
func (s *Server) JWKS(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	id := r.PathValue("tenant")
	d, until, err := s.jwksDocs.Get(ctx, id, func(ctx context.Context) (jwks.Doc, error) {
		if d, ok := s.cfg.Keys.Lookup(ctx, id); ok && syntax.ValidTenantID(id) {
			return d, nil
		}
		t, err := s.Tenant(ctx, r)
		if err != nil {
			return jwks.Doc{}, err
		}
		// Nothing stale was in KV: a document that could not be stored
		// there is still the right answer.
		d, err := s.cfg.Keys.Build(ctx, t.ID, KeyPolicy(t).CacheLifetime())
		if len(d.JSON) > 0 {
			return d, nil
		}
		return jwks.Doc{}, err
	})
	if err != nil {
		return err
	}
	s.writeDocument(w, r, document{"application/jwk-set+json", fmt.Sprintf("public, max-age=%d", d.MaxAge), d.JSON, until})
	return nil
}
