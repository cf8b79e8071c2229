package connections

import "time"

// Bounds of what a Broker keeps in memory (internal/expiring): discovery
// documents and key sets, per URL. Only what the admin configured (an
// issuer) and what it published (its jwks_uri) are keys, so the bound is a
// guard, not a policy.
const (
	cacheTTL     = 10 * time.Minute
	cacheMax     = 512
	keysCooldown = 30 * time.Second // least time between two fetches of one key set
)

// fetchedKeys is a key set and when it was fetched.
type fetchedKeys struct {
	set keySet
	at  time.Time
}
