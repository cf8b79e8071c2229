#!/bin/sh
# build.sh OUT: builds the pool test Worker into OUT (worker.mjs, Go's
# wasm_exec.js, app.wasm). Run from the repository root.
set -eu
out=$1
mkdir -p "$out"
cp cfworker/worker.mjs "$out/worker.mjs"
cp "$(go env GOROOT)/lib/wasm/wasm_exec.js" "$out/wasm_exec.js"
GOOS=js GOARCH=wasm go build -trimpath -ldflags="-s -w" -o "$out/app.wasm" ./cfworker/testdata/pool/app
