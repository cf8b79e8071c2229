//go:build js && wasm

package verify

import (
	"crypto/ed25519"
	"crypto/x509"
	"errors"
	"strings"
	"sync"
	"syscall/js"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/edgeauth/edgeauth/internal/jsasync"
)

// checkSignature checks the one signature of jws, parsed from token, with
// key and returns the payload it covers. On js/wasm it asks the runtime's
// WebCrypto (crypto.subtle.verify), which workerd runs natively: Go's
// P-256 compiled to wasm takes about 1.5 ms a check. The bytes checked are
// those go-jose checks: the token up to its last '.', and the signature as
// JWS has it (R||S for ECDSA, which is WebCrypto's form too). Algorithms
// WebCrypto cannot check the same way (PS*: go-jose accepts any PSS salt
// length, WebCrypto needs it fixed), a runtime without crypto.subtle, a
// key it refuses to import and a failed call all fall back to go-jose.
func checkSignature(token string, jws *jose.JSONWebSignature, key Key) ([]byte, error) {
	ck, params, ok := webCryptoKey(key)
	if !ok {
		return jws.Verify(key.Public)
	}
	input := token[:strings.LastIndexByte(token, '.')]
	res, err := jsasync.Await(subtle.Call("verify", params, ck,
		jsasync.Bytes(jws.Signatures[0].Signature), jsasync.Bytes([]byte(input))))
	if err != nil {
		return jws.Verify(key.Public)
	}
	if res.Type() != js.TypeBoolean || !res.Bool() {
		return nil, errors.New("verify: WebCrypto: the signature does not match")
	}
	return jws.UnsafePayloadWithoutVerification(), nil
}

// webCryptoAlgorithms are the importKey and verify parameters of each
// JOSE algorithm checked through WebCrypto.
var webCryptoAlgorithms = map[string]struct{ importParams, verifyParams map[string]any }{
	"ES256": {map[string]any{"name": "ECDSA", "namedCurve": "P-256"}, map[string]any{"name": "ECDSA", "hash": "SHA-256"}},
	"ES384": {map[string]any{"name": "ECDSA", "namedCurve": "P-384"}, map[string]any{"name": "ECDSA", "hash": "SHA-384"}},
	"EdDSA": {map[string]any{"name": "Ed25519"}, map[string]any{"name": "Ed25519"}},
	"RS256": {map[string]any{"name": "RSASSA-PKCS1-v1_5", "hash": "SHA-256"}, map[string]any{"name": "RSASSA-PKCS1-v1_5"}},
	"RS384": {map[string]any{"name": "RSASSA-PKCS1-v1_5", "hash": "SHA-384"}, map[string]any{"name": "RSASSA-PKCS1-v1_5"}},
	"RS512": {map[string]any{"name": "RSASSA-PKCS1-v1_5", "hash": "SHA-512"}, map[string]any{"name": "RSASSA-PKCS1-v1_5"}},
}

// subtle is crypto.subtle, looked up once; undefined where there is none.
var subtle = func() js.Value {
	c := js.Global().Get("crypto")
	if c.IsUndefined() || c.IsNull() {
		return js.Undefined()
	}
	return c.Get("subtle")
}()

// maxCryptoKeys bounds cryptoKeys; past it the cache starts over. Keys come
// from the key source, so a few per issuer are live at a time.
const maxCryptoKeys = 64

type cryptoKeyID struct {
	pub any // *ecdsa.PublicKey or *rsa.PublicKey by pointer, ed25519 as a string
	alg string
}

type cryptoKey struct {
	key, params js.Value
	ok          bool // false: WebCrypto refused the key; go-jose checks it
}

var (
	cryptoKeysMu sync.Mutex
	cryptoKeys   = map[cryptoKeyID]cryptoKey{}
)

// webCryptoKey returns key imported into WebCrypto (imported once, kept by
// the identity of its public key) and the verify parameters of its
// algorithm; ok is false when go-jose must check it instead.
func webCryptoKey(key Key) (ck, params js.Value, ok bool) {
	a, known := webCryptoAlgorithms[key.Algorithm]
	if !known || subtle.IsUndefined() {
		return js.Value{}, js.Value{}, false
	}
	id := cryptoKeyID{pub: key.Public, alg: key.Algorithm}
	if ed, isEd := key.Public.(ed25519.PublicKey); isEd {
		id.pub = string(ed)
	}
	cryptoKeysMu.Lock()
	c, cached := cryptoKeys[id]
	cryptoKeysMu.Unlock()
	if !cached {
		c = importKey(key.Public, a.importParams, a.verifyParams)
		cryptoKeysMu.Lock()
		if len(cryptoKeys) >= maxCryptoKeys {
			clear(cryptoKeys)
		}
		cryptoKeys[id] = c
		cryptoKeysMu.Unlock()
	}
	return c.key, c.params, c.ok
}

func importKey(pub any, importParams, verifyParams map[string]any) cryptoKey {
	spki, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return cryptoKey{}
	}
	usages := js.Global().Get("Array").New("verify")
	k, err := jsasync.Await(subtle.Call("importKey", "spki", jsasync.Bytes(spki), js.ValueOf(importParams), false, usages))
	if err != nil {
		return cryptoKey{}
	}
	return cryptoKey{key: k, params: js.ValueOf(verifyParams), ok: true}
}
