// Package jwks makes, seals, publishes and uses a tenant's signing keys.
//
// It turns the storage.SigningKey records of a tenant into:
//
//   - new keys (Generate, Bootstrap) for ES256 (P-256), EdDSA (Ed25519) and
//     RS256 (RSA 2048), whose kid is the RFC 7638 JWK thumbprint (SHA-256,
//     base64url) of the public key and whose public half is stored as an
//     RFC 7517 JSON Web Key;
//   - the JWKS document served at /t/{T}/jwks.json (Document, Published) and
//     its cache lifetime (CacheMaxAge);
//   - compact JWS tokens (Signer), with the "typ" header chosen by the caller:
//     "at+jwt" for RFC 9068 access tokens, "JWT" for OIDC ID tokens.
//
// # Invariants
//
//   - A private key leaves this package only sealed: it is PKCS #8 DER
//     encrypted with AES-256-GCM under the key-encryption key (Sealer). The
//     only place it exists in the clear is inside a Signer, which never
//     exposes it.
//   - The associated data of every sealed key binds its tenant and kid, so a
//     sealed key copied to another tenant or another kid does not open.
//   - Document emits only public keys: it re-encodes every stored JWK and
//     refuses one that is not public.
//   - The kid of a key is a pure function of its public key (RFC 7638), so a
//     verifier can check it and NewSigner re-checks it when it opens a key.
//
// # Lifecycle
//
// Keys move next -> current -> retired (storage.KeyState). A "next" key is
// published at least two cache lifetimes before it signs (see CacheMaxAge), so
// a verifier that cached the JWKS already knows it when the first token it
// signed arrives. This package computes; it does not schedule. The rotation
// itself (storage.SigningKeys.SetKeyState) belongs to the caller.
//
// Only access-token keys are bootstrapped today. OIDC Discovery requires
// RS256 among the ID-token algorithms, so each tenant will also keep an RS256
// key with use storage.UseIDToken; Generate already makes it, Bootstrap does
// not yet.
package jwks
