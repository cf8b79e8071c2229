// Package secret makes and stores edgeauth's random secrets: client
// secrets, codes, refresh tokens, session ids, CSRF tokens, ids.
//
// A secret of 256 random bits cannot be guessed, so it is stored as its
// SHA-256 (Hash): a slow hash adds nothing for such values, and a dump of
// the database or KV reveals no usable secret.
package secret
