#!/usr/bin/env bash
# The project's own lint rules (design.md "Dependencies point down the list"), checked with
# `go list` and grep so they need no extra tool:
#   - pkg/model imports only the standard library; pkg/parse only that and pkg/model;
#   - pkg/annotate imports no client-go; pure packages never do;
#   - only pkg/output imports tablewriter; only pkg/cmd imports cobra;
#   - only main packages call os.Exit; no library package under pkg/ prints to stdout with fmt.Print*.
set -euo pipefail
cd "$(dirname "$0")/.."
mod=$(go list -m)
fail=0
say() { echo "verify-code-patterns: $*"; fail=1; }

while read -r pkg imports; do
  rel=${pkg#"$mod"/}
  for imp in $imports; do
    case $rel in
      pkg/model|pkg/model/*)
        [[ $imp == *.*/* ]] && say "$rel imports $imp (model is standard library only)";;
      pkg/parse|pkg/parse/*)
        [[ $imp == *.*/* && $imp != "$mod/pkg/model"* && $imp != "$mod/pkg/parse"* ]] && say "$rel imports $imp (parse may import only pkg/model)";;
      pkg/annotate|pkg/annotate/*)
        [[ $imp == k8s.io/client-go* ]] && say "$rel imports $imp (annotate is pure)";;
    esac
    [[ $imp == github.com/olekukonko/tablewriter* && $rel != pkg/output* ]] && say "$rel imports tablewriter (only pkg/output may)"
    [[ $imp == github.com/spf13/cobra* && $rel != pkg/cmd* ]] && say "$rel imports cobra (only pkg/cmd may)"
  done
done < <(go list -f '{{.ImportPath}} {{join .Imports " "}}' ./pkg/... ./cmd/...)

hits=$(grep -rln --include='*.go' --exclude='*_test.go' -E '\bos\.Exit\(' pkg | xargs -r grep -L '^package main$' || true)
[[ -n $hits ]] && say "os.Exit outside main:"$'\n'"$hits"
hits=$(grep -rln --include='*.go' --exclude='*_test.go' -E '\bfmt\.Print(f|ln)?\(' pkg | xargs -r grep -L '^package main$' || true)
[[ -n $hits ]] && say "fmt.Print* to stdout under pkg/ (write to the command's streams):"$'\n'"$hits"
exit $fail
