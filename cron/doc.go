// Package cron is edgeauth's scheduled job: the Worker's cron trigger
// runs it (wrangler.toml, every 15 minutes), the native server on a timer.
//
// Each run advances every tenant's key schedule (next -> current ->
// retired -> gone, jwks.Rotator) and republishes the JWKS of tenants whose
// keys changed, and deletes what nothing else deletes: audit events older
// than the retention, code redemptions and refresh families that have
// expired (storage.Store.PruneExpired says why they can go), browser
// sessions that have expired, failed
// sign-in streaks that have ended, and device authorization requests
// (RFC 8628) past their expiry. A failing tenant does not stop the
// others.
package cron
