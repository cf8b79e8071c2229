// Package connections signs users in through upstream identity providers:
// a tenant's connections to an OpenID Connect provider (a company's Okta,
// Entra ID, Keycloak or another edgeauth tenant), Google, or GitHub. It is
// the client side of those providers, built on golang.org/x/oauth2; the
// browser flow (authflow) drives it, the admin API (admin) configures it,
// and storage keeps the connections and the identities they link to
// users.
//
// A sign-in is two calls of a Broker. AuthURL sends the browser upstream
// with a fresh Attempt: state, nonce and a PKCE verifier, which the caller
// keeps bound to the browser. Finish takes the authorization response back
// at the callback, exchanges the code (x/oauth2, with the verifier),
// verifies the upstream's ID token or reads GitHub's user API, and returns
// the upstream Profile; SignIn then finds, links or creates the user.
//
// It implements the client side of
//   - RFC 6749 §4.1 (authorization code grant) through x/oauth2, and
//     §10.12: state binds the response to the browser (the caller
//     compares it);
//   - RFC 7636 (PKCE, S256) on every connection, GitHub's too; RFC 9700
//     §2.1.1 and §4.7;
//   - RFC 9207: an iss in the authorization response must name the
//     issuer, and must be there when the issuer says it sends it;
//   - OpenID Connect Discovery 1.0 §4: the issuer's metadata, whose issuer
//     must be the one configured (§4.3);
//   - OpenID Connect Core 1.0 §3.1.2.1 (nonce, prompt=login forwarded),
//     §3.1.3.7 (ID token validation: signature against the issuer's JWKS
//     with an asymmetric algorithm, iss, aud, azp, exp, iat, nbf, nonce)
//     and §5.3 (userinfo, when the ID token has no e-mail; its sub must be
//     the ID token's, §5.3.2);
//   - GitHub's REST API: GET /user and /user/emails (the primary address
//     and whether GitHub verified it).
//
// # What is trusted from an upstream
//
// A connection's upstream is trusted to say who signed in, as (connection,
// subject): the ID token's sub, or GitHub's numeric user id, never an
// e-mail address or a login name, which can change hands. Its e-mail
// address counts as the user's only when the upstream says it is verified,
// and it links an upstream account to an existing user only under the
// tenant's rule (storage.TenantSettings.LinkIdentities: a verified address
// equal to the one user's own verified address). Nothing an upstream says
// reaches the access token's tenant claims (roles stay the tenant's); its
// e-mail, verification and name become the user's profile, which the ID
// token and userinfo carry.
//
// # Invariants
//
//   - Every upstream URL (discovery, authorization, token, JWKS, userinfo,
//     GitHub's API) is https to a public host (internal/netcheck.PublicHost)
//     unless Config.InsecureLoopback allows loopback hosts for development;
//     it is checked before every request, no redirect is followed, and
//     natively the dialer checks the address again after DNS
//     (internal/safehttp).
//   - An upstream sign-in's calls together take at most Config.Timeout;
//     bodies are read within bounds. A failure is an error of this
//     package (ErrUnavailable, ErrRefused, ErrIDToken, ErrProfile), never a
//     half-done sign-in: SignIn's writes are each one atomic storage call.
//   - A connection's client secret and an identity's upstream tokens are
//     sealed with AES-256-GCM under a key derived for this package from the
//     key-encryption key (SecretKeyPurpose), with what they belong to
//     (tenant, connection, subject) as associated data: they never open
//     for another connection, nor as a signing key.
//   - Discovery documents and key sets are kept in memory for at most
//     cacheTTL, a bounded number of them; nothing of one request is.
package connections
