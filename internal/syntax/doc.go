// Package syntax checks the syntax of edgeauth's identifiers and protocol
// values: tenant and client ids, scopes, usernames, roles, PKCE values,
// redirect URIs, resource indicators and the short texts shown to people.
// Its errors are plain; the protocol and admin handlers give them an error
// code.
package syntax
