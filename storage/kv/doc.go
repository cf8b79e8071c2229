// Package kv implements storage.KV twice: Memory, an in-process map with
// expiry for the native server and tests, and (in js/wasm builds) Workers,
// an adapter over a Cloudflare Workers KV namespace binding.
//
// Both enforce the same rules, so native tests catch what Workers KV would
// reject: a ttl below storage.MinKVTTL is an error, keys must be 1 to 512
// bytes, a missing or expired key is storage.ErrNotFound, and deleting a
// missing key is not an error. Values are opaque bytes and are copied in
// and out, never aliased.
//
// Workers KV is eventually consistent (a write or delete may be seen late
// at another location); Memory is consistent, which is allowed: callers
// must not rely on either for anything that must happen exactly once.
package kv
