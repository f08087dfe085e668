# kubectl calico-ebpf. `make demo` shows it working on a simulated cluster; `make test` runs
# every test tier. Tools for the test bed are built from the Go module proxy at pinned versions
# into .cache/ (git-ignored) the first time and reused after.

SHELL := /usr/bin/env bash
VERSION ?= $(shell git describe --tags --match 'v*' 2>/dev/null || echo v0.1.0)
COMMIT := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
# The commit date, not now: the same commit builds the same binary.
BUILD_DATE := $(shell git log -1 --format=%cI 2>/dev/null || echo unknown)
PKG := github.com/calico-ebpf/kubectl-calico-ebpf/pkg/cmd
LDFLAGS := -s -w -X $(PKG).version=$(VERSION) -X $(PKG).commit=$(COMMIT) -X $(PKG).buildDate=$(BUILD_DATE)
BIN := bin/kubectl-calico_ebpf
CACHE ?= $(CURDIR)/.cache
TESTBED := $(CACHE)/bin/testbed
NODES ?= 3
VERSIONS ?= v3.22.5,v3.29.7,v3.32.1
FLAVOUR ?= operator

.PHONY: build test unit e2e lint fmt vet patterns tools cluster cluster-down demo dist bench fuzz golden clean testbed

build:
	CGO_ENABLED=0 go build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/kubectl-calico_ebpf

## test: every tier: static checks, unit and wiring tests, then end to end on a fresh simulated cluster.
test: lint unit e2e

unit:
	go test -count=1 ./...

## e2e: builds the tools if missing, starts a fresh cluster, drives the built plugin through the
## real kubectl and krew, and tears the cluster down even when tests fail.
e2e: build tools
	cd test/e2e && go test -count=1 -tags e2e -timeout 30m -v ./... 2>&1 | tee $(CACHE)/e2e.log | grep -E '^(=== RUN|--- |PASS|FAIL|ok|panic|\s+\S+_test.go)' ; exit $${PIPESTATUS[0]}

lint: fmt vet patterns
patterns:
	bash hack/verify-code-patterns.sh
fmt:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null; git ls-files --others --exclude-standard '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
vet:
	go vet ./...
	cd test/e2e && go vet -tags e2e ./...

tools:
	bash test/tools/build.sh >/dev/null

testbed:
	@mkdir -p $(CACHE)/bin
	go build -o $(TESTBED) ./test/cmd/testbed

## cluster: start (or reuse) the simulated cluster; the last line is `export KUBECONFIG=…`.
cluster: testbed
	@$(TESTBED) up --nodes $(NODES) --versions $(VERSIONS) --flavour $(FLAVOUR)

cluster-down: testbed
	@$(TESTBED) down

demo: build testbed
	@bash hack/demo.sh

dist:
	bash hack/dist.sh $(VERSION) "$(LDFLAGS)"

## bench: Go benchmarks, the parsers end to end next to awk (hack/bench.sh), then the live
## fan-out and big-dump comparisons on a 200-node simulated cluster (test/cmd/benchlive).
## Every part runs; the target exits non-zero if any missed its targets.
bench: build tools
	@rc=0; \
	go test -run '^$$' -bench . -benchmem ./pkg/... || rc=1; \
	bash hack/bench.sh || rc=1; \
	go run ./test/cmd/benchlive || rc=1; \
	exit $$rc

fuzz:
	bash hack/fuzz.sh

golden:
	go test ./pkg/... -update

clean:
	rm -rf bin dist
