// Package calico holds Calico's vocabulary: namespaces, labels, container and object names,
// the API groups of its resources, and pure helpers that read facts (version, install flavour)
// from objects already fetched. It performs no I/O.
package calico
