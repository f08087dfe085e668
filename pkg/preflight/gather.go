package preflight

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/yaml"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/calico"
	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/kube"
)

// Executor runs a command in a container: kube.PodExecutor in the plugin, a fake in tests.
type Executor interface {
	Exec(ctx context.Context, target kube.Target, argv []string, stdout, stderr io.Writer) error
}

// Options are what Gather needs besides the clients.
type Options struct {
	// CalicoNamespace overrides where calico-node is looked for.
	CalicoNamespace string
	// APIServer is the --api-server HOST:PORT, "" when not given.
	APIServer string
	// Exec reads each node's mounts through its calico-node pod; nil skips that.
	Exec Executor
	// ExecTimeout bounds each node's exec; Parallel bounds how many run at once.
	ExecTimeout time.Duration
	Parallel    int
}

// Names of kube-proxy's objects and the keys preflight reads.
const (
	kubeProxyName        = "kube-proxy"
	kubeProxyConfigKey   = "config.conf"
	endpointConfigMap    = "kubernetes-services-endpoint"
	disableKubeProxyNode = "operator.tigera.io/disable-kube-proxy"
)

// Gather reads the cluster into Facts. Objects that are absent are facts too; only failures to
// read (RBAC, connection) are errors.
func Gather(ctx context.Context, kc kubernetes.Interface, dc dynamic.Interface, opts Options) (Facts, error) {
	var f Facts
	inst, err := kube.DetectCalico(ctx, kc, dc, opts.CalicoNamespace)
	if err != nil {
		return f, err
	}
	f.Install = InstallFacts{Flavour: inst.Flavour, Namespace: inst.Namespace, Found: inst.DaemonSet != nil, CalicoImage: inst.Image}
	if err := gatherOperator(ctx, kc, dc, &f.Install); err != nil {
		return f, err
	}
	if f.APIServer, err = gatherAPIServer(ctx, kc, f.Install.Flavour, opts.APIServer); err != nil {
		return f, err
	}
	if f.KubeProxy, err = gatherKubeProxy(ctx, kc); err != nil {
		return f, err
	}
	nodes, err := kc.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return f, fmt.Errorf("list nodes: %w", err)
	}
	var pods map[string]*corev1.Pod
	if f.Install.Found {
		if pods, err = kube.CalicoNodePods(ctx, kc, inst.Namespace); err != nil {
			return f, err
		}
	}
	sort.Slice(nodes.Items, func(i, j int) bool { return nodes.Items[i].Name < nodes.Items[j].Name })
	for _, n := range nodes.Items {
		ni := n.Status.NodeInfo
		nf := NodeFacts{Name: n.Name, KernelVersion: ni.KernelVersion, OSImage: ni.OSImage,
			OperatingSystem: ni.OperatingSystem, Architecture: ni.Architecture}
		if nf.OperatingSystem == "" {
			nf.OperatingSystem = n.Labels[corev1.LabelOSStable]
		}
		if nf.Architecture == "" {
			nf.Architecture = n.Labels[corev1.LabelArchStable]
		}
		if p := pods[n.Name]; p != nil {
			nf.Pod = p.Name
		}
		f.Nodes = append(f.Nodes, nf)
	}
	if opts.Exec != nil {
		readMounts(ctx, opts, inst.Namespace, pods, f.Nodes)
	}
	return f, nil
}

func gatherOperator(ctx context.Context, kc kubernetes.Interface, dc dynamic.Interface, in *InstallFacts) error {
	dep, err := kc.AppsV1().Deployments(calico.TigeraOperatorNamespace).Get(ctx, calico.OperatorDeployment, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
	case err != nil:
		return fmt.Errorf("get deployment %s/%s: %w", calico.TigeraOperatorNamespace, calico.OperatorDeployment, err)
	default:
		in.OperatorImage = operatorImage(dep)
	}
	if dc == nil || in.Flavour != calico.FlavourOperator {
		return nil
	}
	inst, err := dc.Resource(calico.InstallationGVR).Get(ctx, calico.DefaultName, metav1.GetOptions{})
	if err == nil {
		str := func(f string) string {
			s, _, _ := unstructured.NestedString(inst.Object, "spec", "calicoNetwork", f)
			return s
		}
		in.Installation = &InstallationFacts{
			LinuxDataplane: str("linuxDataplane"), HostPorts: str("hostPorts"),
			BPFNetworkBootstrap: str("bpfNetworkBootstrap"), KubeProxyManagement: str("kubeProxyManagement"),
		}
	} else if !apierrors.IsNotFound(err) {
		return fmt.Errorf("get installation %s: %w", calico.DefaultName, err)
	}
	ts, err := dc.Resource(calico.TigeraStatusGVR).Get(ctx, "calico", metav1.GetOptions{})
	if err == nil {
		in.TigeraStatus = tigeraStatus(ts)
	} else if !apierrors.IsNotFound(err) {
		return fmt.Errorf("get tigerastatus calico: %w", err)
	}
	return nil
}

func operatorImage(d *appsv1.Deployment) string {
	for _, c := range d.Spec.Template.Spec.Containers {
		if c.Name == calico.OperatorDeployment {
			return c.Image
		}
	}
	if cs := d.Spec.Template.Spec.Containers; len(cs) > 0 {
		return cs[0].Image
	}
	return ""
}

func tigeraStatus(u *unstructured.Unstructured) *TigeraStatusFacts {
	ts := &TigeraStatusFacts{}
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	for _, c := range conds {
		m, ok := c.(map[string]any)
		if !ok {
			continue
		}
		status, _ := m["status"].(string)
		msg, _ := m["message"].(string)
		switch m["type"] {
		case "Available":
			ts.Available = status
		case "Progressing":
			ts.Progressing = status
			if status == "True" && ts.Message == "" {
				ts.Message = msg
			}
		case "Degraded":
			ts.Degraded = status
			if status == "True" {
				ts.Message = msg
			}
		}
	}
	return ts
}

