// Package sqlstore implements storage.Store over database/sql, so that one
// body of SQL serves both runtimes: Cloudflare D1 in the Worker (NewD1: a
// database/sql driver of its own over the binding, and D1's batch API for
// batches, whose reads come back in the same round trip), and SQLite
// (modernc.org/sqlite, see OpenSQLite) natively. The schema is the one in
// package migrations.
//
// Invariants:
//   - Every state change is ONE statement or ONE batch. D1 has no
//     interactive transactions; a batch is a list of statements sent
//     together, which D1 runs as one transaction (one round trip), and which
//     runs natively as a database/sql transaction. A batch's statements
//     cannot see each other's results in Go, so a statement that must only
//     happen if an earlier one did says so in SQL (INSERT ... SELECT ...
//     WHERE EXISTS), or the earlier one fails and undoes the batch.
//   - Races are decided by a statement itself: INSERT ... ON CONFLICT DO
//     NOTHING, a primary key, or UPDATE ... WHERE <expected state>, read
//     through RowsAffected or RETURNING. When a compare-and-set loses, a
//     follow-up read only classifies the loss (ErrNotFound or ErrConflict).
//   - Only positional "?" parameters, which D1 requires.
//   - Integers are scanned into int64 (D1 returns JS numbers; values stay
//     below 2^53). Booleans are stored as 0/1.
//   - Times are Unix seconds; they come back in UTC, truncated to the
//     second. A zero time.Time is stored as NULL and comes back zero.
//   - String lists are JSON arrays; nil and empty lists are both stored as
//     [] and both come back nil. Empty byte slices are stored as NULL and
//     come back nil.
//   - A violated unique constraint becomes storage.ErrAlreadyExists and a
//     violated foreign key (a missing tenant, client or user) becomes
//     storage.ErrNotFound; both are matched on the message texts SQLite and
//     D1 share ("UNIQUE constraint failed", "FOREIGN KEY constraint failed").
//
// Foreign keys: everything cascades from its tenant; refresh families and
// consents also cascade from their client and user, so deleting a user or a
// client revokes its grants. Code redemptions go only with their tenant, so
// a replayed code stays detectable after its client is deleted.
package sqlstore
