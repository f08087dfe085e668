package enable

import (
	"time"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/calico"
)

// Annotations enable leaves on the objects it changes.
const (
	// RestoreAnnotation holds, as JSON, the merge patch that restores every field enable
	// changed on the object to its value before the first enable.
	RestoreAnnotation = "calico-ebpf.projectcalico.org/restore"
	// CreatedAnnotation marks an object enable created, which disable may delete.
	CreatedAnnotation = "calico-ebpf.projectcalico.org/created"
	// RestartedAtAnnotation is kubectl rollout restart's template annotation.
	RestartedAtAnnotation = "kubectl.kubernetes.io/restartedAt"
)

// Names enable works with.
const (
	EndpointConfigMap   = "kubernetes-services-endpoint"
	KubeProxy           = "kube-proxy"
	OperatorPodSelector = "k8s-app=tigera-operator"
	// KubeProxyOffLabel is the runbook's node selector that no node matches.
	KubeProxyOffLabel = "non-calico"
	// OperatorKubeProxyOffLabel is the node selector the operator's kubeProxyManagement sets.
	OperatorKubeProxyOffLabel = "operator.tigera.io/disable-kube-proxy"
)

var (
	configMapGVR  = schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}
	daemonSetGVR  = schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "daemonsets"}
	deploymentGVR = schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}
	podGVR        = schema.GroupVersionResource{Version: "v1", Resource: "pods"}
)

// Pod is what the plan needs of a pod: when it started.
type Pod struct {
	Name     string    `json:"name"`
	Created  time.Time `json:"created"`
	Deleting bool      `json:"deleting,omitempty"`
}

// Rollout is a workload's rollout state as `kubectl rollout status` sees it.
type Rollout struct {
	Done    bool   `json:"done"`
	Message string `json:"message,omitempty"`
	// Err is why the status cannot be read: OnDelete DaemonSets, for example.
	Err string `json:"err,omitempty"`
}

// State is everything BuildPlan depends on, read by Observe. Objects are unstructured
// content (map[string]any); nil means the object does not exist.
type State struct {
	Flavour         calico.Flavour `json:"flavour"`
	CalicoNamespace string         `json:"calicoNamespace"`
	// OperatorImage is the tigera-operator Deployment's image; CalicoImage calico-node's.
	OperatorImage string `json:"operatorImage,omitempty"`
	CalicoImage   string `json:"calicoImage,omitempty"`

	Installation map[string]any `json:"installation,omitempty"`
	// FelixConfiguration is "default", read through FelixGVR.
	FelixConfiguration map[string]any              `json:"felixConfiguration,omitempty"`
	FelixGVR           schema.GroupVersionResource `json:"-"`
	// EndpointConfigMap is kubernetes-services-endpoint in the flavour's namespace.
	EndpointConfigMap map[string]any `json:"endpointConfigMap,omitempty"`
	// ConfigMapWritten is the time of its last write (managedFields), zero when absent.
	ConfigMapWritten time.Time      `json:"configMapWritten,omitzero"`
	KubeProxy        map[string]any `json:"kubeProxy,omitempty"`
	CalicoNode       map[string]any `json:"calicoNode,omitempty"`
	Operator         map[string]any `json:"operator,omitempty"`

	OperatorPods   []Pod `json:"operatorPods,omitempty"`
	CalicoNodePods []Pod `json:"calicoNodePods,omitempty"`
	// Rollouts by "Kind namespace/name" of calico-node, kube-proxy and the operator.
	Rollouts map[string]Rollout `json:"rollouts,omitempty"`
	// APIEndpoints are the ready HOST:PORT endpoints of Service default/kubernetes.
	APIEndpoints []string `json:"apiEndpoints,omitempty"`
	// BPFUp: verify's bpf and felix checks pass on every node; BPFDetail says why not.
	BPFUp     bool      `json:"bpfUp"`
	BPFDetail string    `json:"bpfDetail,omitempty"`
	Now       time.Time `json:"now"`
}

// rolloutKey names a workload in State.Rollouts.
func rolloutKey(kind, namespace, name string) string { return kind + " " + namespace + "/" + name }

// Options are the user's choices.
type Options struct {
	// APIServer is --api-server HOST:PORT, "" to discover it.
	APIServer string
	// Force turns kube-proxy off even when a tool manages its DaemonSet.
	Force bool
	// DSR sets bpfExternalServiceMode: DSR in the same run.
	DSR bool
	// Settle is how long kubelets get to see a written ConfigMap.
	Settle time.Duration
	// RemoveEndpointConfig (disable) also restores the API server endpoint configuration.
	RemoveEndpointConfig bool
	// Step timeouts: writes, waits for rollouts and BPF, and the final verify.
	WriteTimeout, WaitTimeout time.Duration
}
