// Package authz is the OAuth 2.1 / OpenID Connect protocol of edgeauth:
// the endpoints a client or a resource server calls, and the one OAuth
// error type every part of the server answers with.
//
//	metadata.go     RFC 8414 metadata at both path forms; OIDC Discovery 1.0
//	jwks.go         the tenant's JSON Web Key Set (RFC 7517), public keys only
//	authorize.go    the validation of authorization requests (OAuth 2.1 §4.1.1)
//	code.go         authorization codes, and redirects to the client (RFC 9207)
//	token.go        the token endpoint and client authentication (§3.2, §2.4)
//	grant_*.go      authorization_code, refresh_token, client_credentials,
//	                the device code (RFC 8628 §3.4, §3.5), token exchange
//	                (RFC 8693 §2, by admin policy)
//	device.go       the device authorization endpoint (RFC 8628 §3.1, §3.2)
//	                and what the verification page asks (DeviceFlow)
//	tokens.go       JWT access tokens (RFC 9068) and ID tokens (OIDC Core §2)
//	revoke.go       RFC 7009; introspect.go RFC 7662; userinfo.go OIDC Core §5.3
//	register.go     RFC 7591 dynamic registration; clients.go client metadata
//	cimd.go         Client ID Metadata Documents
//	errors.go       Error, its codes and statuses (RFC 6749 §5.2, RFC 6750 §3)
//
// What happens in the browser between an authorization request and its
// code (sign-in, consent) is package authflow's; the admin API is package
// admin's; package server composes them with this one.
//
// Invariants:
//   - The issuer of tenant T is Config.BaseURL + "/t/" + T; it never comes
//     from the Host header.
//   - Handlers return an error; *Error carries the code, the description
//     sent and a cause that is logged, never sent. Anything else becomes
//     server_error (AsError). No handler answers 500 for bad input.
//   - Bad, expired, replayed and another client's codes and refresh tokens
//     get one answer, invalid_grant, so the error leaks nothing.
//   - A code's single use, a refresh token's rotation and a device code's
//     redemption are each decided by one SQL statement or batch
//     (storage.Codes, storage.RefreshTokens, storage.DeviceAuthorizations);
//     KV holds the code's bindings but decides nothing that must happen
//     once. The token.issued audit event is written in the same batch.
//   - Tokens are minted before the write that spends a code or a refresh
//     token, so nothing that can fail comes after it.
//   - Nothing per request is kept in package state; what is kept in memory
//     (opened signers, public keys, encoded documents) lives in the record
//     cache's memos, under its bounds.
package authz
