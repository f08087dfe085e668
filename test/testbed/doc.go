// Package testbed runs the simulated cluster the plugin is tested and demonstrated on: a real
// etcd, kube-apiserver, kube-controller-manager and kube-scheduler started by kwokctl's binary
// runtime, with kwok playing the nodes. kwok serves pod exec and logs from Exec and Logs objects;
// exec runs fake calico-node/calico/tc programs (test/fakes) on this machine that answer as the
// node and Calico version of the pod, from fixtures rewritten to the cluster's own addresses.
//
// A small controller (Controller) runs beside the cluster: it gives every calico-node pod its
// Exec and Logs objects, including pods created later by rollouts, and stands in for the Tigera
// operator by re-rendering the calico-node DaemonSet when the Installation changes.
package testbed
