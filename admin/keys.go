package admin

import (
	"context"
	"errors"
	"net/http"

	"github.com/edgeauth/edgeauth/authz"
	"github.com/edgeauth/edgeauth/jwks"
	"github.com/edgeauth/edgeauth/storage"
)

type keyResponse struct {
	KID         string  `json:"kid"`
	Alg         string  `json:"alg"`
	Use         string  `json:"use"`
	State       string  `json:"state"`
	CreatedAt   *string `json:"created_at"`
	ActivatedAt *string `json:"activated_at,omitempty"`
	RetiredAt   *string `json:"retired_at,omitempty"`
}

// ListKeys lists the tenant's keys with their states and dates; never
// private material.
func (a *API) ListKeys(w http.ResponseWriter, r *http.Request) error {
	t, err := a.tenant(r)
	if err != nil {
		return err
	}
	keys, err := a.cfg.Store.ListKeys(r.Context(), t.ID)
	if err != nil {
		return err
	}
	out := make([]keyResponse, len(keys))
	for i, k := range keys {
		out[i] = keyResponse{KID: k.KID, Alg: k.Alg, Use: string(k.Use), State: string(k.State),
			CreatedAt: authz.TimeJSON(k.CreatedAt), ActivatedAt: authz.TimeJSON(k.ActivatedAt), RetiredAt: authz.TimeJSON(k.RetiredAt)}
	}
	authz.WriteJSON(w, http.StatusOK, map[string]any{"keys": out})
	return nil
}

// RotateKeys is the admin "rotate now": the published next key signs at
// once, the current one is retired, a new next key is made.
func (a *API) RotateKeys(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	t, err := a.tenant(r)
	if err != nil {
		return err
	}
	if err := a.rotator().RotateNow(ctx, t.ID, authz.KeyPolicy(t), a.az.Now()); err != nil {
		return err
	}
	a.cfg.Audit.Record(ctx, t.ID, "key.rotated", "admin", t.ID, nil)
	if err := a.publish(ctx, t); err != nil {
		return err
	}
	return a.ListKeys(w, r)
}

// RevokeKey drops a key at once, for compromise: it leaves the JWKS, the
// tokens it signed stop verifying at introspection, and if it was signing
// the next key takes over. The JWKS is republished from D1 whatever the
// revocation's outcome: one that failed after deleting the key, or a retry
// that finds it gone (404), must not leave it published.
func (a *API) RevokeKey(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	t, err := a.tenant(r)
	if err != nil {
		return err
	}
	kid := r.PathValue("kid")
	err = a.rotator().Revoke(ctx, t.ID, kid, authz.KeyPolicy(t), a.az.Now())
	if err == nil {
		a.cfg.Audit.Record(ctx, t.ID, "key.revoked", "admin", kid, nil)
	}
	if perr := a.publish(ctx, t); perr != nil && (err == nil || errors.Is(err, storage.ErrNotFound)) {
		err = perr
	}
	if err != nil {
		return authz.StorageError(err, "key")
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) rotator() *jwks.Rotator {
	return &jwks.Rotator{Store: a.cfg.Store, Sealer: a.cfg.Sealer, Rand: a.cfg.Rand}
}

// publish republishes the tenant's JWKS after a key change.
func (a *API) publish(ctx context.Context, t storage.Tenant) error {
	return a.cfg.Keys.Publish(ctx, t.ID, authz.KeyPolicy(t).CacheLifetime())
}
