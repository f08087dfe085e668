package testbed

import (
	"context"
	"fmt"
	"path/filepath"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/calico"
	"github.com/calico-ebpf/kubectl-calico-ebpf/test/fakes/fakenode"
)

// Node annotations that change how a node's BPF trace can be read.
const (
	// AnnotationTC is passed as FAKE_TC: absent gives the node an image without tc.
	AnnotationTC = "testbed.calico-ebpf/tc"
	// AnnotationTracefs is passed as FAKE_TRACEFS: where tracefs is mounted, or none.
	AnnotationTracefs = "testbed.calico-ebpf/tracefs"
)

// SetNodeTraceSources makes tc absent ("absent"; "" restores it) and moves tracefs
// (/sys/kernel/debug/tracing or none; "" restores /sys/kernel/tracing) on a node, and waits
// until its calico-node pod is re-wired.
func (c *Cluster) SetNodeTraceSources(ctx context.Context, node, tc, tracefs string) error {
	if err := c.annotateNode(ctx, node, AnnotationTC, tc); err != nil {
		return err
	}
	return c.annotateNode(ctx, node, AnnotationTracefs, tracefs)
}

// traceEnv is the fakes' environment for the node's trace sources.
func traceEnv(node *corev1.Node) map[string]string {
	return map[string]string{
		fakenode.EnvTC:      node.Annotations[AnnotationTC],
		fakenode.EnvTracefs: node.Annotations[AnnotationTracefs],
	}
}

// traceStamp is the part of the wiring stamp that the trace annotations make.
func traceStamp(node *corev1.Node) string {
	return "/" + node.Annotations[AnnotationTC] + "/" + node.Annotations[AnnotationTracefs]
}

// TracePidsDir is where the fakes of a node's pod record the pids of their trace readers.
func TracePidsDir(dataDir string) string { return filepath.Join(dataDir, fakenode.TracePidsDir) }

// NodeDataDir is FAKE_DATA_DIR of the node's calico-node pod, as its kwok Exec object says:
// where its fakes read their answers and record their trace readers.
func (c *Cluster) NodeDataDir(ctx context.Context, node string) (string, error) {
	ns := calico.NamespaceFor(c.Flavour)
	pods, err := calicoNodePods(ctx, c.Kube, ns)
	if err != nil {
		return "", err
	}
	for _, p := range pods {
		if p.Spec.NodeName != node || p.DeletionTimestamp != nil {
			continue
		}
		obj, err := c.Dynamic.Resource(execGVR).Namespace(ns).Get(ctx, p.Name, metav1.GetOptions{})
		if err != nil {
			return "", fmt.Errorf("get exec object of pod %s/%s: %w", ns, p.Name, err)
		}
		execs, _, _ := unstructured.NestedSlice(obj.Object, "spec", "execs")
		for _, e := range execs {
			envs, _, _ := unstructured.NestedSlice(e.(map[string]any), "local", "envs")
			for _, env := range envs {
				if kv, _ := env.(map[string]any); kv["name"] == fakenode.EnvDataDir {
					return fmt.Sprint(kv["value"]), nil
				}
			}
		}
		return "", fmt.Errorf("exec object of pod %s/%s sets no %s", ns, p.Name, fakenode.EnvDataDir)
	}
	return "", fmt.Errorf("no calico-node pod on node %s", node)
}
