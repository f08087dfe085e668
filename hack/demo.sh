#!/usr/bin/env bash
# make demo: start (or reuse) a 3-node simulated cluster with mixed Calico versions and run the
# plugin's headline commands against it through the real kubectl.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
cache=${CALICO_EBPF_CACHE:-$root/.cache}

echo "==> starting the simulated cluster (first run builds the test-bed tools: ~10 minutes on 2 cores)"
export_line=$("$cache/bin/testbed" up --name calico-ebpf --nodes 3 --versions v3.22.5,v3.29.7,v3.32.1 | tail -1)
eval "$export_line"
tools=$(bash test/tools/build.sh 2>/dev/null)
export PATH="$root/bin:$tools:$PATH"

run() { echo; echo "\$ $*"; "$@"; }
run kubectl get nodes -o wide
run kubectl get pods -n calico-system -o wide
run kubectl plugin list
run kubectl calico-ebpf version
run kubectl calico-ebpf preflight || true
echo "# verify exits 1 here, as it should: the demo cluster does not run eBPF yet"
run kubectl calico-ebpf verify --all-nodes || true
run kubectl calico-ebpf routes --all-nodes
run kubectl calico-ebpf nat --node node-3
run kubectl calico-ebpf nat --explain --node node-3
run kubectl calico-ebpf nat --check --all-nodes
run kubectl calico-ebpf conntrack --node node-2
run kubectl calico-ebpf conntrack --all-nodes --stats
run kubectl calico-ebpf ipsets --node node-1 -o wide
run kubectl calico-ebpf trace --node node-3 --count 6
run kubectl calico-ebpf config get
run kubectl calico-ebpf dsr status
echo "# enable on this cluster would stop at the calico-node rollout: its DaemonSet is OnDelete (mixed versions)."
echo "# The plan, validated by the API server with a server-side dry run (nothing is stored):"
run kubectl calico-ebpf enable --dry-run
echo
echo "# The same parsers read saved output, with no cluster:"
run kubectl calico-ebpf nat --explain --input pkg/parse/testdata/v3.22.5/nat-dump.stdout.txt

echo
echo "==> enable and disable for real, on a second cluster: 3 nodes on v3.32.1, operator v1.38.3, iptables"
enable_export=$("$cache/bin/testbed" up --name calico-ebpf-enable --nodes 3 --versions v3.32.1 --operator-version v1.38.3 | tail -1)
(
  eval "$enable_export"
  run kubectl calico-ebpf enable --settle 5s
  run kubectl calico-ebpf disable --remove-endpoint-config
  run kubectl calico-ebpf disable
)
"$cache/bin/testbed" down --name calico-ebpf-enable

cat <<MSG

The cluster keeps running. To use it yourself:
  $export_line
  export PATH=$root/bin:$tools:\$PATH
  kubectl calico-ebpf version
Stop it with:
  make cluster-down
MSG
