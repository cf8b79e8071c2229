#!/bin/bash
# run.sh: the pool's own JavaScript (cfworker/worker.mjs) under Node, for
# what wrangler dev cannot show: its proxy hands workerd a request body only
# once it has all of it, and does not cancel a queued request whose client
# goes away. body.mjs checks that a body without a Content-Length is not
# kept past 1 MiB while it streams; queue.mjs that cancelled queued
# requests hold back no one. Both run worker.mjs as it is, with the pool
# test app's wasm (cfworker/testdata/pool/app) loaded from disk instead of
# imported.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$root" && sh cfworker/testdata/pool/build.sh "$tmp")
cp "$here"/*.mjs "$tmp"/
# The module Worker imports its wasm; Node reads it from disk. The pool is
# exported for the checks that look inside it.
sed -i 's|^import appModule from "./app.wasm";|import { readFileSync } from "node:fs";\nconst appModule = new WebAssembly.Module(readFileSync(new URL("./app.wasm", import.meta.url)));|' \
  "$tmp/worker.mjs"
grep -q 'readFileSync(new URL("./app.wasm"' "$tmp/worker.mjs" || { echo "run.sh: worker.mjs no longer imports ./app.wasm as expected" >&2; exit 1; }
echo 'export { pool };' >> "$tmp/worker.mjs"
cd "$tmp"
node body.mjs ./worker.mjs
for s in handed pruned longwait full requeue timeout; do
  node queue.mjs ./worker.mjs "$s"
done
