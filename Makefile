# edgeauth: `make dev` runs it, `make test` tests it. Everything either
# needs is installed from here (npm ci from package-lock.json, Go modules
# from go.mod).
SHELL := bash
.SHELLFLAGS := -euo pipefail -c
WRANGLER := node_modules/.bin/wrangler
WORKER_WASM := build/worker/app.wasm
export CLOUDFLARE_CF_FETCH_ENABLED := false
export WRANGLER_SEND_METRICS := false

.PHONY: dev test deps build-worker vet unit e2e-wrangler storage-workerd wasm-size clean

## dev: install, build, migrate, seed the demo tenant and run wrangler dev on :8787
dev: deps .dev.vars
	CI=true $(WRANGLER) d1 migrations apply DB --local
	scripts/dev.sh

## test: vet (native + js/wasm), unit tests (the e2e tests run natively among
## them), the wasm build, the storage suite inside workerd, and the e2e tests
## again against the Worker under wrangler dev
test: deps vet unit build-worker storage-workerd e2e-wrangler

deps: node_modules/.package-lock.json
	go mod download

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund

# Secrets for local development; wrangler reads .dev.vars. Never committed.
.dev.vars:
	@umask 077; secret() { head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n'; }; \
	{ echo "ADMIN_TOKEN=$$(secret)"; echo "KEY_ENCRYPTION_KEY=$$(secret)"; echo "DEMO_PASSWORD=$$(secret | cut -c1-20)"; } > .dev.vars
	@echo "wrote .dev.vars (ADMIN_TOKEN, KEY_ENCRYPTION_KEY, DEMO_PASSWORD)"

## build-worker: the Worker bundle wrangler serves (wrangler.toml runs this)
build-worker:
	go run github.com/syumai/workers/cmd/workers-assets-gen -mode=go -o build/worker
	GOOS=js GOARCH=wasm go build -trimpath -ldflags="-s -w" -o $(WORKER_WASM) ./cmd/worker

vet:
	go vet ./...
	GOOS=js GOARCH=wasm go vet ./authz/... ./jwks/... ./storage/... ./migrations/... ./cmd/worker/...
	@test -z "$$(gofmt -l $$(git ls-files '*.go') 2>/dev/null)" || { echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1; }

unit:
	go test -count=1 ./...

storage-workerd: deps
	EDGEAUTH_WORKERD=1 go test -count=1 -v ./storage/sqlstore/workerd/

e2e-wrangler: deps build-worker
	EDGEAUTH_E2E=wrangler go test -count=1 ./e2e/

## wasm-size: raw and gzip size of the Worker's wasm
wasm-size: build-worker
	@raw=$$(stat -c %s $(WORKER_WASM)); gz=$$(gzip -9 -c $(WORKER_WASM) | wc -c); \
	echo "app.wasm: $$raw bytes raw, $$gz bytes gzip"

clean:
	rm -rf build .wrangler
