// Package workerd runs the storage conformance suite inside workerd, the
// Workers runtime, against real local D1 and local KV: wrangler.toml builds
// the test binary of storage/sqlstore (its d1_test.go is js/wasm only) and
// runner.mjs starts it on GET /run. TestWorkerd drives it through
// internal/wranglertest. The package has no code besides its test.
package workerd
