package kube

import (
	"context"
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// NodeSelection is which nodes a command works on: named nodes, every node, or a label
// selector over nodes.
type NodeSelection struct {
	Names    []string
	All      bool
	Selector string
}

// Empty reports whether nothing was selected, which the dump commands treat as a usage error.
func (s NodeSelection) Empty() bool { return len(s.Names) == 0 && !s.All && s.Selector == "" }

// SelectNodes returns the selected nodes, sorted by name. A named node that does not exist is
// an error that names it; a selector that matches nothing is an error too, since a dump of
// zero nodes would look like a clean bill of health.
func SelectNodes(ctx context.Context, kc kubernetes.Interface, sel NodeSelection) ([]corev1.Node, error) {
	var nodes []corev1.Node
	if sel.All || sel.Selector != "" {
		list, err := kc.CoreV1().Nodes().List(ctx, metav1.ListOptions{LabelSelector: sel.Selector})
		if err != nil {
			return nil, fmt.Errorf("list nodes: %w", err)
		}
		nodes = list.Items
		if len(nodes) == 0 && sel.Selector != "" {
			return nil, fmt.Errorf("no node matches the selector %q", sel.Selector)
		}
	}
	have := map[string]bool{}
	for _, n := range nodes {
		have[n.Name] = true
	}
	var missing []string
	for _, name := range sel.Names {
		if have[name] {
			continue
		}
		n, err := kc.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			missing = append(missing, name)
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("get node %s: %w", name, err)
		}
		nodes = append(nodes, *n)
		have[name] = true
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("node %s not found", strings.Join(missing, ", "))
	}
	sort.Slice(nodes, func(i, j int) bool { return nodes[i].Name < nodes[j].Name })
	return nodes, nil
}
