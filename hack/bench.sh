#!/usr/bin/env bash
# make bench, after the Go benchmarks: pkg/parse's decoders end to end on
# generated dump files — open, read, decode, discard — next to
# `awk '{print $2, $4}'` over the same files, with a table of MB/s, ns and
# allocations per entry, CPU time and peak RSS. Exits non-zero when a
# target is missed: conntrack text at least 150 MB/s and twice as fast as
# awk, peak RSS under 100 MB for any input (checked on a dump four times
# the largest file, decoded from a pipe). The conntrack text decoder uses
# a second CPU when it can; the "1 CPU" rows (GOMAXPROCS=1) show it
# without, for information.
#
# RUNS (default 5) runs of each process; medians are reported.
# BENCH_DIR keeps the files there instead of a temporary directory.
set -euo pipefail
cd "$(dirname "$0")/.."

runs=${RUNS:-5}
if [[ -n ${BENCH_DIR:-} ]]; then
  dir=$BENCH_DIR
  mkdir -p "$dir"
else
  dir=$(mktemp -d)
  trap 'rm -rf "$dir"' EXIT
fi

go build -o "$dir/gendump" ./pkg/parse/cmd/gendump
go build -o "$dir/parsebench" ./pkg/parse/cmd/parsebench

awk_path=$(command -v awk)
awk_real=$(readlink -f "$awk_path")
awk_version=$({ awk -W version 2>/dev/null || awk --version 2>/dev/null; } | head -n 1)
echo "awk: $awk_path -> $awk_real ($awk_version)"
echo "cpus: $(nproc), $(uname -m), $(go version | cut -d' ' -f3)"

gen() { "$dir/gendump" -style "$1" -o "$dir/$1.txt"; }
for style in conntrack-raw-v3.22 conntrack-raw-v3.32 conntrack-pretty-v3.29 conntrack-pretty-v3.32 conntrack-json nat routes; do
  gen "$style"
done

# 4x the entries of the largest file, through a pipe: memory must not grow.
big=$((4 * 512000))
"$dir/parsebench" table -runs "$runs" -awk awk \
  -pipe "'$dir/gendump' -style conntrack-raw-v3.22 -n $big" -pipe-label "raw v3.22 x4, pipe" -pipe-ref "conntrack raw v3.22" \
  "conntrack raw v3.22:conntrack:$dir/conntrack-raw-v3.22.txt:text" \
  "conntrack raw v3.32:conntrack:$dir/conntrack-raw-v3.32.txt:text" \
  "conntrack pretty v3.29:conntrack:$dir/conntrack-pretty-v3.29.txt:text" \
  "conntrack pretty v3.32:conntrack:$dir/conntrack-pretty-v3.32.txt:text" \
  "raw v3.22, 1 CPU:conntrack:$dir/conntrack-raw-v3.22.txt:seq" \
  "raw v3.32, 1 CPU:conntrack:$dir/conntrack-raw-v3.32.txt:seq" \
  "pretty v3.29, 1 CPU:conntrack:$dir/conntrack-pretty-v3.29.txt:seq" \
  "pretty v3.32, 1 CPU:conntrack:$dir/conntrack-pretty-v3.32.txt:seq" \
  "conntrack json:conntrack:$dir/conntrack-json.txt" \
  "nat (65536 frontends):nat:$dir/nat.txt" \
  "routes:routes:$dir/routes.txt"
