# edgeauth: `make dev` runs it, `make test` tests it. Everything either
# needs is installed from here (npm ci from package-lock.json, Go modules
# from go.mod).
SHELL := bash
.SHELLFLAGS := -euo pipefail -c
WRANGLER := node_modules/.bin/wrangler
WORKER_WASM := build/worker/app.wasm
export CLOUDFLARE_CF_FETCH_ENABLED := false
export WRANGLER_SEND_METRICS := false

.PHONY: dev test deps build-worker vet unit e2e-wrangler storage-workerd test-pool wasm-size fuzz fuzz-short clean

## dev: install, build, migrate, seed the demo tenant and run wrangler dev on :8787
dev: deps .dev.vars
	CI=true $(WRANGLER) d1 migrations apply DB --local
	scripts/dev.sh

## test: vet (native + js/wasm), unit tests (the e2e tests run natively among
## them, a headless Chromium included), the wasm build, the storage suite
## inside workerd, the pool's tests, the e2e tests against the Worker under
## wrangler dev, and the MCP conformance runner against the Worker
test: deps browser-deps nodeclient-deps vet unit fuzz-short build-worker storage-workerd test-pool e2e-wrangler conformance

deps: node_modules/.package-lock.json
	go mod download

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund

## browser-deps: headless Chromium for e2e/chromium_test.go (Debian package
## chromium, installed as root like on CI); does nothing when it is there
.PHONY: browser-deps
browser-deps:
	@test -x /usr/bin/chromium || { \
	  test "$$(id -u)" = 0 || { echo "browser-deps: installing chromium needs root: sudo make browser-deps" >&2; exit 1; }; \
	  echo "installing chromium (apt-get)"; \
	  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	}

