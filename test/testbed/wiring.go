package testbed

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/calico"
)

var (
	execGVR = schema.GroupVersionResource{Group: "kwok.x-k8s.io", Version: "v1alpha1", Resource: "execs"}
	logsGVR = schema.GroupVersionResource{Group: "kwok.x-k8s.io", Version: "v1alpha1", Resource: "logs"}
)

// Node annotations that turn a test-bed node into a broken or special one. The wiring reads
// them when it (re)creates the node's Exec object.
const (
	// AnnotationFakeMode is passed to the fakes as FAKE_MODE: hang, garbage or fail.
	AnnotationFakeMode = "testbed.calico-ebpf/fake-mode"
	// AnnotationBPFFS is passed as FAKE_BPFFS: absent hides the BPF file system.
	AnnotationBPFFS = "testbed.calico-ebpf/bpffs"
	// wiredPodAnnotation records on the Exec object which pod and node faults it was made for.
	wiredPodAnnotation = "testbed.calico-ebpf/pod-uid"
	// appLabel marks the fixture-world workloads so their IPs can be mapped.
	appLabel = "testbed.calico-ebpf/app"
)

// wire gives every calico-node pod an Exec and a Logs object, rendering the node's fixtures
// for the pod's Calico version on first sight, and deletes those of pods that are gone.
func (c *Controller) wire(ctx context.Context) error {
	pods, err := calicoNodePods(ctx, c.kube, c.namespace)
	if err != nil {
		return err
	}
	execs, err := c.dyn.Resource(execGVR).Namespace(c.namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return fmt.Errorf("list exec objects: %w", err)
	}
	nodes, err := c.kube.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return fmt.Errorf("list nodes: %w", err)
	}
	byName := map[string]*corev1.Node{}
	for i := range nodes.Items {
		byName[nodes.Items[i].Name] = &nodes.Items[i]
	}
	felix := felixStamp(ctx, c.dyn, c.flavour())
	wired := map[string]string{}
	for _, e := range execs.Items {
		wired[e.GetName()] = e.GetAnnotations()[wiredPodAnnotation]
	}
	live := map[string]bool{}
	for i := range pods {
		p := &pods[i]
		live[p.Name] = true
		node := byName[p.Spec.NodeName]
		if node == nil {
			continue
		}
		// The stamp covers the pod and the node's fault annotations, so that flipping a
		// node into a fault re-wires its pod.
		if wired[p.Name] == wireStamp(p, node, felix) {
			continue
		}
		if err := c.wirePod(ctx, p, node, felix); err != nil {
			return fmt.Errorf("wire pod %s on node %s: %w", p.Name, p.Spec.NodeName, err)
		}
	}
	for name := range wired {
		if !live[name] {
			_ = c.dyn.Resource(execGVR).Namespace(c.namespace).Delete(ctx, name, metav1.DeleteOptions{})
			_ = c.dyn.Resource(logsGVR).Namespace(c.namespace).Delete(ctx, name, metav1.DeleteOptions{})
		}
	}
	return c.refreshVerifyData(ctx, pods, byName)
}

// wireStamp identifies what an Exec object was made from: the pod, its node's faults and, on
// manifest installs, FelixConfiguration's bpfEnabled (felix), which Felix restarts for.
func wireStamp(p *corev1.Pod, node *corev1.Node, felix string) string {
	return string(p.UID) + "/" + node.Annotations[AnnotationFakeMode] + "/" + node.Annotations[AnnotationBPFFS] + "/" + verifyStamp(node) + felix + traceStamp(node)
}

func (c *Controller) wirePod(ctx context.Context, p *corev1.Pod, node *corev1.Node, felix string) error {
	version := calico.ImageTag(p.Spec.Containers[0].Image)
	dataDir, err := c.nodeData(ctx, node.Name, version)
	if err != nil {
		return err
	}
	if dataDir, err = c.verifyDataDir(ctx, node, version, dataDir); err != nil {
		return err
	}
	env := map[string]string{
		"FAKE_NODE":           node.Name,
		"FAKE_CALICO_VERSION": version,
		"FAKE_DATA_DIR":       dataDir,
		"FAKE_MODE":           node.Annotations[AnnotationFakeMode],
		"FAKE_BPFFS":          node.Annotations[AnnotationBPFFS],
		"FAKE_ATTACH":         nodeAttachMode(node, version),
	}
	for k, v := range traceEnv(node) {
		env[k] = v
	}
	stamp := wireStamp(p, node, felix)
	if err := c.apply(ctx, execGVR, p, stamp, map[string]any{"execs": []any{map[string]any{
		"containers": []any{calico.NodeContainer},
		"local":      map[string]any{"envs": envList(env), "workDir": dataDir},
	}}}); err != nil {
		return err
	}
	logFile, err := c.writeFelixLog(p, node, version, felix)
	if err != nil {
		return err
	}
	return c.apply(ctx, logsGVR, p, stamp, map[string]any{"logs": []any{map[string]any{
		"containers": []any{calico.NodeContainer}, "logsFile": logFile, "follow": true,
	}}})
}

