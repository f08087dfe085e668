package kube

import (
	"context"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/calico"
)

func calicoPod(name, node string, ready corev1.ConditionStatus) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "calico-system", Labels: map[string]string{calico.NodeLabelKey: calico.NodeLabelValue}},
		Spec:       corev1.PodSpec{NodeName: node},
		Status:     corev1.PodStatus{Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: ready}}},
	}
}

func TestWaitFelixRestart(t *testing.T) {
	defer func(d time.Duration) { FelixSettle = d }(FelixSettle)
	FelixSettle = 0
	ds := &appsv1.DaemonSet{ObjectMeta: metav1.ObjectMeta{Name: calico.NodeDaemonSet, Namespace: "calico-system"},
		Spec: appsv1.DaemonSetSpec{UpdateStrategy: appsv1.DaemonSetUpdateStrategy{Type: appsv1.OnDeleteDaemonSetStrategyType}}}

	var lines []string
	progress := func(s string) { lines = append(lines, s) }
	kc := fake.NewClientset(ds, calicoPod("calico-node-a", "n1", corev1.ConditionTrue), calicoPod("calico-node-b", "n2", corev1.ConditionTrue))
	if err := WaitFelixRestart(context.Background(), kc, "calico-system", progress); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(lines, "\n"); !strings.Contains(got, "OnDelete") || !strings.Contains(got, "2 of 2 calico-node pods Ready") {
		t.Errorf("progress:\n%s", got)
	}

	kc = fake.NewClientset(ds, calicoPod("calico-node-a", "n1", corev1.ConditionTrue), calicoPod("calico-node-b", "n2", corev1.ConditionFalse))
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	err := WaitFelixRestart(ctx, kc, "calico-system", func(string) {})
	if err == nil || !strings.Contains(err.Error(), "calico-node-b (node n2)") {
		t.Errorf("err = %v, want one naming the pod and node that is not Ready", err)
	}
}
