#!/usr/bin/env bash
# Builds the test bed's tools (kube-apiserver, kube-controller-manager, kube-scheduler, kubectl,
# etcd, kwok, kwokctl, krew, validate-krew-manifest) from the Go module proxy at the versions
# pinned by the go.mod files beside this script, into a git-ignored cache.
#
# The cache directory is keyed by a hash of those go.mod/go.sum files, so changing a pin builds a
# fresh set and a second run with the same pins does nothing. Prints the bin directory last.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cache=${CALICO_EBPF_CACHE:-$root/.cache}
key=$(cat "$here"/*/go.mod "$here"/*/go.sum "$here/build.sh" | sha256sum | cut -c1-12)
bin=$cache/tools/$key/bin
stamp=$bin/.complete

if [[ -f $stamp ]]; then
  echo "test-bed tools: reusing $bin (built $(cat "$stamp"))" >&2
  echo "$bin"
  exit 0
fi

mkdir -p "$bin"
start=$(date +%s)
export CGO_ENABLED=0 GOFLAGS=-trimpath

# pinned MODULE DIR: the version go.mod requires (in a require block or on a require line).
pinned() { awk -v m="$1" '$1==m {print $2; exit} $1=="require" && $2==m {print $3; exit}' "$here/$2/go.mod"; }
kube_version=$(pinned k8s.io/kubernetes kube)
[[ -n $kube_version ]] || { echo "test-bed tools: no k8s.io/kubernetes version in kube/go.mod" >&2; exit 1; }
minor=$(echo "$kube_version" | cut -d. -f2)
stamp_pkg() { # $1 = package that carries the version variables
  printf -- '-X %s.gitVersion=%s -X %s.gitMajor=1 -X %s.gitMinor=%s -X %s.gitTreeState=clean -X %s.buildDate=1970-01-01T00:00:00Z ' \
    "$1" "$kube_version" "$1" "$1" "$minor" "$1" "$1"
}
kube_ldflags="-s -w $(stamp_pkg k8s.io/component-base/version) $(stamp_pkg k8s.io/client-go/pkg/version)"

build() { # $1 = module dir, $2 = output name, $3 = package, $4 = extra ldflags
  local t0=$(date +%s)
  (cd "$here/$1" && go build -ldflags "$4" -o "$bin/$2" "$3")
  echo "test-bed tools: built $2 in $(( $(date +%s) - t0 ))s" >&2
}

build kube kube-apiserver k8s.io/kubernetes/cmd/kube-apiserver "$kube_ldflags"
build kube kube-controller-manager k8s.io/kubernetes/cmd/kube-controller-manager "$kube_ldflags"
build kube kube-scheduler k8s.io/kubernetes/cmd/kube-scheduler "$kube_ldflags"
build kube kubectl k8s.io/kubernetes/cmd/kubectl "$kube_ldflags"
build etcd etcd go.etcd.io/etcd/server/v3 "-s -w"
# kwok carries its own version in source (pkg/consts), so it needs no stamp.
build kwok kwok sigs.k8s.io/kwok/cmd/kwok "-s -w"
build kwok kwokctl sigs.k8s.io/kwok/cmd/kwokctl "-s -w"
krew_version=$(pinned sigs.k8s.io/krew krew)
build krew krew sigs.k8s.io/krew/cmd/krew "-s -w -X sigs.k8s.io/krew/internal/version.gitTag=$krew_version"
build krew validate-krew-manifest sigs.k8s.io/krew/cmd/validate-krew-manifest "-s -w"

echo "$(date -u +%FT%TZ) in $(( $(date +%s) - start ))s" > "$stamp"
echo "test-bed tools: built all in $(( $(date +%s) - start ))s into $bin" >&2
echo "$bin"
