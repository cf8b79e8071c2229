// Package storage defines edgeauth's persistent state: small interfaces per
// concern (Tenants, Clients, Users, SigningKeys, Codes, RefreshTokens,
// Consents, Audit, Lockouts, Sessions, DeviceAuthorizations, Connections,
// Identities, and PruneExpired) composed into Store, the record types they
// exchange, the sentinel errors every backend returns, and KV, the
// eventually consistent key-value store for short-lived data.
//
// Invariants every backend keeps:
//   - Every state change is ONE atomic statement, or ONE D1 batch (which D1
//     runs as a transaction: RedeemCode, RotateRefreshToken, PruneExpired,
//     CreateSession, EndSessions, SetUserDisabled, RevokeConsents,
//     RedeemDeviceAuthorization).
//     There are no multi-request transactions (Cloudflare D1 offers none);
//     races are decided by a compare-and-set whose affected-row count or
//     RETURNING clause tells the winner (UpdateTenant and UpdateClient on
//     the record's Version).
//   - Times are stored as Unix seconds and come back in UTC, truncated to the
//     second.
//   - Secrets never reach storage in the clear: client secrets, codes,
//     refresh tokens and session secrets are stored as SHA-256 hashes,
//     passwords as slow hashes, private keys, upstream client secrets and
//     upstream tokens sealed by the caller.
//   - Errors are identified with errors.Is against ErrNotFound,
//     ErrAlreadyExists and ErrConflict.
//
// KV is eventually consistent: it never decides anything that must happen
// exactly once, nor whether a session works. Single use of an
// authorization code is decided by Codes.RedeemCode, and sessions live in
// Sessions, both in the SQL store.
//
// The package imports only the standard library. Backends live in
// storage/sqlstore (database/sql over D1 in the Worker, SQLite natively) and
// storage/kv; storage/storagetest is the one conformance suite they all pass.
package storage
