package jwks

import (
	"context"
	"fmt"
	"time"

	"github.com/edgeauth/edgeauth/storage"
)

// Bootstrap gives a new tenant its first keys: a current and a next
// access-token key of algorithm alg (the next one published at once, so
// that the first rotation already has a pre-published key), and a current
// RS256 ID-token key, since OIDC Discovery requires RS256 among the
// ID-token algorithms. It returns them in that order.
//
// The current access key is stored first, so a failure in between leaves a
// tenant that can sign; the caller should still undo the tenant. Errors of
// the store are wrapped, so errors.Is(err, storage.ErrNotFound) tells that the
// tenant does not exist. Bootstrap does not look for existing keys: call it
// once, when the tenant is created.
//
// An RSA key takes about half a second to generate under wasm; tenant
// creation pays it once, no user request ever does.
func (r *Rotator) Bootstrap(ctx context.Context, tenantID, alg string, now time.Time) ([]storage.SigningKey, error) {
	plan := []struct {
		alg   string
		use   storage.KeyUse
		state storage.KeyState
	}{
		{alg, storage.UseAccessToken, storage.KeyCurrent},
		{alg, storage.UseAccessToken, storage.KeyNext},
		{RS256, storage.UseIDToken, storage.KeyCurrent},
	}
	var keys []storage.SigningKey
	for _, p := range plan {
		k, err := Generate(r.Rand, r.Sealer, storage.SigningKey{TenantID: tenantID, Alg: p.alg, Use: p.use, State: p.state, CreatedAt: now})
		if err != nil {
			return nil, fmt.Errorf("jwks: bootstrap tenant %q: %w", tenantID, err)
		}
		if err := r.Store.CreateKey(ctx, k); err != nil {
			return nil, fmt.Errorf("jwks: bootstrap tenant %q: store %s %s key: %w", tenantID, p.state, p.use, err)
		}
		keys = append(keys, k)
	}
	return keys, nil
}
