package kube

import (
	"context"
	"fmt"
	"sort"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/calico"
)

// CalicoInstall is what the cluster says about its Calico install.
type CalicoInstall struct {
	Flavour   calico.Flavour
	Namespace string
	// DaemonSet is the calico-node DaemonSet, nil when none was found.
	DaemonSet *appsv1.DaemonSet
	// Installation reports whether the operator's Installation "default" exists.
	Installation bool
	// Image is the calico-node container image of the DaemonSet's template.
	Image string
}

// Version is the Calico version the DaemonSet's template asks for (its image tag).
func (c *CalicoInstall) Version() string { return calico.ImageTag(c.Image) }

// DetectCalico finds calico-node: in calico-system (operator) or kube-system (manifest), or in
// namespace when it is not empty (--calico-namespace).
func DetectCalico(ctx context.Context, kc kubernetes.Interface, dc dynamic.Interface, namespace string) (*CalicoInstall, error) {
	inst := &CalicoInstall{Flavour: calico.FlavourUnknown}
	if dc != nil {
		_, err := dc.Resource(calico.InstallationGVR).Get(ctx, calico.DefaultName, metav1.GetOptions{})
		inst.Installation = err == nil
	}
	candidates := []string{calico.OperatorNamespace, calico.ManifestNamespace}
	if namespace != "" {
		candidates = []string{namespace}
	}
	for _, ns := range candidates {
		ds, err := kc.AppsV1().DaemonSets(ns).Get(ctx, calico.NodeDaemonSet, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("get daemonset %s/%s: %w", ns, calico.NodeDaemonSet, err)
		}
		inst.DaemonSet, inst.Namespace = ds, ns
		inst.Image = containerImage(ds.Spec.Template.Spec.Containers, calico.NodeContainer)
		break
	}
	switch {
	case inst.Installation || inst.Namespace == calico.OperatorNamespace:
		inst.Flavour = calico.FlavourOperator
	case inst.Namespace == calico.ManifestNamespace:
		inst.Flavour = calico.FlavourManifest
	}
	if inst.Namespace == "" {
		inst.Namespace = namespace
		if inst.Namespace == "" {
			inst.Namespace = calico.NamespaceFor(inst.Flavour)
		}
	}
	return inst, nil
}

// CalicoNodePods returns the calico-node pod of every node, keyed by node name. Where a node has
// several (a rollout in progress) the running one wins, then the newest.
func CalicoNodePods(ctx context.Context, kc kubernetes.Interface, namespace string) (map[string]*corev1.Pod, error) {
	list, err := kc.CoreV1().Pods(namespace).List(ctx, metav1.ListOptions{LabelSelector: calico.NodeSelector})
	if err != nil {
		return nil, fmt.Errorf("list calico-node pods in %s: %w", namespace, err)
	}
	byNode := map[string]*corev1.Pod{}
	for i := range list.Items {
		p := &list.Items[i]
		if p.Spec.NodeName == "" {
			continue
		}
		if cur, ok := byNode[p.Spec.NodeName]; !ok || betterPod(p, cur) {
			byNode[p.Spec.NodeName] = p
		}
	}
	return byNode, nil
}

func betterPod(a, b *corev1.Pod) bool {
	aRun, bRun := a.Status.Phase == corev1.PodRunning, b.Status.Phase == corev1.PodRunning
	if aRun != bRun {
		return aRun
	}
	return b.CreationTimestamp.Before(&a.CreationTimestamp)
}

// PodImage returns the image of a container in a pod, or "".
func PodImage(p *corev1.Pod, container string) string {
	return containerImage(p.Spec.Containers, container)
}

func containerImage(cs []corev1.Container, name string) string {
	for _, c := range cs {
		if c.Name == name {
			return c.Image
		}
	}
	return ""
}

// SortedNodeNames returns the keys of a node map in order, for stable output.
func SortedNodeNames[T any](m map[string]T) []string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
