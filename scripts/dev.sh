#!/usr/bin/env bash
# Runs edgeauth under `wrangler dev` on http://127.0.0.1:8787, seeds the demo
# tenant once it answers, prints what to try, and stays in the foreground
# until Ctrl-C. Called by `make dev` after migrations are applied.
set -euo pipefail
cd "$(dirname "$0")/.."
BASE=http://127.0.0.1:8787

node_modules/.bin/wrangler dev --ip 127.0.0.1 --port 8787 --show-interactive-dev-session=false &
wrangler_pid=$!
trap 'kill $wrangler_pid 2>/dev/null; wait $wrangler_pid 2>/dev/null' EXIT INT TERM

for _ in $(seq 1 180); do
  curl -fsS "$BASE/healthz" >/dev/null 2>&1 && break
  kill -0 $wrangler_pid 2>/dev/null || { echo "wrangler dev exited" >&2; exit 1; }
  sleep 1
done
curl -fsS "$BASE/healthz" >/dev/null || { echo "edgeauth did not answer on $BASE" >&2; exit 1; }

go run ./cmd/edgeauth seed -url "$BASE"

cat <<MSG

edgeauth is running on $BASE (tenant "demo"). Try:
  curl $BASE/t/demo/.well-known/oauth-authorization-server
  curl $BASE/t/demo/jwks.json
  source <(grep ADMIN_TOKEN .dev.vars) && curl -H "Authorization: Bearer \$ADMIN_TOKEN" $BASE/admin/v1/tenants/demo/clients
The demo user is "demo"; its password is DEMO_PASSWORD in .dev.vars.
Press Ctrl-C to stop.
MSG
wait $wrangler_pid
