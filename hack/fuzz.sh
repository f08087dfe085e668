#!/usr/bin/env bash
# make fuzz: run every fuzz target of every package for a bounded time each
# (FUZZTIME, default 10s). Go's fuzzer takes one target per run, hence the loop.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime=${FUZZTIME:-10s}
for pkg in $(go list ./...); do
  dir=$(go list -f '{{.Dir}}' "$pkg")
  targets=$(grep -h '^func Fuzz' "$dir"/*_test.go 2>/dev/null | sed 's/^func \(Fuzz[A-Za-z0-9_]*\).*/\1/' || true)
  for t in $targets; do
    echo "fuzz: $pkg $t ($fuzztime)"
    go test "$pkg" -run '^$' -fuzz "^$t\$" -fuzztime "$fuzztime" -parallel 2 >/dev/null
  done
done
echo "fuzz: every target ran for $fuzztime without a failure"
