//go:build e2e

package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/calico"
)

// TestOperatorStandInRollsCalicoNode checks the test bed itself. It rolls every calico-node pod
// to the DaemonSet's version, so it lives in a zz_ file: go test runs files in name order, and
// every test in the other files relies on one node per Calico generation.
//
// The test: switching the Installation to
// BPF makes the stand-in re-render calico-node, the real DaemonSet controller replaces every
// pod, the new pods get exec and logs wired (Felix now logs BPF enabled), and the stand-in then
// sets FelixConfiguration bpfEnabled as the operator does. Switching back undoes it.
func TestOperatorStandInRollsCalicoNode(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	kc, dc := cluster.Kube, cluster.Dynamic
	before := podUIDs(t, ctx)

	setDataplane(t, ctx, "BPF")
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		setDataplane(t, ctx, "Iptables")
		waitRolledOut(t, ctx, false)
	})
	waitFor(t, ctx, "calico-node rolled out with BPF on", func() bool {
		ds, err := kc.AppsV1().DaemonSets(calico.OperatorNamespace).Get(ctx, calico.NodeDaemonSet, metav1.GetOptions{})
		if err != nil || ds.Status.UpdatedNumberScheduled != ds.Status.DesiredNumberScheduled || ds.Status.NumberAvailable != ds.Status.DesiredNumberScheduled || ds.Generation > ds.Status.ObservedGeneration {
			return false
		}
		now := podUIDs(t, ctx)
		for _, uid := range now {
			for _, old := range before {
				if uid == old {
					return false
				}
			}
		}
		return len(now) == len(e2eVersions)
	})
	waitFor(t, ctx, "FelixConfiguration bpfEnabled set by the stand-in", func() bool {
		fc, err := dc.Resource(calico.FelixConfigurationV1GVR).Get(ctx, calico.DefaultName, metav1.GetOptions{})
		if err != nil {
			return false
		}
		on, _, _ := unstructuredBool(fc.Object, "spec", "bpfEnabled")
		return on && fc.GetAnnotations()["operator.tigera.io/bpfEnabled"] == "true"
	})
	// Every new pod answers exec and logs as its node.
	pods, err := kc.CoreV1().Pods(calico.OperatorNamespace).List(ctx, metav1.ListOptions{LabelSelector: calico.NodeSelector})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pods.Items {
		waitFor(t, ctx, "logs of "+p.Name, func() bool {
			r := kubectl(t, "logs", "-n", p.Namespace, p.Name, "-c", calico.NodeContainer)
			return r.code == 0 && strings.Contains(r.stdout, "BPF enabled, starting BPF endpoint manager and map manager.")
		})
		r := kubectl(t, "exec", "-n", p.Namespace, p.Name, "-c", calico.NodeContainer, "--", "cat", "/proc/mounts")
		if r.code != 0 || !strings.Contains(r.stdout, "/sys/fs/bpf bpf") {
			t.Errorf("exec into new pod %s (node %s): exit %d\n%s%s", p.Name, p.Spec.NodeName, r.code, r.stdout, r.stderr)
		}
	}
}

func setDataplane(t *testing.T, ctx context.Context, dataplane string) {
	t.Helper()
	patch := []byte(`{"spec":{"calicoNetwork":{"linuxDataplane":"` + dataplane + `"}}}`)
	if _, err := cluster.Dynamic.Resource(calico.InstallationGVR).Patch(ctx, calico.DefaultName, types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
		t.Fatalf("set linuxDataplane %s: %v", dataplane, err)
	}
}

func podUIDs(t *testing.T, ctx context.Context) []types.UID {
	t.Helper()
	pods, err := cluster.Kube.CoreV1().Pods(calico.OperatorNamespace).List(ctx, metav1.ListOptions{LabelSelector: calico.NodeSelector})
	if err != nil {
		t.Fatal(err)
	}
	var uids []types.UID
	for _, p := range pods.Items {
		if p.DeletionTimestamp == nil && p.Status.Phase == corev1.PodRunning {
			uids = append(uids, p.UID)
		}
	}
	return uids
}

func waitFor(t *testing.T, ctx context.Context, what string, cond func() bool) {
	t.Helper()
	err := wait.PollUntilContextCancel(ctx, 300*time.Millisecond, true, func(context.Context) (bool, error) { return cond(), nil })
	if err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
}

func unstructuredBool(obj map[string]any, fields ...string) (bool, bool, error) {
	var cur any = obj
	for _, f := range fields {
		m, ok := cur.(map[string]any)
		if !ok {
			return false, false, nil
		}
		cur = m[f]
	}
	b, ok := cur.(bool)
	return b, ok, nil
}
