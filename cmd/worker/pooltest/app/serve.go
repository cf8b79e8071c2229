//go:build js && wasm && !syumaishim

package main

import (
	"context"
	"net/http"

	"github.com/edgeauth/edgeauth/internal/bridge"
)

func serve(h http.Handler, cron func(context.Context, bridge.ScheduledEvent) error) {
	bridge.Serve(bridge.Handlers{HTTP: h, Scheduled: cron})
}
