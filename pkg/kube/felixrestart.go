package kube

import (
	"context"
	"fmt"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/calico"
)

// FelixSettle is how long after a FelixConfiguration write the first readiness check waits.
// Felix sees the change through its watch within about a second and restarts in place, and
// calico-node's readiness probe (-felix-ready) fails until the new Felix has synced; a check
// straight after the write would see the old, still Ready, Felix.
var FelixSettle = 3 * time.Second

// WaitFelixRestart waits until calico-node is settled after a FelixConfiguration change.
//
// Felix does not take bpf* settings through a DaemonSet rollout: it watches FelixConfiguration
// and, for every field outside a short list that it applies live, exits so that calico-node's
// supervisor starts it again with the new value (felix/daemon/daemon.go). The container is
// not restarted, so no pod-level signal proves each Felix restarted; what can be checked is
// what kubectl users check: the calico-node DaemonSet has rolled out (the operator, or a
// concurrent upgrade, may have changed it too) and every calico-node pod is Ready again after
// FelixSettle. A DaemonSet with the OnDelete strategy never rolls by itself, so it is reported
// through progress, not waited for.
func WaitFelixRestart(ctx context.Context, kc kubernetes.Interface, namespace string, progress func(string)) error {
	select {
	case <-ctx.Done():
		return fmt.Errorf("wait for calico-node in %s: %w", namespace, context.Cause(ctx))
	case <-time.After(FelixSettle):
	}
	t := RolloutTarget{Kind: "DaemonSet", Namespace: namespace, Name: calico.NodeDaemonSet}
	ds, err := kc.AppsV1().DaemonSets(namespace).Get(ctx, t.Name, metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("get %s: %w", t, err)
	}
	if ds.Spec.UpdateStrategy.Type == appsv1.OnDeleteDaemonSetStrategyType {
		progress(fmt.Sprintf("%s uses the OnDelete update strategy: no rollout to wait for (Felix restarts itself in place)", t))
	} else if err := WaitRollout(ctx, kc, t, progress); err != nil {
		return err
	}
	var last string
	err = wait.PollUntilContextCancel(ctx, rolloutPoll, true, func(ctx context.Context) (bool, error) {
		list, err := kc.CoreV1().Pods(namespace).List(ctx, metav1.ListOptions{LabelSelector: calico.NodeSelector})
		if err != nil {
			if retriableAPIError(err) {
				return false, nil
			}
			return false, fmt.Errorf("list calico-node pods in %s: %w", namespace, err)
		}
		var notReady []string
		total := 0
		for i := range list.Items {
			p := &list.Items[i]
			if p.DeletionTimestamp != nil {
				continue
			}
			total++
			if !podReady(p) {
				notReady = append(notReady, fmt.Sprintf("%s (node %s)", p.Name, orNone(p.Spec.NodeName)))
			}
		}
		msg := fmt.Sprintf("%d of %d calico-node pods Ready", total-len(notReady), total)
		if len(notReady) > 0 {
			msg += "; waiting for " + strings.Join(notReady, ", ")
		}
		if msg != last {
			progress(msg)
		}
		last = msg
		return len(notReady) == 0, nil
	})
	if err != nil && ctx.Err() != nil {
		return fmt.Errorf("calico-node in %s not Ready again (%s): %w", namespace, orNone(last), context.Cause(ctx))
	}
	return err
}

func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}
