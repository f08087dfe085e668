package testbed

import (
	"context"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/util/retry"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/calico"
)

// Faults the tests put nodes in, to see the plugin report each one.

// SetNodeFault makes the fakes on a node misbehave (mode: hang, garbage, fail; "" to heal)
// and waits until its calico-node pod is re-wired.
func (c *Cluster) SetNodeFault(ctx context.Context, node, mode string) error {
	return c.annotateNode(ctx, node, AnnotationFakeMode, mode)
}

// SetNodeBPFFS hides (absent) or restores ("") the node's BPF file system.
func (c *Cluster) SetNodeBPFFS(ctx context.Context, node, state string) error {
	return c.annotateNode(ctx, node, AnnotationBPFFS, state)
}

func (c *Cluster) annotateNode(ctx context.Context, node, key, value string) error {
	var patch string
	if value == "" {
		patch = fmt.Sprintf(`{"metadata":{"annotations":{%q:null}}}`, key)
	} else {
		patch = fmt.Sprintf(`{"metadata":{"annotations":{%q:%q}}}`, key, value)
	}
	if _, err := c.Kube.CoreV1().Nodes().Patch(ctx, node, types.MergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
		return fmt.Errorf("annotate node %s: %w", node, err)
	}
	return c.waitWired(ctx)
}

// CrashPod puts a node's calico-node pod into CrashLoopBackOff, as the kubelet would report
// it: not ready, restarted, with the last termination's message. kwok leaves a running pod's
// status alone, so the fault holds until the pod is replaced.
func (c *Cluster) CrashPod(ctx context.Context, node, message string) error {
	ns := calico.NamespaceFor(c.Flavour)
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		pods, err := calicoNodePods(ctx, c.Kube, ns)
		if err != nil {
			return err
		}
		for i := range pods {
			p := &pods[i]
			if p.Spec.NodeName != node || p.DeletionTimestamp != nil {
				continue
			}
			now := metav1.NewTime(time.Now())
			for j := range p.Status.ContainerStatuses {
				cs := &p.Status.ContainerStatuses[j]
				cs.Ready, cs.RestartCount = false, 6
				cs.State = corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff", Message: "back-off 5m0s restarting failed container"}}
				cs.LastTerminationState = corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
					ExitCode: 1, Reason: "Error", Message: message, StartedAt: now, FinishedAt: now,
				}}
			}
			for j := range p.Status.Conditions {
				if p.Status.Conditions[j].Type == corev1.PodReady || p.Status.Conditions[j].Type == corev1.ContainersReady {
					p.Status.Conditions[j].Status = corev1.ConditionFalse
				}
			}
			_, err := c.Kube.CoreV1().Pods(ns).UpdateStatus(ctx, p, metav1.UpdateOptions{})
			return err
		}
		return fmt.Errorf("no calico-node pod on node %s", node)
	})
}

// AddNode adds one more node to the cluster; windows nodes get no calico-node pod, as in a
// real cluster where calico-node only selects Linux nodes.
func (c *Cluster) AddNode(ctx context.Context, name, os string) error {
	existing, err := c.Kube.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	// An address and pod block clear of every node so far (nodes are added one at a time).
	n := newNode(len(existing.Items) + 10)
	n.Name = name
	n.Labels["kubernetes.io/hostname"] = name
	n.Labels["kubernetes.io/os"] = os
	if os == "windows" {
		n.Status.NodeInfo = nodeInfo("10.0.20348.2655", "Windows Server 2022 Datacenter")
		n.Status.NodeInfo.OperatingSystem = "windows"
	}
	if _, err := c.Kube.CoreV1().Nodes().Create(ctx, n, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("create node %s: %w", name, err)
	}
	return wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		got, err := c.Kube.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, nil
		}
		for _, cond := range got.Status.Conditions {
			if cond.Type == corev1.NodeReady {
				return cond.Status == corev1.ConditionTrue && !strings.Contains(cond.Reason, "NotReady"), nil
			}
		}
		return false, nil
	})
}
