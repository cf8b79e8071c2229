package jwks

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/edgeauth/edgeauth/storage"
)

// Bootstrap gives a new tenant its first access-token keys of algorithm alg:
// one current key, which signs from now on, and one next key, published at
// once so that the first rotation already has a pre-published key. It
// returns them in that order.
//
// The current key is stored first, so a failure in between leaves a tenant
// that can sign and whose next key the rotation will make. Errors of store
// are wrapped, so errors.Is(err, storage.ErrNotFound) tells that the tenant
// does not exist. Bootstrap does not look for existing keys: call it once,
// when the tenant is created. Two racing calls leave two current keys, which
// is harmless, since Current picks one of them deterministically.
//
// Bootstrap does not yet make the RS256 ID-token key (storage.UseIDToken)
// that OIDC Discovery requires; call Generate with RS256 and
// storage.UseIDToken for it.
func Bootstrap(ctx context.Context, store storage.SigningKeys, rand io.Reader, s *Sealer, tenantID, alg string, now time.Time) ([]storage.SigningKey, error) {
	var keys []storage.SigningKey
	for _, state := range []storage.KeyState{storage.KeyCurrent, storage.KeyNext} {
		k, err := Generate(rand, s, tenantID, alg, storage.UseAccessToken, state, now)
		if err != nil {
			return nil, fmt.Errorf("jwks: bootstrap tenant %q: %w", tenantID, err)
		}
		if err := store.CreateKey(ctx, k); err != nil {
			return nil, fmt.Errorf("jwks: bootstrap tenant %q: store %s key: %w", tenantID, state, err)
		}
		keys = append(keys, k)
	}
	return keys, nil
}
