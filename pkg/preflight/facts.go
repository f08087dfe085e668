package preflight

import "github.com/calico-ebpf/kubectl-calico-ebpf/pkg/calico"

// Facts is everything preflight looks at, as read from the cluster.
type Facts struct {
	Nodes     []NodeFacts
	Install   InstallFacts
	APIServer APIServerFacts
	KubeProxy KubeProxyFacts
}

// NodeFacts is one node: its nodeInfo and, when its calico-node pod could be asked, its mounts.
type NodeFacts struct {
	Name            string
	KernelVersion   string
	OSImage         string
	OperatingSystem string
	Architecture    string
	// Pod is the node's calico-node pod ("" when it has none).
	Pod string
	// Mounts is the pod's /proc/mounts, nil when it was not read.
	Mounts []Mount
	// MountsError says why the mounts could not be read, when a pod exists.
	MountsError string
}

// Mount is one line of /proc/mounts.
type Mount struct {
	Source string `json:"source"`
	Target string `json:"target"`
	FSType string `json:"fstype"`
}

// InstallFacts is the Calico install and, for operator installs, the operator and its objects.
type InstallFacts struct {
	Flavour calico.Flavour
	// Namespace is where calico-node runs; Found reports whether its DaemonSet exists.
	Namespace string
	Found     bool
	// CalicoImage is the calico-node image of the DaemonSet's template.
	CalicoImage string
	// OperatorImage is the tigera-operator Deployment's image ("" when there is none).
	OperatorImage string
	// Installation is the operator's Installation "default", nil when absent.
	Installation *InstallationFacts
	// TigeraStatus is TigeraStatus "calico", nil when absent.
	TigeraStatus *TigeraStatusFacts
}

// InstallationFacts is what preflight reads from Installation "default".
type InstallationFacts struct {
	LinuxDataplane      string
	HostPorts           string
	BPFNetworkBootstrap string
	KubeProxyManagement string
}

// TigeraStatusFacts holds the status of the conditions of TigeraStatus "calico" ("" when absent).
type TigeraStatusFacts struct {
	Available, Progressing, Degraded string
	Message                          string
}

// APIServerFacts is where the API server can be reached and what the cluster is told about it.
type APIServerFacts struct {
	// Endpoints are the ready HOST:PORT addresses in the EndpointSlices of default/kubernetes.
	Endpoints []string
	// Override is the --api-server HOST:PORT the user gave ("" when none).
	Override string
	// ConfigMap is the existing kubernetes-services-endpoint ConfigMap, nil when there is none.
	ConfigMap *EndpointConfigMap
}

// EndpointConfigMap is a kubernetes-services-endpoint ConfigMap.
type EndpointConfigMap struct {
	Namespace string
	Host      string
	Port      string
}

// KubeProxyFacts is the kube-proxy DaemonSet and its configuration.
type KubeProxyFacts struct {
	DaemonSet bool
	// ConfigMap reports whether ConfigMap kube-system/kube-proxy exists; Mode is its config.conf
	// mode, or the DaemonSet's --proxy-mode flag, which wins.
	ConfigMap bool
	Mode      string
	// ModeSource says where Mode came from, for the details.
	ModeSource string
	// NodeSelectorDisabled reports that the operator's disable-kube-proxy node selector is set.
	NodeSelectorDisabled bool
	Labels               map[string]string
	Annotations          map[string]string
}
