// Package authflow is edgeauth's browser flow: the authorization endpoint
// as the browser meets it, the sign-in form and the consent page, the
// state that carries a request across them, and sign-out (OpenID Connect
// RP-Initiated Logout 1.0, logout.go).
//
// The protocol decides, this package drives. authz validates the
// authorization request (OAuth 2.1 §4.1.1), issues the code and redirects
// to the client with state and iss (RFC 9207); this package decides, from
// the browser's session and the user's consent, which of its pages comes
// next or whether the code can be issued at once:
//
//	/authorize  parse (authz) -> signed in? consented? -> code (authz), or
//	            store the pending request and go to /login or /consent
//	/login      check the password (lockout, rate limits) -> session -> next step
//	/upstream   a connection's button -> its provider (package connections)
//	/callback/{connection}
//	            the provider's answer -> user found, linked or made -> session
//	            -> next step, exactly as after a password
//	/consent    the user's decision -> consent remembered -> code, or access_denied
//	/logout     a hint naming this session? -> end it, or ask first -> back to the client
//	/device     a device's user code (RFC 8628 §3.3) -> signed in? -> the
//	            approval page -> the decision, recorded for the device's poll
//
// One value, flow, carries a request through these steps: the request and
// its answer, the tenant and client, the pending authorization request and
// who is signed in.
//
// Invariants:
//   - Until client_id and redirect_uri are validated an error is the HTML
//     error page, never a redirect (OAuth 2.1 §4.1.2.1); a self-registered
//     client's errors are redirected only to a browser that has signed in
//     (RFC 9700 §4.11.2).
//   - A pending request is bound to the browser that started it (a cookie
//     whose hash it keeps) and every form to the request's CSRF token, so a
//     request id that leaks cannot be completed elsewhere (RFC 9700
//     §4.4.1.8).
//   - prompt=login and max_age are checked on every page, so no page can
//     be skipped to avoid a sign-in the request asked for (OIDC Core
//     §3.1.2.1).
//   - A failed sign-in is counted in the database before the password is
//     checked (lockout.go): the lockout holds at every location and under
//     concurrent guesses.
//   - A session (package session) is a row in SQL, read with its user in
//     one query: signing out, an admin's revocation or a disabled user
//     ends it at every location at once. Pending requests travel sealed in
//     the pages and decide nothing that must happen once; the code's
//     single use is decided in SQL by authz.
//   - A logout redirects only to a post_logout_redirect_uri the client
//     registered, and to a self-registered client's only with an ID token
//     issued to it for the user whose session the request ends; a hint of
//     a deleted client follows none; errors are the error page.
//   - A device's request goes through the same sign-in page and the
//     same pending value (with its user code) as an authorization request,
//     so every way of signing in serves both; it always ends on the
//     device approval page (RFC 8628 §5.4), never on /consent or at a
//     redirect URI. Its decision is made in SQL by authz.
//   - An upstream sign-in's state (the pending request, state, nonce, PKCE
//     verifier) travels in a sealed, HttpOnly cookie bound to the tenant,
//     never in storage; the provider's answer is taken only with the state
//     this browser sent (RFC 6749 §10.12) and only once (the cookie is
//     cleared at the callback). A provider's failure is an error page with
//     a way back to the sign-in page, never a 5xx (upstream.go).
package authflow
