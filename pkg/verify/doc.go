// Package verify proves, node by node, that the eBPF dataplane really runs: Gather reads the
// facts of each node (its calico-node pod, the install's configuration, the Felix log, the
// attached programs, the BPF file system, kube-proxy, the kernel), and Evaluate, which is
// pure, turns them into one OK, WARN or FAIL per check with what was seen and what to do.
package verify
