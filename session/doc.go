// Package session keeps browser sessions: a signed-in user of one tenant
// in one browser. authflow sets the cookie; this package makes, reads and
// ends the sessions it names.
//
// A session's cookie is "<id>.<secret>": id (16 random bytes) names the
// session in public, as the ID tokens' sid (OpenID Connect Front-Channel
// Logout 1.0 §3, RP-Initiated Logout 1.0 §2) and in the admin API; secret
// (32 random bytes) proves it, and is stored only as its SHA-256,
// compared in constant time.
//
// Invariants:
//   - Sessions live in SQL (storage.Sessions), never in KV or a cache: a
//     session that is signed out, revoked by an admin, or whose user is
//     disabled or deleted stops working at every location at once (Get
//     reads the row and its user in one strongly consistent query).
//   - A session lasts the tenant's session lifetime (TTL) from its
//     sign-in, DefaultTTL unless the tenant says otherwise; it is not
//     extended by use. The scheduled job deletes expired rows.
//   - A user holds at most MaxPerUser sessions: a further sign-in ends
//     the oldest in the same atomic step, so signing in again and again
//     grows no table without bound.
package session
