package calico

import "k8s.io/apimachinery/pkg/runtime/schema"

// Where Calico puts calico-node, by install flavour.
const (
	// OperatorNamespace is where the Tigera operator renders calico-node.
	OperatorNamespace = "calico-system"
	// ManifestNamespace is where manifest (calico.yaml) installs run calico-node.
	ManifestNamespace = "kube-system"
	// TigeraOperatorNamespace holds the operator Deployment and its kubernetes-services-endpoint ConfigMap.
	TigeraOperatorNamespace = "tigera-operator"

	// NodeDaemonSet is the name of the calico-node DaemonSet in both flavours.
	NodeDaemonSet = "calico-node"
	// NodeContainer is the container that holds the calico-node binary and the BPF tools.
	NodeContainer = "calico-node"
	// NodeLabelKey and NodeLabelValue select calico-node pods.
	NodeLabelKey   = "k8s-app"
	NodeLabelValue = "calico-node"
	// NodeSelector is the label selector for calico-node pods.
	NodeSelector = NodeLabelKey + "=" + NodeLabelValue

	// OperatorDeployment is the Tigera operator's Deployment in TigeraOperatorNamespace.
	OperatorDeployment = "tigera-operator"
	// DefaultName is the name of the cluster-wide Installation and FelixConfiguration.
	DefaultName = "default"

	// IPv4AddressAnnotation is the node annotation Calico writes with the node's IPv4 CIDR.
	IPv4AddressAnnotation = "projectcalico.org/IPv4Address"
	// IPv4IPIPTunnelAnnotation and friends carry the node's tunnel addresses.
	IPv4IPIPTunnelAnnotation  = "projectcalico.org/IPv4IPIPTunnelAddr"
	IPv4VXLANTunnelAnnotation = "projectcalico.org/IPv4VXLANTunnelAddr"
)

// Resources of Calico and its operator, by API group.
var (
	InstallationGVR = schema.GroupVersionResource{Group: "operator.tigera.io", Version: "v1", Resource: "installations"}
	TigeraStatusGVR = schema.GroupVersionResource{Group: "operator.tigera.io", Version: "v1", Resource: "tigerastatuses"}
	// FelixConfigurationV1GVR is the CRD storage group every install has.
	FelixConfigurationV1GVR = schema.GroupVersionResource{Group: "crd.projectcalico.org", Version: "v1", Resource: "felixconfigurations"}
	// FelixConfigurationV3GVR is served by the Calico API server or by native v3 CRDs (v3.32+).
	FelixConfigurationV3GVR = schema.GroupVersionResource{Group: "projectcalico.org", Version: "v3", Resource: "felixconfigurations"}
	ClusterInformationV1GVR = schema.GroupVersionResource{Group: "crd.projectcalico.org", Version: "v1", Resource: "clusterinformations"}
	ClusterInformationV3GVR = schema.GroupVersionResource{Group: "projectcalico.org", Version: "v3", Resource: "clusterinformations"}
	IPPoolV1GVR             = schema.GroupVersionResource{Group: "crd.projectcalico.org", Version: "v1", Resource: "ippools"}
)
