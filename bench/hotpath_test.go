//go:build !js

package main

// Micro-benchmarks of hot paths whose benchmarks live nowhere else. The
// others: go test -bench . ./jwks/ (BenchmarkSign*), ./verify/
// (BenchmarkVerify*), ./authz/ (BenchmarkPasswordHash). These mirror
// authz's unexported pkceS256Matches and hashSecret line for line (authz
// is not to be changed for a benchmark); run them under wasm too:
// GOOS=js GOARCH=wasm go test -run x -bench . ./bench/

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"testing"
)

// BenchmarkPKCES256 is the code exchange's PKCE check (RFC 7636 §4.6):
// BASE64URL(SHA256(verifier)) compared with the stored challenge.
func BenchmarkPKCES256(b *testing.B) {
	verifier := "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXkdBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
	sum := sha256.Sum256([]byte(verifier))
	challenge := base64.RawURLEncoding.EncodeToString(sum[:])
	for b.Loop() {
		s := sha256.Sum256([]byte(verifier))
		if subtle.ConstantTimeCompare([]byte(base64.RawURLEncoding.EncodeToString(s[:])), []byte(challenge)) != 1 {
			b.Fatal("no match")
		}
	}
}

// BenchmarkSecretHash is how client secrets, codes and refresh tokens are
// looked up: SHA-256 of a 256-bit base64url secret.
func BenchmarkSecretHash(b *testing.B) {
	secret := "x3SlgqH9jqGmGYRS5Ak4VQ1f3Fh9zvXm0z0Vhb9Qj7o"
	var sink [sha256.Size]byte
	for b.Loop() {
		sink = sha256.Sum256([]byte(secret))
	}
	_ = sink
}
