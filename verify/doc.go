// Package verify validates edgeauth access tokens offline: resource servers
// and other Workers use it to check a bearer token against the issuer's
// published keys, without calling edgeauth per request.
//
// It implements the resource-server side of
//   - RFC 9068 (JWT access tokens): §4 validation of typ, iss, aud, exp and
//     the signature with an allowed asymmetric algorithm; aud is compared
//     with Options.Audience up to the form of a URL (RFC 3986 §6.2.2.1,
//     §6.2.3: scheme and host case, default port, "/" for an empty path),
//     as the MCP specification asks, and in nothing else;
//   - RFC 7519 (JWT): NumericDate claims, nbf and iat;
//   - RFC 8414 (authorization server metadata): §3.1 metadata URL derived
//     from the issuer, §3.3 issuer identity check, jwks_uri;
//   - RFC 7517 (JWK): §5 JWK Sets, skipping entries it cannot use;
//   - RFC 6750 (bearer tokens): §2.1 Authorization header (the only
//     method accepted: a token in the query is refused, §2.3, §3.1), §3
//     challenges with the required scopes, in Middleware.
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
// Claims.RequireScopes check scopes.
//
// Natively the default HTTP client is used. Inside a Go Worker
// (GOOS=js GOARCH=wasm, github.com/syumai/workers), Go's net/http client has
// no network; pass Options.HTTPClient built on the Workers fetch API:
//
//	fetch.NewClient(fetch.WithBinding(js.Global().Get("globalThis"))).HTTPClient(fetch.RedirectModeFollow)
//
// reaches edgeauth over the Internet; with edgeauth bound to the Worker as a
// service, fetch.WithBinding(cloudflare.GetBinding("AUTH")) sends the same
// requests to the binding's Fetcher instead, without leaving Cloudflare.
// This package itself imports neither syumai/workers nor syscall/js (a test
// enforces it): it needs only an *http.Client.
//
// # Keys, caching and refetch
//
// Verify gets keys by kid from a KeySource (Options.Keys). The default,
// made by New when Options.Keys is nil, is RemoteKeys: the issuer's
// published JWKS, fetched and cached as this section says. StaticKeys
// holds fixed keys, and a KeySource over edgeauth's storage lets its
// authorization server check its own tokens with this same code.
//
// RemoteKeys discovers on the first Verify, never in New: the metadata at
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
// # Invariants
//
//   - New does no I/O and refuses what would skip a check: an empty
//     Audience (unless Options.SkipAudienceCheck names the one caller
//     that checks aud itself), the "none" algorithm, HMAC algorithms, out-of-bounds
//     durations, a non-https issuer (http only for loopback). The RFC 9728
//     helpers (ProtectedResourceMetadataURL, ProtectedResourceHandler)
//     likewise want https resources and issuers, http only on loopback.
//   - Every check has its own sentinel error, wrapped with %w; see Verify
//     for their order.
//   - The package depends only on the standard library and go-jose.
//     edgeauth's authorization server compares resources with the same
//     SameResource and HasResource, so that both sides agree.
package verify
