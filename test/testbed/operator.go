package testbed

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/version"
	"k8s.io/client-go/dynamic"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/calico"
)

// What the Tigera operator stand-in reads, per operator version, as the real operator does
// (docs/reference calico-bpf-formats.md §4.1, §5.1).

const (
	operatorImage          = "quay.io/tigera/operator:"
	defaultOperatorVersion = "v1.42.3"
	endpointConfigMap      = "kubernetes-services-endpoint"
	// disableKubeProxyLabel is the nodeSelector kubeProxyManagement gives kube-proxy.
	disableKubeProxyLabel = "operator.tigera.io/disable-kube-proxy"
)

// operatorSpec is what the operator makes of the Installation and the cluster.
type operatorSpec struct {
	bpf                 bool
	host, port          string // from the kubernetes-services-endpoint ConfigMap
	kubeProxyManagement bool
	// refusal is what TigeraStatus says when the operator will not render.
	refusal string
}

func (s operatorSpec) env() map[string]string {
	return map[string]string{bpfEnv: fmt.Sprint(s.bpf), "KUBERNETES_SERVICE_HOST": s.host, "KUBERNETES_SERVICE_PORT": s.port}
}

func (c *Controller) operatorSpec(ctx context.Context, inst *unstructured.Unstructured) (operatorSpec, error) {
	net := func(f string) string {
		s, _, _ := unstructured.NestedString(inst.Object, "spec", "calicoNetwork", f)
		return s
	}
	var s operatorSpec
	s.bpf = net("linuxDataplane") == "BPF"
	v, err := c.operatorVersion(ctx)
	if err != nil {
		return s, err
	}
	v140 := v.AtLeast(version.MustParseGeneric("1.40.0"))
	cm, err := c.kube.CoreV1().ConfigMaps(calico.TigeraOperatorNamespace).Get(ctx, endpointConfigMap, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
	case err != nil:
		return s, err
	default:
		s.host, s.port = cm.Data["KUBERNETES_SERVICE_HOST"], cm.Data["KUBERNETES_SERVICE_PORT"]
	}
	s.kubeProxyManagement = v140 && net("kubeProxyManagement") == "Enabled"
	switch {
	case v140 && s.bpf && net("bpfNetworkBootstrap") == "Enabled" && cm != nil && err == nil:
		s.refusal = "bpfNetworkBootstrap is Enabled but the requirements are not met: the kubernetes-services-endpoint ConfigMap must not exist"
	case s.bpf && !v.AtLeast(version.MustParseGeneric("1.31.0")) && net("hostPorts") != "Disabled":
		s.refusal = "spec.calicoNetwork.hostPorts is not supported with the eBPF dataplane"
	}
	return s, nil
}

// operatorVersion reads the version from the tigera-operator Deployment's image tag.
func (c *Controller) operatorVersion(ctx context.Context) (*version.Version, error) {
	d, err := c.kube.AppsV1().Deployments(calico.TigeraOperatorNamespace).Get(ctx, calico.OperatorDeployment, metav1.GetOptions{})
	if err != nil {
		return nil, fmt.Errorf("get operator deployment: %w", err)
	}
	v := calico.ParseVersion(calico.ImageTag(d.Spec.Template.Spec.Containers[0].Image))
	if v == nil {
		v = version.MustParseGeneric(defaultOperatorVersion)
	}
	return v, nil
}

// manageKubeProxy is kubeProxyManagement: kube-proxy gets a nodeSelector no node matches while
// FelixConfiguration bpfEnabled is true, and loses it when BPF is off. DaemonSets that a tool
// manages are left alone, as the operator refuses them.
func (c *Controller) manageKubeProxy(ctx context.Context, bpf bool) error {
	dss := c.kube.AppsV1().DaemonSets(metav1.NamespaceSystem)
	ds, err := dss.Get(ctx, "kube-proxy", metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if ds.Labels["app.kubernetes.io/managed-by"] != "" || ds.Labels["addonmanager.kubernetes.io/mode"] != "" || ds.Annotations["argocd.argoproj.io/tracking-id"] != "" {
		return nil
	}
	_, has := ds.Spec.Template.Spec.NodeSelector[disableKubeProxyLabel]
	if has == bpf {
		return nil
	}
	value := any(nil)
	if bpf {
		value = "true"
	}
	patch, _ := json.Marshal(map[string]any{"spec": map[string]any{"template": map[string]any{"spec": map[string]any{"nodeSelector": map[string]any{disableKubeProxyLabel: value}}}}})
	if _, err := dss.Patch(ctx, "kube-proxy", types.MergePatchType, patch, metav1.PatchOptions{FieldManager: "operator"}); err != nil {
		return fmt.Errorf("patch daemonset kube-system/kube-proxy: %w", err)
	}
	return nil
}

const felixBPFOn = "/felix-bpf"

// felixStamp is, on manifest installs, FelixConfiguration's bpfEnabled as part of a wire stamp:
// Felix restarts when it changes. Operator installs render it into the pods' environment.
func felixStamp(ctx context.Context, dc dynamic.Interface, flavour calico.Flavour) string {
	if flavour == calico.FlavourOperator || dc == nil {
		return ""
	}
	fc, err := dc.Resource(calico.FelixConfigurationV1GVR).Get(ctx, calico.DefaultName, metav1.GetOptions{})
	if err != nil {
		return ""
	}
	if on, _, _ := unstructured.NestedBool(fc.Object, "spec", "bpfEnabled"); on {
		return felixBPFOn
	}
	return ""
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
