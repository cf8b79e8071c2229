// Package password hashes and checks user passwords: PBKDF2-HMAC-SHA512
// in the PHC string format, with the derivation injectable so that the
// Worker runs it through WebCrypto (cfworker) and the native server
// through crypto/pbkdf2. The two agree byte for byte.
//
// Invariants:
//   - A stored hash describes its own parameters, so they can change
//     without breaking stored hashes; a hash asking for more work than
//     Iterations never matches (a stored value cannot buy a long hash).
//   - Checking a password against no hash (an unknown user) costs the same
//     derivation as a wrong password, so the answer reveals nothing.
package password
