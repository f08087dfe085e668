//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/calico"
	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/kube"
)

// These set the cluster up, as the test's own admin client, for a write command to have
// work; each returns the undo. The plugin's User-Agent never makes them.

// felixSpec sets one field of FelixConfiguration default; the undo puts the old value back
// (or removes the field when there was none).
func felixSpec(field string, value any) func(t *testing.T) func() {
	return func(t *testing.T) func() {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		fcs := cluster.Dynamic.Resource(calico.FelixConfigurationV1GVR)
		fc, err := fcs.Get(ctx, calico.DefaultName, metav1.GetOptions{})
		if err != nil {
			t.Fatalf("get felixconfiguration default: %v", err)
		}
		old, had, _ := unstructured.NestedFieldCopy(fc.Object, "spec", field)
		if !had {
			old = nil
		}
		patchFelix(t, field, value)
		return func() { patchFelix(t, field, old) }
	}
}

func patchFelix(t *testing.T, field string, value any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	body, _ := json.Marshal(map[string]any{"spec": map[string]any{field: value}})
	if _, err := cluster.Dynamic.Resource(calico.FelixConfigurationV1GVR).Patch(ctx, calico.DefaultName, types.MergePatchType, body, metav1.PatchOptions{}); err != nil {
		t.Fatalf("set felixconfiguration default %s=%v: %v", field, value, err)
	}
}

// kubeProxyOffLabel is the runbook's switch for kube-proxy: a nodeSelector no node matches.
const kubeProxyOffLabel = "non-calico"

// kubeProxyOff turns kube-proxy off the runbook's way, as if enable had run, so that disable
// has kube-proxy to bring back; the undo brings it back and waits for its rollout.
func kubeProxyOff(t *testing.T) func() {
	t.Helper()
	patchKubeProxy(t, "true")
	return func() {
		patchKubeProxy(t, nil)
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		target := kube.RolloutTarget{Kind: "DaemonSet", Namespace: metav1.NamespaceSystem, Name: "kube-proxy"}
		if err := kube.WaitRollout(ctx, cluster.Kube, target, nil); err != nil {
			t.Errorf("kube-proxy back: %v", err)
		}
	}
}

func patchKubeProxy(t *testing.T, value any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	body, _ := json.Marshal(map[string]any{"spec": map[string]any{"template": map[string]any{"spec": map[string]any{
		"nodeSelector": map[string]any{kubeProxyOffLabel: value}}}}})
	if _, err := cluster.Kube.AppsV1().DaemonSets(metav1.NamespaceSystem).Patch(ctx, "kube-proxy", types.StrategicMergePatchType, body, metav1.PatchOptions{}); err != nil {
		t.Fatalf("set kube-proxy nodeSelector %s=%v: %v", kubeProxyOffLabel, value, err)
	}
}
