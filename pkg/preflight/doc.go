// Package preflight checks a cluster before the eBPF dataplane is enabled.
//
// Gather reads the cluster into Facts (nodes' nodeInfo, the Calico install, the API server's
// endpoints and the kubernetes-services-endpoint ConfigMap, kube-proxy and who manages it, and,
// where a calico-node pod exists, its mount table). Evaluate turns Facts into a Report: it is
// pure, so every check is unit tested in each of its states without a cluster.
package preflight
