package verify

import "errors"

// Sentinel errors of Verify, in the order its checks run. Verify wraps them
// with %w and a detail, so callers test with errors.Is. The detail may quote
// claim values from the token (to help logging); the middleware never sends
// it to the client.
var (
	// ErrMalformed means the token is not a compact JWS (RFC 7515 §7.1)
	// with one signature and a JSON object payload, has a byte outside the
	// base64url alphabet and the two dots or a segment not in canonical
	// base64url (so that a token has one spelling), uses a header Verify
	// does not support (crit, b64), or is longer than MaxTokenSize; or,
	// once its signature verified, its claims lack sub, client_id or jti
	// (RFC 9068 §2.2), or name a claim twice (names are case-sensitive).
	ErrMalformed = errors.New("verify: malformed token")
	// ErrAlgorithm means the alg header is not in Options.Algorithms, or
	// is not the alg the key named by kid is published for (Key.Algorithm).
	ErrAlgorithm = errors.New("verify: algorithm not accepted")
	// ErrType means the typ header is not at+jwt or application/at+jwt
	// (RFC 9068 §4).
	ErrType = errors.New("verify: not an access token")
	// ErrUnknownKey means the token has no kid, or the key source has no
	// usable key of its kid: RemoteKeys has no published JWKS entry of it,
	// or the source's key is of an algorithm outside Options.Algorithms or
	// is not of the type and size its algorithm needs. A KeySource returns
	// it, wrapped, for a kid it does not have.
	ErrUnknownKey = errors.New("verify: unknown signing key")
	// ErrSignature means the signature does not verify with the key named
	// by kid, or is an ECDSA signature whose s is above half the curve
	// order: the second encoding of a valid signature, refused so that a
	// token has one spelling.
	ErrSignature = errors.New("verify: bad signature")
	// ErrIssuer means iss is not the Verifier's issuer.
	ErrIssuer = errors.New("verify: wrong issuer")
	// ErrAudience means aud does not contain Options.Audience, compared
	// with the case of a URL's scheme and host, a default port and an
	// empty path ("/") ignored, and nothing else.
	ErrAudience = errors.New("verify: wrong audience")
	// ErrExpired means exp is missing, or the token expired more than the
	// leeway (DefaultLeeway or Options.Leeway) ago.
	ErrExpired = errors.New("verify: token expired")
	// ErrNotYetValid means nbf is more than the leeway in the future.
	ErrNotYetValid = errors.New("verify: token not yet valid")
	// ErrIssuedAt means iat is missing, or more than the leeway in the future.
	ErrIssuedAt = errors.New("verify: bad issued-at time")
	// ErrTenant means Options.Tenant is set and the tenant claim differs.
	ErrTenant = errors.New("verify: wrong tenant")
	// ErrRevoked means the token passed every offline check but the
	// issuer's introspection endpoint says it is not active: its grant was
	// revoked (or it is not meant for the introspecting client). Only a
	// Verifier with Options.Online returns it.
	ErrRevoked = errors.New("verify: token revoked")
	// ErrInsufficientScope means the token lacks a scope the resource
	// requires. Verify never returns it: Claims.RequireScopes does, and
	// Middleware answers 403 for it.
	ErrInsufficientScope = errors.New("verify: insufficient scope")
	// ErrUnavailable means the key source cannot answer now. For
	// RemoteKeys: discovery or the JWKS fetch failed (or was still running
	// when the caller's context ended) and no cached key set within its
	// lifetime plus MaxStale exists, or the cached set lacks the token's
	// kid and the refetch for it failed. A KeySource returns it, wrapped, when
	// it is unreachable, and Verify wraps any other error of the source in
	// it. With Options.Online, also: the introspection endpoint cannot be
	// reached or answers an error. It says nothing about the token; the
	// middleware answers 503.
	ErrUnavailable = errors.New("verify: keys unavailable")
)
