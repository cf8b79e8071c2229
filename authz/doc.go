// Package authz is edgeauth's HTTP surface: the OAuth 2.1 protocol
// endpoints, discovery metadata, the JWKS endpoint and the admin API, built
// as one http.Handler from a Config and storage interfaces.
//
// authz never knows which runtime it is on: cmd/worker wires it to D1 and
// Workers KV inside a Cloudflare Worker, cmd/edgeauth to SQLite and an
// in-memory KV natively.
//
// Implemented so far:
//   - RFC 8414 authorization server metadata at both path forms, and the
//     OpenID Connect discovery document built from the same fields.
//   - The tenant's JSON Web Key Set (RFC 7517), public keys only.
//   - The admin API: tenants, clients (RFC 7591 client metadata; secrets
//     returned once and stored as SHA-256 hashes), users (PBKDF2 password
//     hashes) and key listing, behind a bearer token compared in constant
//     time.
//
// Invariants:
//   - The issuer of tenant T is Config.BaseURL + "/t/" + T; it never comes
//     from the Host header.
//   - Every error is an *Error rendered by one function as JSON with
//     Cache-Control: no-store; anything else becomes server_error with its
//     cause logged, never sent. No handler answers 500 for bad input.
//   - Every state change is one storage call (one statement or one D1
//     batch); a failed request leaves nothing half-written. Two requests
//     make more than one on purpose: a sign-in counts the attempt before it
//     checks the password and ends the streak after (lockout.go), and an
//     admin update that lost its compare-and-set to another reads the
//     record again and retries (change in admin.go).
//   - Tenants, clients, key lists and what is derived from them (the JWKS,
//     the discovery documents, opened signing keys) may be served from the
//     record cache (storage/storecache) for up to Config.CacheTTL; admin
//     requests and key rotation always read the store.
//   - Nothing per request is kept in package state.
package authz
