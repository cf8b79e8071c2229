#!/bin/sh
# build.sh OUT [TAGS]: builds the pool test Worker into OUT (worker.mjs,
# Go's wasm_exec.js, app.wasm). Run from the repository root.
set -eu
out=$1
mkdir -p "$out"
cp cmd/worker/worker.mjs "$out/worker.mjs"
cp "$(go env GOROOT)/lib/wasm/wasm_exec.js" "$out/wasm_exec.js"
GOOS=js GOARCH=wasm go build -trimpath -ldflags="-s -w" -tags "${2:-}" -o "$out/app.wasm" ./cmd/worker/pooltest/app
