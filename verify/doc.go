// Package verify checks edgeauth access tokens: resource servers and other
// Workers use it to check a bearer token offline, against the issuer's
// published keys, without calling edgeauth per request. It is meant to be
// edgeauth's one access-token checker: its authorization server, which
// checks its own tokens at introspection, userinfo and revocation, can use
// it with a KeySource over its storage, so that both sides apply the same
// rules.
//
// It implements the resource-server side of
//   - RFC 9068 (JWT access tokens): §4 validation of typ, iss, aud, exp and
//     the signature with an allowed asymmetric algorithm; aud must hold
//     Options.Audience, compared by SameResource;
//   - RFC 7515 (JWS): §7.1 compact serialization only, in the base64url of
//     §2 (RFC 4648 §5) and nothing else; RFC 7518 §3.4 ECDSA signatures
//     in their low-s form only (see "What Verify refuses");
//   - RFC 7519 (JWT): NumericDate claims, nbf and iat, with one leeway
//     (DefaultLeeway);
//   - RFC 8414 (authorization server metadata): §3.1 metadata URL derived
//     from the issuer, §3.3 issuer identity check, jwks_uri;
//   - RFC 7517 (JWK): §5 JWK Sets, skipping entries it cannot use;
//   - RFC 6750 (bearer tokens): §2.1 Authorization header (the only
//     method accepted: a token in the query is refused, §2.3, §3.1), §3
//     challenges with the required scopes, in Middleware;
//   - RFC 9728 (protected resource metadata): ProtectedResourceHandler,
//     and resource_metadata in Middleware's challenges;
//   - RFC 8707 (resource indicators): SameResource and HasResource compare
//     resource identifiers up to the form of a URL, as the MCP
//     specification asks.
//
// # Use
//
//	v, err := verify.New("https://auth.example.com/t/acme", verify.Options{
//		Audience: "https://api.example.com",
//	})
//	...
//	mux.Handle("GET /orders", v.Middleware(orders, "orders:read"))
//	// in the handler: claims, _ := verify.FromContext(r.Context())
//
// Verify can also be called directly with a token; Claims.HasScopes and
// Claims.RequireScopes check scopes. The examples run against a test
// issuer.
//
// Natively the default HTTP client is used. Inside a Go Worker
// (GOOS=js GOARCH=wasm, github.com/syumai/workers), Go's net/http client has
// no network, so Options.HTTPClient is required: one built on the Workers
// fetch API,
//
//	fetch.NewClient(fetch.WithBinding(js.Global().Get("globalThis"))).HTTPClient(fetch.RedirectModeFollow)
//
// reaches edgeauth over the Internet; with edgeauth bound to the Worker as a
// service, fetch.WithBinding(cloudflare.GetBinding("AUTH")) sends the same
// requests to the binding's Fetcher instead, without leaving Cloudflare.
// Any Doer will do: a Worker that passes its own, and not an *http.Client,
// leaves net/http's client (4 MB of wasm) out of its binary.
//
// On js/wasm, signatures are checked by the runtime's WebCrypto
// (crypto.subtle.verify, native code in workerd; an ES256 check in Go
// compiled to wasm takes about 1.5 ms), except PS* (go-jose accepts any
// PSS salt length, WebCrypto a fixed one) and ES512, which go-jose checks
// as it does natively. This package imports no syumai/workers (a test
// enforces it), and syscall/js only on js/wasm.
//
// # Key source
//
// Verify gets keys by kid from a KeySource (Options.Keys): a Key is a
// public key and the one algorithm it is published for. The default, made
// by New when Options.Keys is nil, is RemoteKeys: the issuer's published
// JWKS, fetched and cached as the next section says; Verifiers of one
// issuer can share one (NewRemoteKeys). StaticKeys holds fixed keys. A
// source says ErrUnknownKey for a kid it does not have and ErrUnavailable
// when it cannot tell; Verify treats any other error of the source as
// ErrUnavailable, and a key it cannot use (an algorithm outside
// Options.Algorithms, a key not of the type and size of its algorithm) as
// unknown.
//
// # Audience
//
// Options.Audience is required: RFC 9068 §4 makes the resource server
// check that aud names it, and a Verifier without an audience would accept
// tokens meant for any resource of the issuer. The one caller that checks
// aud itself, edgeauth's authorization server answering introspection for
// several resource servers, says so with Options.SkipAudienceCheck, and
// Middleware refuses such a Verifier.
//
// Audiences and resources compare with SameResource: the case of a URL's
// scheme and host, its default port and an empty path do not matter, and
// nothing else is normalised. Its documentation says why.
//
// # Time
//
// exp, nbf and iat are checked with one leeway, DefaultLeeway (a minute)
// unless Options.Leeway says otherwise; DefaultLeeway's documentation says
// what it allows and why.
//
// # What Verify refuses
//
// Besides a token that fails a check, Verify refuses a second spelling of
// a valid token, so that the string it accepts is the one the issuer
// signed, byte for byte: none of these is a forgery, but a token that
// verifies under several strings defeats anything keyed on the string (a
// cache of verified tokens, a replay or revocation list). So it refuses
//
//   - any byte outside the base64url alphabet and the two dots, such as
//     CR or LF (Go's base64 decoders skip them), padding, or a space
//     (ErrMalformed);
//   - a segment in a non-canonical base64url: the unused low bits of its
//     last character not zero (ErrMalformed);
//   - an ECDSA signature (ES256, ES384, ES512) whose s is above half the
//     curve order: (r, s) and (r, n-s) are both valid encodings of the same
//     signature, and only the low one is accepted (ErrSignature).
//     edgeauth's signer (jwks.Signer) writes the low form; a signer that
//     does not must convert s to n - s when it is above n/2 (the signature
//     stays valid for every verifier).
//
// # Keys, caching and refetch
//
// This section is about RemoteKeys. It discovers on the first Verify, never in New: the metadata at
// {origin}/.well-known/oauth-authorization-server{issuer path} must name
// the issuer exactly and a jwks_uri, which is then kept for the
// RemoteKeys' life (Options.JWKSURI skips discovery).
//
// The JWKS is cached in memory by kid. A fetched set is fresh for its
// Cache-Control max-age less its Age, clamped to [MinCacheTTL, MaxCacheTTL]
// (MinCacheTTL if it has none), counted from the start of the fetch. Then:
//
//   - A cached kid of a fresh set costs no I/O.
//   - An expired set, a missing set, or a kid not in the fresh set triggers
//     a refetch, but at most one fetch runs per RemoteKeys at a time
//     (concurrent callers wait for its result; there is never more than one
//     outstanding HTTP request), and a fetch starts only if the previous one
//     started at least RefreshCooldown ago. Otherwise a token with an
//     unknown kid fails at once with ErrUnknownKey. So a flood of tokens
//     with made-up kids costs the issuer one request per cooldown.
//   - A failed fetch (or discovery) leaves the cached set in place: it
//     keeps serving until it expires, and an expired one for at most
//     MaxStale more (stale-if-error), after which Verify fails with
//     ErrUnavailable until a fetch succeeds. Failed fetches are retried at
//     most once per cooldown.
//   - A fetch is bounded by FetchTimeout; a waiting caller also gives up
//     when its context ends. The Workers fetch transport ignores Go
//     contexts, so a subrequest can outlive its timeout: such a fetch is
//     then treated as lost (its late result is dropped) and the next
//     refresh may start; this is the one case where two requests can be
//     outstanding.
//
// This matches edgeauth's key schedule: a next key is published at least
// two cache lifetimes before it signs, and a retired key stays published
// until its tokens have expired plus one cache lifetime, so a verifier that
// honours max-age never meets an honest token with an unknown kid. A key
// removed from the JWKS (revoked) stops verifying within one cache lifetime
// of its removal for a verifier that can reach the issuer, and within one
// cache lifetime plus MaxStale for one that cannot.
//
// # Where the cache lives
//
// The cache is the RemoteKeys' memory, nothing else: each Verifier made
// without Options.Keys has its own. Keep one Verifier per issuer and
// audience for the process's life (a package-level variable or a field of
// the server), not one per request; Verifiers of one issuer can share one
// RemoteKeys through Options.Keys.
//
// edgeauth's own Worker runs a pool of live Go instances per isolate, so a
// Verifier in a package variable survives across the requests one instance
// serves; each instance holds its own cache and does its own fetches. Under
// a shim that starts a fresh Go instance for every request the cache lasts
// one request: every request then fetches the metadata and the JWKS (two
// subrequests), which is correct but slow. A cache backed by Workers KV or
// the Cache API, shared across instances, is NOT implemented.
//
// # Revocation: the optional online check
//
// Offline verification cannot learn that a token was revoked: edgeauth
// revokes a user's grant when the user signs out, an admin revokes a
// session, grant or consent, the user is disabled or deleted, a code is
// replayed or a refresh token reused, and from then on the grant's tokens
// are inactive at its introspection endpoint; a Verifier that only checks
// signatures keeps accepting them until they expire (the access-token
// lifetime, 10 minutes by default).
//
// Options.Online (NewIntrospection) closes that gap for resource servers
// that want it: after every offline check has passed, Verify asks the
// issuer's introspection endpoint (RFC 7662) and refuses a token it says
// is inactive with ErrRevoked. The trade-off:
//
//   - Latency and load: one request to the issuer per token and cache
//     lifetime (IntrospectionOptions.CacheTTL, DefaultIntrospectionTTL:
//     30 s), where the offline check costs none. Tokens refused offline
//     are never sent.
//   - Freshness: a revocation reaches the resource server within the
//     cache lifetime, not at once; a negative CacheTTL asks every time.
//     An answer is never kept past the token's exp.
//   - Availability: when the issuer cannot answer, Verify cannot tell and
//     refuses the token with ErrUnavailable (fail closed; Middleware
//     answers 503). A resource server that prefers to stay up while the
//     issuer is down leaves Online nil and accepts revoked tokens until
//     they expire.
//   - Credentials: the resource server is a confidential client of the
//     issuer whose introspection_audiences name its audience, and holds
//     that client's secret.
//
// Online is off by default. The cache is the Introspection's memory
// (bounded, keyed by the token's SHA-256), shared by the Verifiers given
// the same Introspection.
//
// # Invariants
//
//   - New does no I/O and refuses what would skip a check: an empty
//     Audience (unless Options.SkipAudienceCheck names the one caller
//     that checks aud itself), the "none" algorithm, HMAC algorithms,
//     out-of-bounds durations, a non-https issuer (http only for
//     loopback), and fetching options that the key source given in
//     Options.Keys would not use. The RFC 9728
//     helpers (ProtectedResourceMetadataURL, ProtectedResourceHandler)
//     likewise want https resources and issuers, http only on loopback.
//   - Every check has its own sentinel error, wrapped with %w; see Verify
//     for their order.
//   - The package depends only on the standard library and go-jose.
//     edgeauth's authorization server compares resources with the same
//     SameResource and HasResource, so that both sides agree.
package verify
