// Package collect decides what to run on which node: the argv of each dump for the node's Calico
// version (calico-node -bpf … up to v3.32, calico component node bpf … from v3.33, --json where
// the version has it), and runs it across nodes.
package collect
