//go:build js

package verify

import "errors"

// defaultClient is the HTTPClient of RemoteKeys when Options has none: on
// js/wasm there is none, since Go's own client has no network inside a
// Worker (see Options.HTTPClient).
func defaultClient() (Doer, error) {
	return nil, errors.New("verify: Options.HTTPClient is required on js/wasm: Go's net/http client has no network inside a Worker")
}
