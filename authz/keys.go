package authz

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/edgeauth/edgeauth/jwks"
	"github.com/edgeauth/edgeauth/storage"
	"github.com/edgeauth/edgeauth/storage/storecache"
)

// policy is the rotation schedule of tenant t. Tokens of a retired key are
// assumed to live as long as any access token can (maxAccessTTL, a client
// may override the tenant's lifetime up to that), so no valid token ever
// loses its key.
func (s *Server) policy(t storage.Tenant) jwks.Policy {
	return jwks.Policy{
		Alg:              s.signingAlg(t),
		Period:           s.rotationPeriod(t.Settings.RotationPeriod),
		MaxTokenLifetime: maxAccessTTL * time.Second,
	}
}

func (s *Server) rotator() *jwks.Rotator {
	return &jwks.Rotator{Store: s.cfg.Store, Sealer: s.cfg.Sealer, Rand: s.cfg.Rand}
}

// jwksCache is the JWKS answer as kept in KV under "jwks:<tenant>".
type jwksCache struct {
	Doc    json.RawMessage `json:"doc"`
	MaxAge int64           `json:"max_age"`
}

// publishJWKS rebuilds the tenant's JWKS document and puts it in KV. It
// runs after every key change. KV is eventually consistent: other
// locations see the new document within about a minute, and never later
// than the document's own max-age (the KV entry expires then).
//
// A key change must not leave the old document in KV (after a revocation
// it lists the compromised key): if the put fails the entry is deleted, so
// the next read rebuilds it from D1, and if that fails too the error is
// returned.
func (s *Server) publishJWKS(ctx context.Context, t storage.Tenant) error {
	// The key change bumped the cache generation when it reached D1, but
	// a read in this isolate before the KV write can still fill its memo
	// (and the pool's reuse) with the old document: bump again once KV
	// holds the new one.
	if s.cache != nil {
		defer s.cache.Changed()
	}
	_, err := s.putJWKS(ctx, t)
	return err
}

// putJWKS is publishJWKS without telling the caches: serveJWKS uses it
// when KV has no document, which is no change. The document it returns is
// valid whenever it could be built, even with an error from KV.
func (s *Server) putJWKS(ctx context.Context, t storage.Tenant) (jwksCache, error) {
	keys, err := s.cfg.Store.ListKeys(ctx, t.ID)
	if err != nil {
		return jwksCache{}, err
	}
	doc, err := jwks.Document(jwks.Published(keys))
	if err != nil {
		return jwksCache{}, err
	}
	maxAge := s.policy(t).CacheLifetime()
	c := jwksCache{Doc: doc, MaxAge: int64(maxAge / time.Second)}
	b, err := json.Marshal(c)
	if err != nil {
		return jwksCache{}, err
	}
	if err := s.cfg.KV.Put(ctx, "jwks:"+t.ID, b, max(maxAge, storage.MinKVTTL)); err != nil {
		s.log.WarnContext(ctx, "caching the JWKS in KV failed", "tenant", t.ID, "err", err)
		if derr := s.cfg.KV.Delete(ctx, "jwks:"+t.ID); derr != nil {
			return c, fmt.Errorf("authz: the JWKS of %s could be neither stored nor cleared in KV: %w", t.ID, errors.Join(err, derr))
		}
	}
	return c, nil
}

// serveJWKS answers the tenant's JSON Web Key Set: the public halves of its
// next, current and retired keys, from KV when cached there. Its max-age is
// short enough that a verifier sees a next key well before it signs.
func (s *Server) serveJWKS(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	id := r.PathValue("tenant")
	v, until, err := s.memoUntil(ctx, "jwks\x00"+id, func(ctx context.Context) (any, error) {
		var c jwksCache
		b, err := s.cfg.KV.Get(ctx, "jwks:"+id)
		if err == nil && validTenantID(id) && json.Unmarshal(b, &c) == nil && len(c.Doc) > 0 {
			return c, nil
		}
		t, err := s.tenant(ctx, r)
		if err != nil {
			return nil, err
		}
		// Nothing stale was in KV: a document that could not be stored
		// there is still the right answer.
		if c, err := s.putJWKS(ctx, t); len(c.Doc) > 0 {
			return c, nil
		} else {
			return nil, err
		}
	})
	if err != nil {
		return err
	}
	c := v.(jwksCache)
	s.writeDocument(w, r, "application/jwk-set+json", fmt.Sprintf("public, max-age=%d", c.MaxAge), c.Doc, until)
	return nil
}