// apply creates or replaces a kwok object named after the pod.
func (c *Controller) apply(ctx context.Context, gvr schema.GroupVersionResource, p *corev1.Pod, stamp string, spec map[string]any) error {
	kind := map[string]string{"execs": "Exec", "logs": "Logs"}[gvr.Resource]
	obj := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": gvr.GroupVersion().String(),
		"kind":       kind,
		"metadata": map[string]any{
			"name": p.Name, "namespace": p.Namespace,
			"annotations": map[string]any{wiredPodAnnotation: stamp},
		},
		"spec": spec,
	}}
	res := c.dyn.Resource(gvr).Namespace(p.Namespace)
	cur, err := res.Get(ctx, p.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		_, err = res.Create(ctx, obj, metav1.CreateOptions{})
		return err
	}
	if err != nil {
		return err
	}
	obj.SetResourceVersion(cur.GetResourceVersion())
	_, err = res.Update(ctx, obj, metav1.UpdateOptions{})
	return err
}

func envList(env map[string]string) []any {
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]any, 0, len(keys))
	for _, k := range keys {
		if env[k] != "" {
			out = append(out, map[string]any{"name": k, "value": env[k]})
		}
	}
	return out
}

// attachMode is how Felix attaches programs on a kernel that has TCX: tc before v3.31, TCX
// from v3.31 (its default).
func attachMode(version string) string {
	v := calico.ParseVersion(version)
	if v != nil && (v.Major() > 3 || v.Minor() >= 31) {
		return "tcx"
	}
	return "tc"
}

// nodeData renders the node's fixtures for a Calico version once, rewritten to the cluster's
// addresses, and returns the directory the fakes read.
func (c *Controller) nodeData(ctx context.Context, node, version string) (string, error) {
	dir := filepath.Join(c.dataRoot, "nodes", node, version)
	if _, err := os.Stat(filepath.Join(dir, ".rendered")); err == nil {
		return dir, nil
	}
	ipMap, err := c.ipMap(ctx, node)
	if err != nil {
		return "", err
	}
	if err := renderFixtures(c.fixtures, version, dir, ipMap); err != nil {
		return "", fmt.Errorf("render fixtures for node %s (%s): %w", node, version, err)
	}
	if err := c.generateNAT(ctx, node, version, dir); err != nil {
		return "", fmt.Errorf("generate NAT maps for node %s (%s): %w", node, version, err)
	}
	return dir, os.WriteFile(filepath.Join(dir, ".rendered"), nil, 0o644)
}

// ipMap builds the fixture-to-cluster address map for one node from the live objects.
func (c *Controller) ipMap(ctx context.Context, node string) (map[string]string, error) {
	nodes, err := c.kube.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	k := -1
	for i := range len(nodes.Items) {
		if nodeName(i) == node {
			k = i
		}
	}
	pods, err := c.kube.CoreV1().Pods("").List(ctx, metav1.ListOptions{LabelSelector: appLabel})
	if err != nil {
		return nil, err
	}
	podIPs := map[string]map[string]string{}
	workloadNodes := 0
	for _, p := range pods.Items {
		if p.Status.PodIP == "" || p.DeletionTimestamp != nil {
			continue
		}
		a := p.Labels[appLabel]
		if podIPs[a] == nil {
			podIPs[a] = map[string]string{}
		}
		podIPs[a][p.Spec.NodeName] = p.Status.PodIP
	}
	for i := range len(nodes.Items) {
		if podIPs["client"][nodeName(i)] != "" {
			workloadNodes = i + 1
		}
	}
	if k < 0 {
		return map[string]string{}, nil
	}
	return ipMapFor(k, len(nodes.Items), workloadNodes, podIPs, c.apiServerIP(ctx)), nil
}

func (c *Controller) apiServerIP(ctx context.Context) string {
	slices, err := c.kube.DiscoveryV1().EndpointSlices("default").List(ctx, metav1.ListOptions{LabelSelector: "kubernetes.io/service-name=kubernetes"})
	if err != nil {
		return ""
	}
	for _, s := range slices.Items {
		for _, e := range s.Endpoints {
			if len(e.Addresses) > 0 {
				return e.Addresses[0]
			}
		}
	}
	return ""
}
