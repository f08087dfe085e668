package cmd

import (
	"k8s.io/cli-runtime/pkg/genericclioptions"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/kube"
)

// execClients reads --exec-transport (a bad value is a usage error) and builds the clients:
// how every command that execs into calico-node starts.
func execClients(getter genericclioptions.RESTClientGetter, execTransport string) (*kube.Clients, kube.Transport, error) {
	transport, err := kube.ParseTransport(execTransport)
	if err != nil {
		return nil, "", usageError{err}
	}
	clients, err := kube.NewClients(getter)
	if err != nil {
		return nil, "", err
	}
	return clients, transport, nil
}
