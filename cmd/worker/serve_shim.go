//go:build js && wasm && syumaishim

package main

import (
	"context"
	"net/http"

	"github.com/syumai/workers"

	"github.com/edgeauth/edgeauth/storage/storecache"
)

// propagatePanics: under the shim authz answers a handler's panic itself,
// as before the pool (one Go program per request drops everything anyway).
const propagatePanics = false

// cacheGeneration is this program's own: under the shim it serves one
// request and exits, so nothing outlives a request anyway.
func cacheGeneration() storecache.Generation { return nil }

// serve runs h under syumai/workers' generated worker.mjs, one Go program
// per request. Only the pool's A/B benchmark builds this (-tags
// syumaishim), as the "before" of its measurement.
func serve(h http.Handler, _ func(context.Context) error) {
	workers.Serve(h)
}