func (s *Server) rotationPeriod(seconds int64) time.Duration {
	if seconds <= 0 {
		return DefaultRotationPeriod
	}
	return time.Duration(seconds) * time.Second
}

// rotateKeys is the admin "rotate now": the published next key signs at
// once, the current one is retired, a new next key is made.
func (s *Server) rotateKeys(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	t, err := s.tenant(ctx, r)
	if err != nil {
		return err
	}
	if err := s.rotator().RotateNow(ctx, t.ID, s.policy(t), s.now()); err != nil {
		return err
	}
	s.audit(ctx, t.ID, "key.rotated", "admin", t.ID, nil)
	if err := s.publishJWKS(ctx, t); err != nil {
		return err
	}
	return s.listKeys(w, r)
}

// revokeKey drops a key at once, for compromise: it leaves the JWKS, the
// tokens it signed stop verifying at introspection, and if it was signing
// the next key takes over. The JWKS is republished from D1 whatever the
// revocation's outcome: one that failed after deleting the key, or a retry
// that finds it gone (404), must not leave it published.
func (s *Server) revokeKey(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	t, err := s.tenant(ctx, r)
	if err != nil {
		return err
	}
	kid := r.PathValue("kid")
	err = s.rotator().Revoke(ctx, t.ID, kid, s.policy(t), s.now())
	if err == nil {
		s.audit(ctx, t.ID, "key.revoked", "admin", kid, nil)
	}
	if perr := s.publishJWKS(ctx, t); perr != nil && (err == nil || errors.Is(err, storage.ErrNotFound)) {
		err = perr
	}
	if err != nil {
		return storageError(err, "key")
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// RunScheduled is the cron job: it advances every tenant's key schedule,
// republishes the JWKS of tenants whose keys changed, prunes audit events
// older than Config.AuditRetention, and deletes the code redemptions and
// refresh families that have expired (storage.Store.PruneExpired says why
// they can go) and the failed-login streaks that have ended. A failing tenant does not stop the others; the errors are
// joined.
func (s *Server) RunScheduled(ctx context.Context) error {
	ctx = storecache.Fresh(ctx) // the rotator reads, decides and writes
	var errs []error
	if n, err := s.cfg.Store.PruneAudit(ctx, s.now().Add(-s.cfg.AuditRetention)); err != nil {
		errs = append(errs, fmt.Errorf("pruning the audit log: %w", err))
	} else if n > 0 {
		s.log.InfoContext(ctx, "pruned audit events", "count", n)
	}
	if r, f, err := s.cfg.Store.PruneExpired(ctx, s.now()); err != nil {
		errs = append(errs, fmt.Errorf("pruning expired code redemptions and refresh families: %w", err))
	} else if r+f > 0 {
		s.log.InfoContext(ctx, "pruned expired rows", "redemptions", r, "refresh_families", f)
	}
	if n, err := s.cfg.Store.PruneLoginFailures(ctx, s.now().Add(-lockoutWindow)); err != nil {
		errs = append(errs, fmt.Errorf("pruning ended sign-in failure streaks: %w", err))
	} else if n > 0 {
		s.log.InfoContext(ctx, "pruned ended sign-in failure streaks", "count", n)
	}
	after := ""
	for {
		page, err := s.cfg.Store.ListTenants(ctx, after, 100)
		if err != nil {
			return errors.Join(append(errs, err)...)
		}
		for _, t := range page {
			changed, err := s.rotator().Advance(ctx, t.ID, s.policy(t), s.now())
			if err == nil && changed {
				s.audit(ctx, t.ID, "keys.advanced", "cron", t.ID, nil)
				err = s.publishJWKS(ctx, t)
			}
			if err != nil {
				s.log.ErrorContext(ctx, "key rotation failed", "tenant", t.ID, "err", err)
				errs = append(errs, fmt.Errorf("tenant %s: %w", t.ID, err))
			}
		}
		if len(page) < 100 {
			return errors.Join(errs...)
		}
		after = page[len(page)-1].ID
	}
}
