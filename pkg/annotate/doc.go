// Package annotate names the addresses in BPF dataplane rows and explains
// and checks the NAT maps against the Kubernetes objects.
//
// The package is pure: it does no I/O, talks to no API server and imports
// no client-go. The caller lists Nodes, Pods, Services and EndpointSlices
// once per run and builds an Index from them (NewIndex); every function
// here then reads that Index and the rows of pkg/model.
//
// Annotations never change the rows. Each function returns a slice of
// annotation structs parallel to its input (annotation i belongs to row i)
// whose JSON fields are the extra fields the output layer writes next to
// Calico's own. Results are deterministic: owners, notes and findings are
// sorted, so output is stable from run to run.
//
// The NAT semantics encoded here follow Calico's kube-proxy replacement
// (felix/bpf/proxy): one id per service port shared by the ClusterIP and its
// derived frontends (NodePorts on every node address and on the all-ones
// wildcard, external IPs, LoadBalancer ingress IPs); count = ready endpoints,
// local endpoints first; count -1 for the plain key of a LoadBalancer or
// external IP with loadBalancerSourceRanges plus one key per allowed source
// CIDR; with internalTrafficPolicy Local no NodePort wildcard but one
// frontend with its own id per remote node that has endpoints.
package annotate
