// Package server assembles edgeauth: the one http.Handler that both mains
// serve (cmd/worker in a Cloudflare Worker, cmd/edgeauth natively), and
// the scheduled job. It owns the route table, the request log line, the
// turning of a handler's panic into a server_error, and the record cache,
// and gives each part the store it may use:
//
//	authz     the OAuth 2.1 / OIDC protocol endpoints (JSON)    reads through the cache
//	authflow  the browser flow: /authorize, /login, /consent,   reads through the cache
//	          /logout                                           (sessions past it)
//	admin     the /admin/v1 API                                 reads past the cache
//	cron      key rotation and pruning (RunScheduled)           reads past the cache
//
// Below them: session (browser sessions, in SQL, never cached), password (hashing), audit (the
// audit log), ratelimit (limits), jwks (keys and the JWKS document), verify
// (the access-token checker), storage (records; storecache is the
// decorator this package puts in front of the store). Nothing imports
// upward, and internal/layering's test says so.
//
// Invariants:
//   - The issuer of tenant T is Config.BaseURL + "/t/" + T; it never comes
//     from the Host header.
//   - Every error is rendered by one function per kind of answer: JSON
//     with Cache-Control: no-store (authz), or the HTML error page
//     (authflow); anything that is not an *authz.Error becomes server_error
//     with its cause logged, never sent. No handler answers 500 for bad
//     input.
//   - Every state change is one storage call (one statement or one D1
//     batch); a failed request leaves nothing half-written. Two requests
//     make more than one on purpose: a sign-in counts the attempt before it
//     checks the password and ends the streak after (authflow), and an
//     admin update that lost its compare-and-set to another reads the
//     record again and retries (admin).
//   - Tenants, clients, key lists and what is derived from them (the JWKS,
//     the discovery documents, opened signing keys) may be served from the
//     record cache for up to Config.CacheTTL; the admin API and the
//     scheduled job always read the store.
//   - Nothing per request is kept in package state.
package server
