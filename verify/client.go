//go:build !js

package verify

import "net/http"

// defaultClient is the HTTPClient of RemoteKeys when Options has none.
func defaultClient() (Doer, error) {
	return &http.Client{Timeout: FetchTimeout}, nil
}
