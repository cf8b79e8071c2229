// Package storagecount wraps a storage.Store and a storage.KV and counts
// the calls that reach them: D1 reads and writes, KV gets, puts and
// deletes. Each is a round trip at the edge, so `make bench` reports them
// per operation.
//
// A D1 read is a Get* or List* call; every other Store call (Create,
// Update, Delete, Redeem, Rotate, Revoke, Put, Append, Prune, Set, Record,
// Reset) is a write. Each Store method of the SQL backend runs one
// statement or one batch (RedeemCode, RotateRefreshToken, PruneExpired), so
// one call is one round trip. (Cloudflare bills D1 by rows read and
// written, which a batch that writes several rows counts several times.)
// Failed calls are counted too: they were still a round trip.
//
// Invariants:
//   - Every method of storage.Store is wrapped explicitly (no embedding), so
//     a method added to the interface breaks the build here instead of
//     passing through uncounted.
//   - Counters are atomic: the wrappers are as safe for concurrent use as
//     what they wrap.
package storagecount