# Secrets for local development; wrangler reads .dev.vars. Never committed.
.dev.vars:
	@umask 077; secret() { head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n'; }; \
	{ echo "ADMIN_TOKEN=$$(secret)"; echo "KEY_ENCRYPTION_KEY=$$(secret)"; echo "DEMO_PASSWORD=$$(secret | cut -c1-20)"; } > .dev.vars
	@echo "wrote .dev.vars (ADMIN_TOKEN, KEY_ENCRYPTION_KEY, DEMO_PASSWORD)"

## build-worker: the Worker bundle wrangler serves (wrangler.toml runs this)
# build/worker: the pool entry cfworker/worker.mjs, Go's own wasm_exec.js
# (it must match the Go toolchain) and app.wasm.
build-worker:
	mkdir -p build/worker
	rm -f build/worker/runtime.mjs
	cp cfworker/worker.mjs build/worker/worker.mjs
	cp "$$(go env GOROOT)/lib/wasm/wasm_exec.js" build/worker/wasm_exec.js
	GOOS=js GOARCH=wasm go build -trimpath -ldflags="-s -w" -o $(WORKER_WASM) ./cmd/worker

## build-resource-worker: examples/resource-worker's bundle
## (build/resource-worker: the same pool entry, wasm_exec.js, app.wasm)
.PHONY: build-resource-worker
build-resource-worker:
	mkdir -p build/resource-worker
	cp cfworker/worker.mjs build/resource-worker/worker.mjs
	cp "$$(go env GOROOT)/lib/wasm/wasm_exec.js" build/resource-worker/wasm_exec.js
	GOOS=js GOARCH=wasm go build -trimpath -ldflags="-s -w" -o build/resource-worker/app.wasm ./examples/resource-worker

## vet: gofmt, go vet and staticcheck (native and js/wasm), and go.mod
## tidy; staticcheck is pinned in go.mod's tool directive
JS_PKGS := ./authz/... ./authflow/... ./device/... ./connections/... ./admin/... ./server/... ./cron/... ./jwks/... ./verify/... ./storage/... ./migrations/... ./cmd/worker/... ./cfworker/... ./cfworker/testdata/pool/app ./examples/resource-worker/...
vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go') 2>/dev/null)" || { echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1; }
	go mod tidy -diff
	go vet ./...
	GOOS=js GOARCH=wasm go vet $(JS_PKGS)
	go build -o build/staticcheck honnef.co/go/tools/cmd/staticcheck
	build/staticcheck ./...
	GOOS=js GOARCH=wasm build/staticcheck $(JS_PKGS)

## unit: every test of go test ./..., with the ones that need Chromium and
## the npm client packages asked for (a plain go test ./... skips them)
unit:
	EDGEAUTH_CHROMIUM=1 EDGEAUTH_NODE=1 go test -count=1 ./...
	PATH="$$PATH:$$(go env GOROOT)/lib/wasm" GOOS=js GOARCH=wasm go test -count=1 ./cfworker/
	# verify's js/wasm-only code (WebCrypto); its other tests need a network
	# listener Node's wasm has not, and run natively above
	PATH="$$PATH:$$(go env GOROOT)/lib/wasm" GOOS=js GOARCH=wasm go test -count=1 -run '^TestJS' ./verify/

## test-pool: the Worker pool under wrangler dev: concurrent D1/KV requests,
## panics (the pool test app's and edgeauth's own handlers), exits,
## waitUntil, cron, the status endpoint, request body limits, recycling, and
## a flat Go heap and JS reference count over 10,000 D1+KV requests; then,
## under Node, what wrangler dev cannot show (streaming body limit,
## cancelled queued requests) (5-7 minutes)
test-pool: deps
	EDGEAUTH_WORKERD=1 go test -count=1 -timeout 20m -v ./cfworker/
	cfworker/testdata/node/run.sh

storage-workerd: deps
	EDGEAUTH_WORKERD=1 go test -count=1 -v ./storage/sqlstore/workerd/

e2e-wrangler: deps build-worker build-resource-worker
	EDGEAUTH_E2E=wrangler EDGEAUTH_CHROMIUM=1 EDGEAUTH_NODE=1 go test -count=1 ./e2e/

## conformance: the MCP authorization conformance suite
## (@modelcontextprotocol/conformance, pinned in tools/conformance) for every
## MCP spec date against the Worker under wrangler dev; fails unless every
## check passes. `go run ./tools/conformance/driver -target native` is the
## fast variant on SQLite.
.PHONY: conformance conformance-deps
conformance: deps conformance-deps build-worker
	go run ./tools/conformance/driver -target wrangler

## conformance-deps: the runner and the Node 22 it needs, from
## tools/conformance/package-lock.json (npm ci when the lock file changed)
conformance-deps:
	@cd tools/conformance && { test node_modules/.package-lock.json -nt package-lock.json || npm ci --no-audit --no-fund; }

## nodeclient-deps: oauth4webapi and jose for e2e/nodeclient_test.go, from
## tools/nodeclient/package-lock.json (npm ci when the lock file changed)
.PHONY: nodeclient-deps
nodeclient-deps:
	@cd tools/nodeclient && { test node_modules/.package-lock.json -nt package-lock.json || npm ci --no-audit --no-fund; }

## bench: the load driver (bench/): edgeauth, the peer library's fixture
## (workers-oauth-provider, pinned in bench/package.json, installed here by
## npm ci), a trivial baseline Worker and the D1 and PBKDF2 floors; first
## proxy-free through Miniflare's API (bench/miniflare.mjs), then under
## stock wrangler dev. Writes bench-results/ and README.md's table.
## Targets are reported, never enforced. BENCH_FLAGS adds flags.
.PHONY: bench
bench: deps build-worker build-resource-worker
	cd bench && { test node_modules/.package-lock.json -nt package-lock.json || npm ci --no-audit --no-fund; }
	go run ./bench -out bench-results $(BENCH_FLAGS)

## fuzz: each fuzz target for FUZZTIME (go test runs their seeds anyway)
FUZZTIME ?= 30s
fuzz:
	for t in FuzzAuthorizeQuery FuzzTokenForm FuzzRedirectURI FuzzAdminJSON; do \
	  go test -run '^$$' -fuzz "^$$t\$$" -fuzztime $(FUZZTIME) ./authz/ || exit 1; done
	go test -run '^$$' -fuzz '^FuzzVerify$$' -fuzztime $(FUZZTIME) ./verify/
	go test -run '^$$' -fuzz '^FuzzCanonical$$' -fuzztime $(FUZZTIME) ./verify/
	go test -run '^$$' -fuzz '^FuzzNormalize$$' -fuzztime $(FUZZTIME) ./device/

## fuzz-short: the short fuzz pass make test runs: a count, not a duration.
## Go 1.26's fuzz coordinator can report "context deadline exceeded" as a
## failure when a duration -fuzztime ends mid-execution (golang/go#75804,
## fixed in Go 1.27); a count has no deadline to race.
fuzz-short:
	$(MAKE) -s fuzz FUZZTIME=10000x

## wasm-size: raw and gzip size of the Worker's wasm
wasm-size: build-worker
	@raw=$$(stat -c %s $(WORKER_WASM)); gz=$$(gzip -9 -c $(WORKER_WASM) | wc -c); \
	echo "app.wasm: $$raw bytes raw, $$gz bytes gzip"

clean:
	rm -rf build .wrangler
