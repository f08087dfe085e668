package enable

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/version"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/calico"
)

// Reading unstructured content, and the refs of the objects enable works on.

func nested(obj map[string]any, path ...string) (any, bool) {
	var cur any = obj
	for _, p := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[p]; !ok {
			return nil, false
		}
	}
	return cur, true
}

func str(obj map[string]any, path ...string) string {
	v, _ := nested(obj, path...)
	s, _ := v.(string)
	return s
}

func strMap(obj map[string]any, path ...string) map[string]string {
	v, _ := nested(obj, path...)
	m, _ := v.(map[string]any)
	out := map[string]string{}
	for k, v := range m {
		if s, ok := v.(string); ok {
			out[k] = s
		}
	}
	return out
}

// recorded returns the undo enable left on the object, nil when there is none.
func recorded(obj map[string]any) (map[string]any, error) {
	u, err := decodeUndo(strMap(obj, "metadata", "annotations")[RestoreAnnotation])
	if err != nil {
		return nil, fmt.Errorf("%s/%s: %w", str(obj, "kind"), str(obj, "metadata", "name"), err)
	}
	return u, nil
}

func createdByEnable(obj map[string]any) bool {
	return strMap(obj, "metadata", "annotations")[CreatedAnnotation] == "true"
}

// containerEnv returns the literal env values of a container of a workload's pod template;
// variables taken from elsewhere (valueFrom) read as "".
func containerEnv(workload map[string]any, container string) (env map[string]string, envFrom []string) {
	env = map[string]string{}
	v, _ := nested(workload, "spec", "template", "spec", "containers")
	cs, _ := v.([]any)
	for _, c := range cs {
		cm, _ := c.(map[string]any)
		if str(cm, "name") != container {
			continue
		}
		es, _ := cm["env"].([]any)
		for _, e := range es {
			em, _ := e.(map[string]any)
			env[str(em, "name")] = str(em, "value") // "" for valueFrom: set, but not by value
		}
		fs, _ := cm["envFrom"].([]any)
		for _, f := range fs {
			fm, _ := f.(map[string]any)
			if n := str(fm, "configMapRef", "name"); n != "" {
				envFrom = append(envFrom, n)
			}
		}
	}
	return env, envFrom
}

// envSatisfied: every wanted variable has the value, "" meaning absent.
func envSatisfied(env map[string]string, want map[string]string) bool {
	for k, v := range want {
		got, has := env[k]
		if v == "" && has || v != "" && got != v {
			return false
		}
	}
	return true
}

// features says what the operator can do for eBPF: bpfNetworkBootstrap and kubeProxyManagement
// (operator v1.40, Calico v3.31) and host ports in BPF mode (operator v1.31, Calico v3.27).
// Without a version in the operator's image tag, Calico's own version stands in.
func features(st State) (bootstrap, hostPorts, known bool) {
	if v := calico.ParseVersion(calico.ImageTag(st.OperatorImage)); v != nil {
		return v.AtLeast(version.MustParseGeneric("1.40.0")), v.AtLeast(version.MustParseGeneric("1.31.0")), true
	}
	if v := calico.ParseVersion(calico.ImageTag(st.CalicoImage)); v != nil {
		return v.AtLeast(version.MustParseGeneric("3.31.0")), v.AtLeast(version.MustParseGeneric("3.27.0")), true
	}
	return false, false, false
}

// managedBy names what claims a DaemonSet, e.g. `the addon manager (label
// addonmanager.kubernetes.io/mode=Reconcile)`; "" when nothing does.
func managedBy(ds map[string]any) string {
	var found []string
	for _, c := range calico.ClaimsOn(strMap(ds, "metadata", "labels"), strMap(ds, "metadata", "annotations")) {
		found = append(found, fmt.Sprintf("%s (%s)", c.Tool, c.Evidence))
	}
	return strings.Join(found, ", ")
}

// lastWrite is the time of the object's last write: the newest managedFields entry, or its
// creation when it has none.
func lastWrite(obj map[string]any) time.Time {
	var t time.Time
	v, _ := nested(obj, "metadata", "managedFields")
	entries, _ := v.([]any)
	for _, e := range entries {
		em, _ := e.(map[string]any)
		if et, err := time.Parse(time.RFC3339, str(em, "time")); err == nil && et.After(t) {
			t = et
		}
	}
	if t.IsZero() {
		t, _ = time.Parse(time.RFC3339, str(obj, "metadata", "creationTimestamp"))
	}
	return t
}

// splitHostPort checks --api-server.
func splitHostPort(hp string) (string, string, error) {
	host, port, err := net.SplitHostPort(hp)
	if err != nil {
		return "", "", fmt.Errorf("--api-server %q: want HOST:PORT: %w", hp, err)
	}
	if n, err := strconv.Atoi(port); err != nil || n <= 0 || n > 65535 {
		return "", "", fmt.Errorf("--api-server %q: port %q is not a number from 1 to 65535", hp, port)
	}
	if host == "" {
		return "", "", fmt.Errorf("--api-server %q: no host", hp)
	}
	return host, port, nil
}

func refs(st State) (inst, felix, cm, kubeProxy, node, operator Ref) {
	inst = Ref{GVR: calico.InstallationGVR, Kind: "Installation", Name: calico.DefaultName}
	felix = Ref{GVR: st.FelixGVR, Kind: "FelixConfiguration", Name: calico.DefaultName}
	ns := calico.TigeraOperatorNamespace
	if st.Flavour == calico.FlavourManifest {
		ns = calico.ManifestNamespace
	}
	cm = Ref{GVR: configMapGVR, Kind: "ConfigMap", Namespace: ns, Name: EndpointConfigMap}
	kubeProxy = Ref{GVR: daemonSetGVR, Kind: "DaemonSet", Namespace: "kube-system", Name: KubeProxy}
	node = Ref{GVR: daemonSetGVR, Kind: "DaemonSet", Namespace: st.CalicoNamespace, Name: calico.NodeDaemonSet}
	operator = Ref{GVR: deploymentGVR, Kind: "Deployment", Namespace: calico.TigeraOperatorNamespace, Name: calico.OperatorDeployment}
	return
}

func (st State) rollout(r Ref) Rollout { return st.Rollouts[rolloutKey(r.Kind, r.Namespace, r.Name)] }