func gatherAPIServer(ctx context.Context, kc kubernetes.Interface, fl calico.Flavour, override string) (APIServerFacts, error) {
	a := APIServerFacts{Override: override}
	slices, err := kc.DiscoveryV1().EndpointSlices(metav1.NamespaceDefault).List(ctx, metav1.ListOptions{
		LabelSelector: discoveryv1.LabelServiceName + "=kubernetes",
	})
	if err != nil {
		return a, fmt.Errorf("list endpointslices of service default/kubernetes: %w", err)
	}
	a.Endpoints = calico.APIServerEndpoints(slices.Items)
	// The flavour's own namespace first; the other one is reported as misplaced.
	nss := []string{calico.TigeraOperatorNamespace, calico.ManifestNamespace}
	if fl == calico.FlavourManifest {
		nss[0], nss[1] = nss[1], nss[0]
	}
	for _, ns := range nss {
		cm, err := kc.CoreV1().ConfigMaps(ns).Get(ctx, endpointConfigMap, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			continue
		}
		if err != nil {
			return a, fmt.Errorf("get configmap %s/%s: %w", ns, endpointConfigMap, err)
		}
		a.ConfigMap = &EndpointConfigMap{Namespace: ns, Host: cm.Data["KUBERNETES_SERVICE_HOST"], Port: cm.Data["KUBERNETES_SERVICE_PORT"]}
		break
	}
	return a, nil
}

func gatherKubeProxy(ctx context.Context, kc kubernetes.Interface) (KubeProxyFacts, error) {
	var kp KubeProxyFacts
	cm, err := kc.CoreV1().ConfigMaps(metav1.NamespaceSystem).Get(ctx, kubeProxyName, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
	case err != nil:
		return kp, fmt.Errorf("get configmap kube-system/%s: %w", kubeProxyName, err)
	default:
		kp.ConfigMap = true
		kp.Mode = kubeProxyMode(cm.Data[kubeProxyConfigKey])
		kp.ModeSource = "ConfigMap kube-system/kube-proxy " + kubeProxyConfigKey
	}
	ds, err := kc.AppsV1().DaemonSets(metav1.NamespaceSystem).Get(ctx, kubeProxyName, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
	case err != nil:
		return kp, fmt.Errorf("get daemonset kube-system/%s: %w", kubeProxyName, err)
	default:
		kp.DaemonSet = true
		kp.Labels, kp.Annotations = ds.Labels, ds.Annotations
		kp.NodeSelectorDisabled = ds.Spec.Template.Spec.NodeSelector[disableKubeProxyNode] == "true"
		if m := proxyModeFlag(ds); m != "" {
			kp.Mode, kp.ModeSource = m, "DaemonSet kube-system/kube-proxy flag --proxy-mode"
		}
	}
	return kp, nil
}

// kubeProxyMode reads mode from a KubeProxyConfiguration; "" when unset or unreadable.
func kubeProxyMode(conf string) string {
	var c struct {
		Mode string `json:"mode"`
	}
	if err := yaml.Unmarshal([]byte(conf), &c); err != nil {
		return ""
	}
	return strings.TrimSpace(c.Mode)
}

func proxyModeFlag(ds *appsv1.DaemonSet) string {
	for _, c := range ds.Spec.Template.Spec.Containers {
		args := append(append([]string{}, c.Command...), c.Args...)
		for i, a := range args {
			if v, ok := strings.CutPrefix(a, "--proxy-mode="); ok {
				return v
			}
			if a == "--proxy-mode" && i+1 < len(args) {
				return args[i+1]
			}
		}
	}
	return ""
}

// readMounts reads /proc/mounts in each node's calico-node pod, a few at a time.
func readMounts(ctx context.Context, opts Options, ns string, pods map[string]*corev1.Pod, nodes []NodeFacts) {
	parallel := max(opts.Parallel, 1)
	timeout := opts.ExecTimeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	sem := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	for i := range nodes {
		n := &nodes[i]
		p := pods[n.Name]
		if p == nil || isWindows(*n) {
			continue
		}
		if p.Status.Phase != corev1.PodRunning {
			n.MountsError = fmt.Sprintf("pod is %s", p.Status.Phase)
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			ectx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			var out bytes.Buffer
			target := kube.Target{Node: n.Name, Namespace: ns, Pod: p.Name, Container: calico.NodeContainer}
			argv := []string{"cat", "/proc/mounts"}
			err := opts.Exec.Exec(ectx, target, argv, &out, nil)
			if kube.IsTransient(err) {
				out.Reset() // a broken stream: the command only reads, so once more
				err = opts.Exec.Exec(ectx, target, argv, &out, nil)
			}
			if err != nil {
				n.MountsError = err.Error()
				return
			}
			n.Mounts = ParseMounts(out.String())
		}()
	}
	wg.Wait()
}

// ParseMounts reads /proc/mounts: source target fstype options dump pass. Never nil.
func ParseMounts(s string) []Mount {
	out := []Mount{}
	for _, line := range strings.Split(s, "\n") {
		f := strings.Fields(line)
		if len(f) < 3 {
			continue
		}
		out = append(out, Mount{Source: f[0], Target: unescapeMount(f[1]), FSType: f[2]})
	}
	return out
}

// unescapeMount undoes /proc/mounts' octal escapes (\040 for a space).
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
