package kube

import (
	"context"
	"fmt"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	utilnet "k8s.io/apimachinery/pkg/util/net"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/kubectl/pkg/polymorphichelpers"
)

// RolloutTarget names a workload whose rollout WaitRollout follows.
type RolloutTarget struct {
	Kind      string // "DaemonSet" or "Deployment"
	Namespace string
	Name      string
}

func (t RolloutTarget) String() string {
	return fmt.Sprintf("%s %s/%s", strings.ToLower(t.Kind), t.Namespace, t.Name)
}

// rolloutPoll is how often WaitRollout looks. A watch would be quicker to react but kubectl's
// status viewers only need the object, and a poll survives API server restarts unchanged.
const rolloutPoll = 500 * time.Millisecond

// WaitRollout waits, as `kubectl rollout status` does and with its status logic, until the
// workload's controller has observed its latest spec and every pod runs it and is available.
// progress receives each new status line. A DaemonSet with the OnDelete strategy never rolls
// by itself: once there is a pod left on an old template, that is an error that says what to
// do instead of a wait that cannot end.
func WaitRollout(ctx context.Context, kc kubernetes.Interface, t RolloutTarget, progress func(string)) error {
	var last string
	err := wait.PollUntilContextCancel(ctx, rolloutPoll, true, func(ctx context.Context) (bool, error) {
		obj, err := getWorkload(ctx, kc, t)
		if err != nil {
			if apierrors.IsNotFound(err) {
				return false, fmt.Errorf("%s not found", t)
			}
			if retriableAPIError(err) {
				return false, nil
			}
			return false, fmt.Errorf("get %s: %w", t, err)
		}
		msg, done, err := rolloutStatus(t, obj)
		if err != nil {
			return false, err
		}
		if msg = strings.TrimSpace(msg); msg != last && progress != nil {
			progress(msg)
		}
		last = msg
		return done, nil
	})
	if err != nil && ctx.Err() != nil {
		return fmt.Errorf("%s did not finish rolling out (last status: %s): %w", t, orNone(last), context.Cause(ctx))
	}
	return err
}

// RolloutDone reports once, without waiting, whether the workload has rolled out.
func RolloutDone(ctx context.Context, kc kubernetes.Interface, t RolloutTarget) (string, bool, error) {
	obj, err := getWorkload(ctx, kc, t)
	if err != nil {
		return "", false, fmt.Errorf("get %s: %w", t, err)
	}
	msg, done, err := rolloutStatus(t, obj)
	return strings.TrimSpace(msg), done, err
}

func rolloutStatus(t RolloutTarget, obj runtime.Object) (string, bool, error) {
	if ds, ok := obj.(*appsv1.DaemonSet); ok && ds.Spec.UpdateStrategy.Type == appsv1.OnDeleteDaemonSetStrategyType {
		// Nothing left to roll is done whatever the strategy: every pod already runs the
		// template (or, after a nodeSelector no node matches, none should run: the
		// DaemonSet controller removes those pods under OnDelete too).
		st := ds.Status
		if ds.Generation <= st.ObservedGeneration && st.UpdatedNumberScheduled >= st.DesiredNumberScheduled &&
			st.NumberAvailable >= st.DesiredNumberScheduled && st.NumberMisscheduled == 0 {
			return fmt.Sprintf("daemon set %q has nothing to roll out (%d of %d pods on the current template)", ds.Name, st.UpdatedNumberScheduled, st.DesiredNumberScheduled), true, nil
		}
		if ds.Generation > st.ObservedGeneration {
			return "Waiting for daemon set spec update to be observed...", false, nil
		}
		if st.UpdatedNumberScheduled >= st.DesiredNumberScheduled && st.NumberAvailable >= st.DesiredNumberScheduled {
			// Only pods on nodes it no longer selects are left: the controller removes those.
			return fmt.Sprintf("Waiting for daemon set %q to remove %d pods from nodes it no longer selects...", ds.Name, st.NumberMisscheduled), false, nil
		}
		return "", false, fmt.Errorf("%s uses the OnDelete update strategy, so its pods only take a new template when deleted: delete them node by node (kubectl delete pod -n %s -l <its selector> --field-selector spec.nodeName=NODE) or switch it to RollingUpdate", t, t.Namespace)
	}
	content, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return "", false, fmt.Errorf("%s: %w", t, err)
	}
	gk := obj.GetObjectKind().GroupVersionKind().GroupKind()
	gk.Group, gk.Kind = "apps", t.Kind
	viewer, err := polymorphichelpers.StatusViewerFor(gk)
	if err != nil {
		return "", false, err
	}
	return viewer.Status(&unstructured.Unstructured{Object: content}, 0)
}

func getWorkload(ctx context.Context, kc kubernetes.Interface, t RolloutTarget) (runtime.Object, error) {
	switch t.Kind {
	case "DaemonSet":
		return kc.AppsV1().DaemonSets(t.Namespace).Get(ctx, t.Name, metav1.GetOptions{})
	case "Deployment":
		return kc.AppsV1().Deployments(t.Namespace).Get(ctx, t.Name, metav1.GetOptions{})
	default:
		return nil, fmt.Errorf("rollout of a %s is not supported", t.Kind)
	}
}

func orNone(s string) string {
	if s == "" {
		return "none yet"
	}
	return s
}

// retriableAPIError is an API answer that a later poll may not get: the server was busy,
// restarting or timed out. Anything else (forbidden, invalid) would only repeat.
func retriableAPIError(err error) bool {
	return apierrors.IsServerTimeout(err) || apierrors.IsTimeout(err) || apierrors.IsTooManyRequests(err) ||
		apierrors.IsServiceUnavailable(err) || apierrors.IsInternalError(err) || utilnet.IsConnectionRefused(err) ||
		utilnet.IsConnectionReset(err) || utilnet.IsProbableEOF(err)
}
