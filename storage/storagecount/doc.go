// Package storagecount wraps a storage.Store and a storage.KV and counts
// the calls that reach them: D1 reads and writes, KV gets, puts and
// deletes. These are what Cloudflare bills, and each is a round trip at the
// edge, so `make bench` reports them per operation.
//
// A D1 read is a Get* or List* call; every other Store call (Create,
// Update, Delete, Redeem, Rotate, Revoke, Put, Append, Prune, Set, Record,
// Reset) is a write. Each Store method of the SQL backend runs one
// statement, so one call is one D1 query. Failed calls are counted too: they
// were still a round trip.
//
// Invariants:
//   - Every method of storage.Store is wrapped explicitly (no embedding), so
//     a method added to the interface breaks the build here instead of
//     passing through uncounted.
//   - Counters are atomic: the wrappers are as safe for concurrent use as
//     what they wrap.
package storagecount
