package kube

import (
	"fmt"

	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// Clients bundles what the commands talk to the cluster with. All are built from one rest.Config
// so --kubeconfig, --context, --as and --request-timeout apply to every call.
type Clients struct {
	Kube    kubernetes.Interface
	Dynamic dynamic.Interface
	Config  *rest.Config
}

// UserAgent names the plugin in every request, so that audit logs and API priority and
// fairness can tell its requests from kubectl's. Set by pkg/cmd from the build version.
var UserAgent = "kubectl-calico-ebpf"

// NewClients builds the clients from kubectl's flags.
func NewClients(getter genericclioptions.RESTClientGetter) (*Clients, error) {
	cfg, err := getter.ToRESTConfig()
	if err != nil {
		return nil, fmt.Errorf("load kubeconfig: %w", err)
	}
	cfg = rest.CopyConfig(cfg)
	cfg.UserAgent = UserAgent
	kc, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("create kubernetes client: %w", err)
	}
	dc, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("create dynamic client: %w", err)
	}
	return &Clients{Kube: kc, Dynamic: dc, Config: cfg}, nil
}
