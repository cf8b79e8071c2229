// Package kvrecord keeps short-lived JSON records in KV under the SHA-256
// of a random value that only the browser or the client knows (a code, a
// session id), so a dump of KV reveals no usable secret:
//
//	code:<hash>  an authorization code (authz)
//	sess:<hash>  a browser session (session)
//
// KV is eventually consistent: no record decides anything that must happen
// once. A code's single use is decided in SQL (storage.Codes.RedeemCode).
package kvrecord
