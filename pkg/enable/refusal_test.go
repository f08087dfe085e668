package enable

import (
	"context"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	dynamicfake "k8s.io/client-go/dynamic/fake"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/calico"
)

func tigeraStatus(degraded bool, msg string) *unstructured.Unstructured {
	status := "False"
	if degraded {
		status = "True"
	}
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "operator.tigera.io/v1", "kind": "TigeraStatus", "metadata": map[string]any{"name": "calico"},
		"status": map[string]any{"conditions": []any{
			map[string]any{"type": "Available", "status": "False"},
			map[string]any{"type": "Degraded", "status": status, "message": msg},
		}},
	}}
}

// A wait gives up on an operator that stays Degraded past the grace, with its message; a
// Degraded that clears in time, or a cluster without TigeraStatus, never fails it.
func TestRefusalWatch(t *testing.T) {
	scheme := runtime.NewScheme()
	lists := map[schema.GroupVersionResource]string{calico.TigeraStatusGVR: "TigeraStatusList"}
	msg := "bpfNetworkBootstrap is Enabled but the requirements are not met"
	dc := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(scheme, lists, tigeraStatus(true, msg))
	e := &Executor{Dynamic: dc}
	var w refusalWatch
	ctx := context.Background()
	if err := w.check(ctx, e, t0); err != nil {
		t.Fatalf("first sight of Degraded failed at once: %v", err)
	}
	if err := w.check(ctx, e, t0.Add(refusalGrace/2)); err != nil {
		t.Fatalf("failed within the grace: %v", err)
	}
	err := w.check(ctx, e, t0.Add(refusalGrace+time.Second))
	if err == nil || !strings.Contains(err.Error(), msg) || !strings.Contains(err.Error(), "run the command again") {
		t.Fatalf("err = %v, want the operator's message and how to continue", err)
	}

	// Degraded that clears resets the clock.
	healthy := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(scheme, lists, tigeraStatus(false, ""))
	w = refusalWatch{since: t0, message: msg}
	if err := w.check(ctx, &Executor{Dynamic: healthy}, t0.Add(time.Hour)); err != nil || !w.since.IsZero() {
		t.Fatalf("healthy operator: err %v, since %v", err, w.since)
	}

	// Manifest installs have no TigeraStatus.
	none := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(scheme, lists)
	w = refusalWatch{}
	for i := range 3 {
		if err := w.check(ctx, &Executor{Dynamic: none}, t0.Add(time.Duration(i)*time.Hour)); err != nil {
			t.Fatalf("no TigeraStatus: %v", err)
		}
	}
}
