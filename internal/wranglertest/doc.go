// Package wranglertest starts and stops `wrangler dev` for tests, so that
// end-to-end and storage tests can run against the real Workers runtime
// (workerd with local D1 and local KV) on 127.0.0.1.
//
// Start first applies the D1 migrations of the config's DB binding to the
// local persistence folder, then runs `wrangler dev` on a free loopback port
// and waits until the Worker answers HTTP. Everything wrangler prints is kept
// in a buffer (Worker.Output) for failure messages. Close kills the whole
// process group, so no workerd process outlives the test.
//
// Invariants:
//   - wrangler always runs non-interactively (CI=true, stdin closed), offline
//     (CLOUDFLARE_CF_FETCH_ENABLED=false) and without metrics.
//   - It listens on 127.0.0.1 only.
//   - One persistence folder belongs to one wrangler version; callers give
//     each run its own folder (a t.TempDir) unless they mean to reuse state.
package wranglertest
