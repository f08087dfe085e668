package kube

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

func daemonSet(gen, observed int64, desired, updated, available int32, strategy appsv1.DaemonSetUpdateStrategyType) *appsv1.DaemonSet {
	return &appsv1.DaemonSet{
		ObjectMeta: metav1.ObjectMeta{Name: "calico-node", Namespace: "calico-system", Generation: gen},
		Spec:       appsv1.DaemonSetSpec{UpdateStrategy: appsv1.DaemonSetUpdateStrategy{Type: strategy}},
		Status: appsv1.DaemonSetStatus{ObservedGeneration: observed, DesiredNumberScheduled: desired,
			UpdatedNumberScheduled: updated, NumberAvailable: available},
	}
}

var calicoNode = RolloutTarget{Kind: "DaemonSet", Namespace: "calico-system", Name: "calico-node"}

func TestWaitRolloutFollowsTheDaemonSetUntilDone(t *testing.T) {
	// Each Get returns the next state: spec not yet observed, one of three updated, all
	// updated but one unavailable, done.
	states := []*appsv1.DaemonSet{
		daemonSet(2, 1, 3, 3, 3, appsv1.RollingUpdateDaemonSetStrategyType),
		daemonSet(2, 2, 3, 1, 3, appsv1.RollingUpdateDaemonSetStrategyType),
		daemonSet(2, 2, 3, 3, 2, appsv1.RollingUpdateDaemonSetStrategyType),
		daemonSet(2, 2, 3, 3, 3, appsv1.RollingUpdateDaemonSetStrategyType),
	}
	kc := fake.NewClientset()
	var calls atomic.Int32
	kc.PrependReactor("get", "daemonsets", func(k8stesting.Action) (bool, runtime.Object, error) {
		i := int(calls.Add(1)) - 1
		return true, states[min(i, len(states)-1)], nil
	})
	var seen []string
	if err := WaitRollout(context.Background(), kc, calicoNode, func(s string) { seen = append(seen, s) }); err != nil {
		t.Fatal(err)
	}
	want := []string{"spec update to be observed", "1 out of 3 new pods", "2 of 3 updated pods", "successfully rolled out"}
	if len(seen) != len(want) {
		t.Fatalf("progress = %q, want %d lines", seen, len(want))
	}
	for i, w := range want {
		if !strings.Contains(seen[i], w) {
			t.Errorf("progress[%d] = %q, want it to contain %q", i, seen[i], w)
		}
	}
}

func TestWaitRolloutRefusesOnDelete(t *testing.T) {
	kc := fake.NewClientset(daemonSet(2, 2, 3, 1, 3, appsv1.OnDeleteDaemonSetStrategyType))
	err := WaitRollout(context.Background(), kc, calicoNode, nil)
	if err == nil || !strings.Contains(err.Error(), "OnDelete") {
		t.Fatalf("err = %v, want the OnDelete explanation", err)
	}
}

func TestWaitRolloutTimesOutWithTheLastStatus(t *testing.T) {
	kc := fake.NewClientset(daemonSet(2, 2, 3, 1, 3, appsv1.RollingUpdateDaemonSetStrategyType))
	ctx, cancel := context.WithTimeout(context.Background(), 1200*time.Millisecond)
	defer cancel()
	err := WaitRollout(ctx, kc, calicoNode, nil)
	if err == nil || !strings.Contains(err.Error(), "1 out of 3 new pods") || !strings.Contains(err.Error(), "daemonset calico-system/calico-node") {
		t.Fatalf("err = %v, want a timeout naming the DaemonSet and its last status", err)
	}
}

func TestWaitRolloutMissingWorkload(t *testing.T) {
	err := WaitRollout(context.Background(), fake.NewClientset(), calicoNode, nil)
	if err == nil || !strings.Contains(err.Error(), "not found") {
		t.Fatalf("err = %v", err)
	}
}

// An OnDelete DaemonSet with nothing left to roll is done: every pod on the current template,
// or none wanted at all (kube-proxy after a nodeSelector no node matches).
func TestWaitRolloutOnDeleteWithNothingToRoll(t *testing.T) {
	for name, ds := range map[string]*appsv1.DaemonSet{
		"all updated": daemonSet(2, 2, 3, 3, 3, appsv1.OnDeleteDaemonSetStrategyType),
		"none wanted": daemonSet(2, 2, 0, 0, 0, appsv1.OnDeleteDaemonSetStrategyType),
	} {
		t.Run(name, func(t *testing.T) {
			var seen []string
			if err := WaitRollout(context.Background(), fake.NewClientset(ds), calicoNode, func(s string) { seen = append(seen, s) }); err != nil {
				t.Fatal(err)
			}
			if len(seen) != 1 || !strings.Contains(seen[0], "nothing to roll out") {
				t.Errorf("progress = %q", seen)
			}
		})
	}
	// Pods still being removed from nodes the DaemonSet no longer wants: not done yet, and
	// not an error either (no pod waits for a deletion by hand).
	ds := daemonSet(2, 2, 0, 0, 0, appsv1.OnDeleteDaemonSetStrategyType)
	ds.Status.NumberMisscheduled = 2
	if msg, done, err := RolloutDone(context.Background(), fake.NewClientset(ds), calicoNode); done || err != nil || !strings.Contains(msg, "remove 2 pods") {
		t.Errorf("misscheduled pods left: %q, done %v, err %v", msg, done, err)
	}
}
