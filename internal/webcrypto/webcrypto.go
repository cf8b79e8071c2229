//go:build js && wasm

// Package webcrypto runs PBKDF2 and token signatures through the
// JavaScript runtime's WebCrypto (crypto.subtle), which workerd implements
// natively: about as fast as native Go, where Go's own SHA-2, ECDSA and RSA
// compiled to wasm are ten times slower or worse (an RS256 signature 8 ms).
// It is for the Worker build only; natively, authz uses Go's crypto, and
// the two agree (tested: the same PBKDF2 bytes, signatures Go verifies).
//
// workerd refuses PBKDF2 with more than 100,000 iterations
// (cloudflare/workerd#1346); see SECURITY.md for what edgeauth chose.
package webcrypto

import (
	"errors"
	"fmt"
	"syscall/js"

	"github.com/edgeauth/edgeauth/internal/jsutil"
)

// MaxIterations is the largest PBKDF2 iteration count workerd accepts.
const MaxIterations = 100_000

// PBKDF2SHA512 derives keyLen bytes with PBKDF2-HMAC-SHA512.
func PBKDF2SHA512(password, salt []byte, iterations, keyLen int) ([]byte, error) {
	if iterations < 1 || iterations > MaxIterations || keyLen < 1 || keyLen > 64 {
		return nil, fmt.Errorf("webcrypto: pbkdf2 with %d iterations and %d bytes is not supported", iterations, keyLen)
	}
	subtle := js.Global().Get("crypto").Get("subtle")
	if subtle.IsUndefined() {
		return nil, errors.New("webcrypto: crypto.subtle is not available")
	}
	usages := js.Global().Get("Array").New("deriveBits")
	key, err := jsutil.Await(subtle.Call("importKey", "raw", jsutil.Bytes(password), "PBKDF2", false, usages))
	if err != nil {
		return nil, fmt.Errorf("webcrypto: importKey: %w", err)
	}
	params := js.Global().Get("Object").New()
	params.Set("name", "PBKDF2")
	params.Set("hash", "SHA-512")
	params.Set("salt", jsutil.Bytes(salt))
	params.Set("iterations", iterations)
	bits, err := jsutil.Await(subtle.Call("deriveBits", params, key, keyLen*8))
	if err != nil {
		return nil, fmt.Errorf("webcrypto: deriveBits: %w", err)
	}
	out := jsutil.GoBytes(bits)
	if len(out) != keyLen {
		return nil, fmt.Errorf("webcrypto: deriveBits returned %d bytes, want %d", len(out), keyLen)
	}
	return out, nil
}

// signAlgorithms are the importKey and sign parameters of each JOSE
// algorithm edgeauth signs with.
var signAlgorithms = map[string]struct{ importParams, signParams map[string]any }{
	"ES256": {map[string]any{"name": "ECDSA", "namedCurve": "P-256"}, map[string]any{"name": "ECDSA", "hash": "SHA-256"}},
	"EdDSA": {map[string]any{"name": "Ed25519"}, map[string]any{"name": "Ed25519"}},
	"RS256": {map[string]any{"name": "RSASSA-PKCS1-v1_5", "hash": "SHA-256"}, map[string]any{"name": "RSASSA-PKCS1-v1_5"}},
}

// SignBackend is a jwks.Backend over crypto.subtle: it imports the PKCS #8
// key once, as a non-extractable CryptoKey, and signs with it natively.
// WebCrypto's ECDSA signature is R||S and its RSASSA-PKCS1-v1_5 and
// Ed25519 signatures are the plain ones, as JWS wants them.
func SignBackend(alg string, der []byte) (func(input []byte) ([]byte, error), error) {
	a, ok := signAlgorithms[alg]
	if !ok {
		return nil, fmt.Errorf("webcrypto: signing with %q is not supported", alg)
	}
	subtle := js.Global().Get("crypto").Get("subtle")
	if subtle.IsUndefined() {
		return nil, errors.New("webcrypto: crypto.subtle is not available")
	}
	usages := js.Global().Get("Array").New("sign")
	pkcs8 := jsutil.Bytes(der)
	key, err := jsutil.Await(subtle.Call("importKey", "pkcs8", pkcs8, js.ValueOf(a.importParams), false, usages))
	pkcs8.Call("fill", 0) // the JavaScript copy of the private key, as jwks clears the Go one
	if err != nil {
		return nil, fmt.Errorf("webcrypto: importKey %s: %w", alg, err)
	}
	params := js.ValueOf(a.signParams)
	return func(input []byte) ([]byte, error) {
		sig, err := jsutil.Await(subtle.Call("sign", params, key, jsutil.Bytes(input)))
		if err != nil {
			return nil, fmt.Errorf("webcrypto: sign %s: %w", alg, err)
		}
		return jsutil.GoBytes(sig), nil
	}, nil
}
