//go:build js && wasm && syumaishim

package main

import (
	"context"
	"net/http"

	"github.com/syumai/workers"
)

// serve runs h under syumai/workers' generated worker.mjs, one Go program
// per request. Only the pool's A/B benchmark builds this (-tags
// syumaishim), as the "before" of its measurement.
func serve(h http.Handler, _ func(context.Context) error) {
	workers.Serve(h)
}
