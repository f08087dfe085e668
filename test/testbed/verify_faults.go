package testbed

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/util/retry"
)

// Faults and settings for the verify tests.

// kubeProxyLabel is the node label the kube-proxy DaemonSet is limited to by SetKubeProxyNodes.
const kubeProxyLabel = "testbed.calico-ebpf/kube-proxy"

// SetNodeAnnotation sets (or with "" removes) one of the test bed's node annotations and waits
// until the node's calico-node pod is re-wired.
func (c *Cluster) SetNodeAnnotation(ctx context.Context, node, key, value string) error {
	return c.annotateNode(ctx, node, key, value)
}

// NodeKernel returns the kernel version the node reports.
func (c *Cluster) NodeKernel(ctx context.Context, node string) (string, error) {
	n, err := c.Kube.CoreV1().Nodes().Get(ctx, node, metav1.GetOptions{})
	if err != nil {
		return "", err
	}
	return n.Status.NodeInfo.KernelVersion, nil
}

// SetKubeProxyNodes limits the kube-proxy DaemonSet to the named nodes (none: kube-proxy
// is gone, as after the eBPF runbook) or, with all, lifts the limit. It waits until kube-proxy
// pods run exactly where wanted.
func (c *Cluster) SetKubeProxyNodes(ctx context.Context, all bool, nodes ...string) error {
	list, err := c.Kube.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	want := map[string]bool{}
	for _, n := range nodes {
		want[n] = true
	}
	for _, n := range list.Items {
		value := any(nil)
		if want[n.Name] {
			value = "on"
		}
		if (n.Labels[kubeProxyLabel] == "on") == (value != nil) {
			continue
		}
		patch, _ := json.Marshal(map[string]any{"metadata": map[string]any{"labels": map[string]any{kubeProxyLabel: value}}})
		if _, err := c.Kube.CoreV1().Nodes().Patch(ctx, n.Name, types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
			return fmt.Errorf("label node %s: %w", n.Name, err)
		}
	}
	selector := any(map[string]any{kubeProxyLabel: "on"})
	if all {
		selector = map[string]any{kubeProxyLabel: nil}
	}
	patch, _ := json.Marshal(map[string]any{"spec": map[string]any{"template": map[string]any{"spec": map[string]any{"nodeSelector": selector}}}})
	if _, err := c.Kube.AppsV1().DaemonSets("kube-system").Patch(ctx, "kube-proxy", types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
		return fmt.Errorf("patch daemonset kube-system/kube-proxy: %w", err)
	}
	expect := []string{}
	for _, n := range list.Items {
		if all || want[n.Name] {
			if n.Labels["kubernetes.io/os"] == "linux" || n.Labels["kubernetes.io/os"] == "" {
				expect = append(expect, n.Name)
			}
		}
	}
	sort.Strings(expect)
	var got []string
	err = wait.PollUntilContextTimeout(ctx, 300*time.Millisecond, 2*time.Minute, true, func(ctx context.Context) (bool, error) {
		pods, err := c.Kube.CoreV1().Pods("kube-system").List(ctx, metav1.ListOptions{LabelSelector: "k8s-app=kube-proxy"})
		if err != nil {
			return false, nil
		}
		got = got[:0]
		for _, p := range pods.Items {
			if p.DeletionTimestamp != nil {
				return false, nil
			}
			if p.Status.Phase == corev1.PodRunning {
				got = append(got, p.Spec.NodeName)
			}
		}
		sort.Strings(got)
		return strings.Join(got, ",") == strings.Join(expect, ","), nil
	})
	if err != nil {
		return fmt.Errorf("kube-proxy pods on %v, want %v: %w", got, expect, err)
	}
	return nil
}

// SetVerifyNodeKernel sets the kernel version the node reports in status.nodeInfo and waits
// until it reads back.
func (c *Cluster) SetVerifyNodeKernel(ctx context.Context, node, kernel string) error {
	nodes := c.Kube.CoreV1().Nodes()
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		n, err := nodes.Get(ctx, node, metav1.GetOptions{})
		if err != nil {
			return err
		}
		n.Status.NodeInfo.KernelVersion = kernel
		_, err = nodes.UpdateStatus(ctx, n, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		return fmt.Errorf("set kernel of node %s: %w", node, err)
	}
	return wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		n, err := nodes.Get(ctx, node, metav1.GetOptions{})
		return err == nil && n.Status.NodeInfo.KernelVersion == kernel, nil
	})
}
