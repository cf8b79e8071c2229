//go:build js && wasm && syumaishim

package main

import (
	"context"
	"net/http"

	"github.com/syumai/workers"

	"github.com/edgeauth/edgeauth/internal/bridge"
)

// serve runs h under syumai's generated worker.mjs: the "before" of the A/B
// benchmark. Cron events are not wired.
func serve(h http.Handler, _ func(context.Context, bridge.ScheduledEvent) error) {
	workers.Serve(h)
}
