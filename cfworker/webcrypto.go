//go:build js && wasm

package cfworker

import (
	"errors"
	"fmt"
	"syscall/js"

	"github.com/edgeauth/edgeauth/internal/jsasync"
)

// MaxPBKDF2Iterations is the largest PBKDF2 iteration count workerd
// accepts (cloudflare/workerd#1346; SECURITY.md says what edgeauth chose).
const MaxPBKDF2Iterations = 100_000

// PBKDF2SHA512 derives keyLen bytes with PBKDF2-HMAC-SHA512 through
// crypto.subtle, which workerd runs natively: about ten times faster than
// Go's SHA-512 compiled to wasm. It gives the same bytes as crypto/pbkdf2,
// so a hash made by the Worker checks natively and the other way round.
func PBKDF2SHA512(password, salt []byte, iterations, keyLen int) ([]byte, error) {
	if iterations < 1 || iterations > MaxPBKDF2Iterations || keyLen < 1 || keyLen > 64 {
		return nil, fmt.Errorf("cfworker: pbkdf2 with %d iterations and %d bytes is not supported", iterations, keyLen)
	}
	subtle := js.Global().Get("crypto").Get("subtle")
	if subtle.IsUndefined() {
		return nil, errors.New("cfworker: crypto.subtle is not available")
	}
	usages := js.Global().Get("Array").New("deriveBits")
	key, err := jsasync.Await(subtle.Call("importKey", "raw", jsasync.Bytes(password), "PBKDF2", false, usages))
	if err != nil {
		return nil, fmt.Errorf("cfworker: importKey: %w", err)
	}
	params := js.Global().Get("Object").New()
	params.Set("name", "PBKDF2")
	params.Set("hash", "SHA-512")
	params.Set("salt", jsasync.Bytes(salt))
	params.Set("iterations", iterations)
	bits, err := jsasync.Await(subtle.Call("deriveBits", params, key, keyLen*8))
	if err != nil {
		return nil, fmt.Errorf("cfworker: deriveBits: %w", err)
	}
	out := jsasync.GoBytes(bits)
	if len(out) != keyLen {
		return nil, fmt.Errorf("cfworker: deriveBits returned %d bytes, want %d", len(out), keyLen)
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
// key once, as a non-extractable CryptoKey, and signs with it natively
// (Go's ECDSA compiled to wasm takes 2-3 ms a token, RSA 8 ms). WebCrypto's
// ECDSA signature is R||S and its RSASSA-PKCS1-v1_5 and Ed25519 signatures
// are the plain ones, as JWS wants them.
func SignBackend(alg string, der []byte) (func(input []byte) ([]byte, error), error) {
	a, ok := signAlgorithms[alg]
	if !ok {
		return nil, fmt.Errorf("cfworker: signing with %q is not supported", alg)
	}
	subtle := js.Global().Get("crypto").Get("subtle")
	if subtle.IsUndefined() {
		return nil, errors.New("cfworker: crypto.subtle is not available")
	}
	usages := js.Global().Get("Array").New("sign")
	pkcs8 := jsasync.Bytes(der)
	key, err := jsasync.Await(subtle.Call("importKey", "pkcs8", pkcs8, js.ValueOf(a.importParams), false, usages))
	pkcs8.Call("fill", 0) // the JavaScript copy of the private key, as jwks clears the Go one
	if err != nil {
		return nil, fmt.Errorf("cfworker: importKey %s: %w", alg, err)
	}
	params := js.ValueOf(a.signParams)
	return func(input []byte) ([]byte, error) {
		sig, err := jsasync.Await(subtle.Call("sign", params, key, jsasync.Bytes(input)))
		if err != nil {
			return nil, fmt.Errorf("cfworker: sign %s: %w", alg, err)
		}
		return jsasync.GoBytes(sig), nil
	}, nil
}
