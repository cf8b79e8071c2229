// Package device holds the rules of the OAuth 2.0 device authorization
// grant (RFC 8628) that do not depend on HTTP: the device code and the
// user code, how a typed user code is read, the lifetimes and polling
// intervals, and what a poll of the token endpoint is answered.
//
// authz serves the device authorization endpoint and the grant at the
// token endpoint; authflow the verification page where the user types the
// user code, signs in and approves; storage.DeviceAuthorizations keeps the
// requests, and decides every change in one SQL statement.
//
// Invariants:
//   - A device code is 256 random bits, stored only as its SHA-256: it
//     cannot be guessed, and a leaked database does not give it away.
//   - A user code is 8 characters of a 20-letter alphabet without vowels
//     (RFC 8628 §6.1: about 34.5 bits, no words, nothing to confuse), read
//     case-insensitively with any dashes and spaces the user typed. Its
//     guessing is bounded by a rate limit per address (ratelimit
//     LimitUserCode) and by its lifetime.
//   - A poll that comes too soon (RFC 8628 §3.5) grows the interval by
//     SlowDown for every later poll, and is never the one that redeems, so
//     concurrent polls of one device code cannot both reach the
//     redemption.
//   - A device code is redeemed once; a later poll is a replay.
package device
