#!/usr/bin/env bash
# Builds the release archives (linux, darwin, windows × amd64, arm64; each with LICENSE) into
# dist/ and renders plugin.yaml, the krew manifest of this build, with their sha256 sums.
#   usage: hack/dist.sh VERSION LDFLAGS
set -euo pipefail
version=$1 ldflags=$2
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
repo_url=https://github.com/calico-ebpf/kubectl-calico-ebpf
rm -rf dist && mkdir -p dist
platforms=(linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64)

declare -A sums
for p in "${platforms[@]}"; do
  os=${p%/*} arch=${p#*/}
  ext=""; [[ $os == windows ]] && ext=.exe
  stage=dist/stage-$os-$arch
  mkdir -p "$stage"
  CGO_ENABLED=0 GOOS=$os GOARCH=$arch go build -trimpath -ldflags "$ldflags" \
    -o "$stage/kubectl-calico_ebpf$ext" ./cmd/kubectl-calico_ebpf
  cp LICENSE "$stage/"
  archive=kubectl-calico_ebpf_${os}_${arch}.tar.gz
  # Fixed owner, order and times so that the same build gives the same archive.
  tar --sort=name --owner=0 --group=0 --numeric-owner --mtime='1970-01-01 00:00:00Z' \
    -C "$stage" -cf - . | gzip -n > "dist/$archive"
  rm -rf "$stage"
  sums[$p]=$(sha256sum "dist/$archive" | cut -d' ' -f1)
  echo "dist: $archive ${sums[$p]}" >&2
done

{
  cat <<YAML
apiVersion: krew.googlecontainertools.github.com/v1alpha2
kind: Plugin
metadata:
  name: calico-ebpf
spec:
  version: $version
  homepage: $repo_url
  shortDescription: Enable, verify and troubleshoot Calico's eBPF dataplane
  description: |
    Switches a Calico cluster to the eBPF dataplane as a safe, resumable plan, proves that
    every node runs it, and reads each node's BPF routes, NAT, IP sets and conntrack,
    explaining them in Kubernetes terms (Services, pods, nodes).
  caveats: |
    Reading BPF state needs get/create on pods/exec in the Calico namespace.
    enable/disable/dsr/config change Calico configuration: see the README's RBAC section.
  platforms:
YAML
  for p in "${platforms[@]}"; do
    os=${p%/*} arch=${p#*/}
    ext=""; [[ $os == windows ]] && ext=.exe
    cat <<YAML
  - selector:
      matchLabels:
        os: $os
        arch: $arch
    uri: $repo_url/releases/download/$version/kubectl-calico_ebpf_${os}_${arch}.tar.gz
    sha256: ${sums[$p]}
    bin: kubectl-calico_ebpf$ext
    files:
    - from: kubectl-calico_ebpf$ext
      to: .
    - from: LICENSE
      to: .
YAML
  done
} > plugin.yaml
cp plugin.yaml dist/plugin.yaml
echo "dist: rendered plugin.yaml for $version" >&2
