// Package admin is edgeauth's admin API, /admin/v1: tenants and their
// settings, clients (RFC 7591 client metadata; a secret is returned once
// and stored as its SHA-256), users (password hashes, package password),
// what a user has handed out (Access: its sessions, grants and consents,
// listed and revoked; the user disabled and enabled), signing keys (list,
// rotate now, revoke at once), registration tokens, upstream connections
// (their client secrets sealed, never answered) and the users' linked
// upstream accounts, and the audit log.
//
// Invariants:
//   - Every request carries the admin token as a bearer token (RFC 6750
//     §2.1), compared in constant time; a failure is rate-limited per
//     address and audited.
//   - Handlers read through Config.Store past the record cache: they read,
//     modify and write back. A tenant or client update is a
//     compare-and-set on its version, retried on a fresh read (change), so
//     two changes at once never undo each other.
//   - Input is validated whole before anything is written; a tenant whose
//     key creation fails is removed again.
//   - A revocation (a session, a grant, a consent, a disabled user) is one
//     atomic statement or batch and is decided in SQL: it holds at every
//     location from the moment the request answers.
//   - Every change is audited; nothing secret reaches an answer but the
//     secret a request just made (a client secret, a registration token).
package admin
