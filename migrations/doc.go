// Package migrations holds edgeauth's only schema: numbered SQL files
// (0001_init.sql, ...) that `wrangler d1 migrations apply DB` applies to
// Cloudflare D1 and that the native SQLite backend applies from this
// package's embedded copy, so both runtimes run the same SQL.
//
// Invariants:
//   - Files are named NNNN_name.sql and applied in lexical order; a file,
//     once released, is never edited: changes go in a new file.
//   - Every file is valid for both D1 and SQLite: no BEGIN/COMMIT (D1 wraps
//     each migration itself), no PRAGMA.
//   - Applied files are recorded by name in the table d1_migrations, the
//     table wrangler uses, so either tool sees what the other applied.
package migrations
