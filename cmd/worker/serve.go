//go:build js && wasm

package main

import (
	"context"
	"net/http"

	"github.com/edgeauth/edgeauth/cfworker"
	"github.com/edgeauth/edgeauth/storage/storecache"
)

// propagatePanics: cfworker.Serve recovers a panic that leaves the
// handler, answers 500 and reports it, and the pool drops the instance.
const propagatePanics = true

// cacheGeneration is the record caches' generation, shared by the pool's
// instances in this isolate.
func cacheGeneration() storecache.Generation { return cfworker.Generation{} }

// serve hands h and the cron job to the pool of cfworker's worker.mjs and
// blocks.
func serve(h http.Handler, cron func(context.Context) error) {
	cfworker.Serve(cfworker.Handlers{HTTP: h, Scheduled: func(ctx context.Context, _ cfworker.ScheduledEvent) error {
		return cron(ctx)
	}})
}
