package enable

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/retry"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/calico"
	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/kube"
)

// FieldManager names the plugin in every object's managedFields.
const FieldManager = "kubectl-calico-ebpf"

// Executor runs a plan against the cluster.
type Executor struct {
	Kube    kubernetes.Interface
	Dynamic dynamic.Interface
	// DryRun sends every write with dryRun=All (the API server validates it and stores
	// nothing) and skips the waits.
	DryRun bool
	// Progress receives one line per event, for stderr.
	Progress func(string)
	// BPF tells whether Felix runs BPF on every node (wait-bpf).
	BPF BPFCheck
	// Verify runs the final verify and prints its table.
	Verify func(ctx context.Context) error
	// AfterStep is called after each step completes (1-based); tests use it to stop a run.
	AfterStep func(n int)
	// Poll is how often waits look again.
	Poll time.Duration
}

// StepError is a step that failed; N is 1-based.
type StepError struct {
	N    int
	Step Step
	Err  error
}

func (e *StepError) Error() string {
	return fmt.Sprintf("step %d (%s %s): %v", e.N, e.Step.Action, targetName(e.Step), e.Err)
}
func (e *StepError) Unwrap() error { return e.Err }

func targetName(s Step) string {
	if s.Target.Name == "" && s.Target.Kind == "" {
		return "cluster"
	}
	if s.Target.Name == "" {
		return s.Target.Resource() + " -n " + s.Target.Namespace + " -l " + s.Selector
	}
	return s.Target.String()
}

func (e *Executor) say(format string, a ...any) {
	if e.Progress != nil {
		e.Progress(fmt.Sprintf(format, a...))
	}
}

// Run executes the steps in order. Steps that are already satisfied are skipped, so a run
// that was interrupted can simply be started again. In a dry run every write is sent with
// dryRun=All and every failure is reported; nothing is stored.
func (e *Executor) Run(ctx context.Context, p *Plan) error {
	var dryErrs []error
	for i, s := range p.Steps {
		n := i + 1
		head := fmt.Sprintf("[%d/%d] %s %s", n, len(p.Steps), s.Action, targetName(s))
		if e.DryRun && !s.Action.Writes() {
			e.say("%s: skipped (dry run)", head)
			continue
		}
		e.say("%s …", head)
		sctx, cancel := context.WithTimeout(ctx, s.Timeout)
		start := time.Now()
		skipped, err := e.step(sctx, s)
		if err != nil && sctx.Err() != nil && ctx.Err() == nil {
			err = fmt.Errorf("timed out after %s: %w", s.Timeout, err)
		}
		cancel()
		if err != nil {
			se := &StepError{N: n, Step: s, Err: err}
			if e.DryRun {
				e.say("%s: rejected: %v", head, err)
				dryErrs = append(dryErrs, se)
				continue
			}
			return se
		}
		switch {
		case e.DryRun:
			e.say("%s: accepted by the API server (dry run)", head)
		case skipped:
			e.say("%s: already done", head)
		default:
			e.say("%s: done in %s", head, time.Since(start).Round(100*time.Millisecond))
		}
		if e.AfterStep != nil {
			e.AfterStep(n)
		}
	}
	return errors.Join(dryErrs...)
}

func (e *Executor) dryRun() []string {
	if e.DryRun {
		return []string{metav1.DryRunAll}
	}
	return nil
}

func (e *Executor) poll() time.Duration {
	if e.Poll > 0 {
		return e.Poll
	}
	return time.Second
}

func (e *Executor) resource(r Ref) dynamic.ResourceInterface {
	if r.Namespace != "" {
		return e.Dynamic.Resource(r.GVR).Namespace(r.Namespace)
	}
	return e.Dynamic.Resource(r.GVR)
}

func (e *Executor) get(ctx context.Context, r Ref) (*unstructured.Unstructured, error) {
	obj, err := e.resource(r).Get(ctx, r.Name, metav1.GetOptions{})
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", r, err)
	}
	return obj, nil
}

// step runs one step; skipped reports that it had nothing to do.
func (e *Executor) step(ctx context.Context, s Step) (skipped bool, err error) {
	switch s.Action {
	case ActionPatch:
		return e.patch(ctx, s.Target, s.Patch, s.Record)
	case ActionCreate:
		return e.create(ctx, s)
	case ActionDelete:
		return e.delete(ctx, s.Target)
	case ActionSettle:
		return e.settle(ctx, s)
	case ActionRestartPods:
		return e.restartPods(ctx, s)
	case ActionRolloutRestart:
		return e.rolloutRestart(ctx, s)
	case ActionWait:
		return e.wait(ctx, s.Target, s.Expect, nil)
	case ActionWaitRollout:
		return e.waitRollout(ctx, s)
	case ActionWaitBPF:
		return e.waitBPF(ctx)
	case ActionVerify:
		if e.Verify == nil {
			return true, nil
		}
		return false, e.Verify(ctx)
	}
	return false, fmt.Errorf("unknown action %q", s.Action)
}

// patch applies a merge patch unless it is satisfied. With record, the same request stores
// the undo on the object, merged with a record left by an earlier run (whose values, from
// before that run, win). The patch carries the resourceVersion the undo was computed from,
// so a concurrent change makes it fail and it is computed again.
func (e *Executor) patch(ctx context.Context, r Ref, patch map[string]any, record bool) (skipped bool, err error) {
	err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
		obj, err := e.get(ctx, r)
		if err != nil {
			return err
		}
		if PatchSatisfied(obj.Object, patch) {
			skipped = true
			return nil
		}
		full := patch
		if record {
			undo := Undo(obj.Object, patch)
			old, err := recorded(obj.Object)
			if err != nil {
				return err
			}
			if old != nil {
				undo = MergeUndo(old, undo)
			}
			enc, err := encodeUndo(undo)
			if err != nil {
				return err
			}
			full = Merge(patch, map[string]any{"metadata": map[string]any{
				"resourceVersion": obj.GetResourceVersion(),
				"annotations":     map[string]any{RestoreAnnotation: enc},
			}})
		}
		body, err := json.Marshal(full)
		if err != nil {
			return fmt.Errorf("encode patch of %s: %w", r, err)
		}
		_, err = e.resource(r).Patch(ctx, r.Name, types.MergePatchType, body, metav1.PatchOptions{FieldManager: FieldManager, DryRun: e.dryRun()})
		if err != nil {
			return fmt.Errorf("patch %s: %w", r, err)
		}
		return nil
	})
	return skipped, err
}

func (e *Executor) create(ctx context.Context, s Step) (bool, error) {
	data := map[string]any{"data": s.Object["data"]}
	_, err := e.resource(s.Target).Get(ctx, s.Target.Name, metav1.GetOptions{})
	if err == nil {
		return e.patch(ctx, s.Target, data, true)
	}
	if !apierrors.IsNotFound(err) {
		return false, fmt.Errorf("get %s: %w", s.Target, err)
	}
	_, err = e.resource(s.Target).Create(ctx, &unstructured.Unstructured{Object: s.Object}, metav1.CreateOptions{FieldManager: FieldManager, DryRun: e.dryRun()})
	if apierrors.IsAlreadyExists(err) {
		return e.patch(ctx, s.Target, data, true)
	}
	if err != nil {
		return false, fmt.Errorf("create %s: %w", s.Target, err)
	}
	return false, nil
}

func (e *Executor) delete(ctx context.Context, r Ref) (bool, error) {
	obj, err := e.resource(r).Get(ctx, r.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("get %s: %w", r, err)
	}
	uid := obj.GetUID()
	err = e.resource(r).Delete(ctx, r.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &uid}, DryRun: e.dryRun()})
	if err != nil && !apierrors.IsNotFound(err) {
		return false, fmt.Errorf("delete %s: %w", r, err)
	}
	return false, nil
}

// since is the time pods must have started after: the last write of s.After plus s.Settle.
// In a dry run the object may not exist yet; then every pod counts as old.
func (e *Executor) since(ctx context.Context, s Step) (time.Time, error) {
	obj, err := e.resource(*s.After).Get(ctx, s.After.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) && e.DryRun {
		return time.Now(), nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("get %s: %w", s.After, err)
	}
	return lastWrite(obj.Object).Add(s.Settle), nil
}

func (e *Executor) settle(ctx context.Context, s Step) (bool, error) {
	obj, err := e.get(ctx, s.Target)
	if err != nil {
		return false, err
	}
	left := time.Until(lastWrite(obj.Object).Add(s.Settle))
	if left <= 0 {
		return true, nil
	}
	e.say("  waiting %s for kubelets to see %s", left.Round(time.Second), s.Target)
	select {
	case <-ctx.Done():
		return false, ctx.Err()
	case <-time.After(left):
		return false, nil
	}
}

func (e *Executor) restartPods(ctx context.Context, s Step) (bool, error) {
	since, err := e.since(ctx, s)
	if err != nil {
		return false, err
	}
	pods, err := e.Kube.CoreV1().Pods(s.Target.Namespace).List(ctx, metav1.ListOptions{LabelSelector: s.Selector})
	if err != nil {
		return false, fmt.Errorf("list pods %s in %s: %w", s.Selector, s.Target.Namespace, err)
	}
	deleted := 0
	for _, p := range pods.Items {
		if p.DeletionTimestamp != nil || !p.CreationTimestamp.Time.Before(since) {
			continue
		}
		uid := p.UID
		err := e.Kube.CoreV1().Pods(p.Namespace).Delete(ctx, p.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &uid}, DryRun: e.dryRun()})
		if err != nil && !apierrors.IsNotFound(err) {
			return false, fmt.Errorf("delete pod %s/%s: %w", p.Namespace, p.Name, err)
		}
		e.say("  deleted pod %s/%s (started %s)", p.Namespace, p.Name, p.CreationTimestamp.UTC().Format(time.RFC3339))
		deleted++
	}
	return deleted == 0, nil
}

// rolloutRestart is kubectl rollout restart, unless every pod already started after since.
func (e *Executor) rolloutRestart(ctx context.Context, s Step) (bool, error) {
	since, err := e.since(ctx, s)
	if err != nil {
		return false, err
	}
	obj, err := e.get(ctx, s.Target)
	if err != nil {
		return false, err
	}
	if t, err := time.Parse(time.RFC3339, strMap(obj.Object, "spec", "template", "metadata", "annotations")[RestartedAtAnnotation]); err == nil && !t.Before(since) {
		return true, nil
	}
	sel := calico.NodeSelector
	if s.Target.Name != calico.NodeDaemonSet {
		return false, fmt.Errorf("rollout restart of %s is not supported", s.Target)
	}
	pods, err := e.Kube.CoreV1().Pods(s.Target.Namespace).List(ctx, metav1.ListOptions{LabelSelector: sel})
	if err != nil {
		return false, fmt.Errorf("list pods %s in %s: %w", sel, s.Target.Namespace, err)
	}
	ps := make([]Pod, 0, len(pods.Items))
	for _, p := range pods.Items {
		ps = append(ps, Pod{Name: p.Name, Created: p.CreationTimestamp.Time, Deleting: p.DeletionTimestamp != nil})
	}
	if podsNewer(ps, since) {
		return true, nil
	}
	now := time.Now().UTC().Format(time.RFC3339)
	patch := map[string]any{"spec": map[string]any{"template": map[string]any{"metadata": map[string]any{"annotations": map[string]any{RestartedAtAnnotation: now}}}}}
	return e.patch(ctx, s.Target, patch, true)
}

// wait polls the target until it matches expect (and env, for the calico-node container).
// skipped reports that it matched at once.
func (e *Executor) wait(ctx context.Context, r Ref, expect map[string]any, env map[string]string) (skipped bool, err error) {
	said := false
	var last error
	var refusal refusalWatch
	err = wait.PollUntilContextCancel(ctx, e.poll(), true, func(ctx context.Context) (bool, error) {
		if err := refusal.check(ctx, e, time.Now()); err != nil {
			return false, err
		}
		obj, err := e.get(ctx, r)
		if err != nil {
			last = err
			return false, nil
		}
		cur, _ := containerEnv(obj.Object, calico.NodeContainer)
		ok := PatchSatisfied(obj.Object, expect) && envSatisfied(cur, env)
		if !ok && !said {
			conds := append(Flatten(expect, ""), envConds(env)...)
			e.say("  waiting for %s to have %s", r, strings.Join(conds, ", "))
			said = true
		}
		return ok, nil
	})
	if err != nil && last != nil {
		err = fmt.Errorf("%w (last error: %v)", err, last)
	}
	return !said, err
}

func (e *Executor) waitRollout(ctx context.Context, s Step) (bool, error) {
	skipped := true
	if len(s.Expect) > 0 || len(s.ExpectEnv) > 0 {
		var err error
		if skipped, err = e.wait(ctx, s.Target, s.Expect, s.ExpectEnv); err != nil {
			return false, err
		}
	}
	t := kube.RolloutTarget{Kind: s.Target.Kind, Namespace: s.Target.Namespace, Name: s.Target.Name}
	if _, done, err := kube.RolloutDone(ctx, e.Kube, t); err == nil && done && skipped {
		return true, nil
	}
	// The rollout is followed beside a watch on the operator: one that refuses the
	// Installation never rolls anything, and the wait would otherwise run to --timeout.
	wctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	go func() {
		var refusal refusalWatch
		tick := time.NewTicker(e.poll())
		defer tick.Stop()
		for {
			if err := refusal.check(wctx, e, time.Now()); err != nil {
				cancel(err)
				return
			}
			select {
			case <-wctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
	err := kube.WaitRollout(wctx, e.Kube, t, func(line string) { e.say("  %s", line) })
	if cause := context.Cause(wctx); err != nil && cause != nil && ctx.Err() == nil && !errors.Is(cause, context.Canceled) {
		return false, cause
	}
	return false, err
}

func (e *Executor) waitBPF(ctx context.Context) (bool, error) {
	if e.BPF == nil {
		return true, nil
	}
	first := true
	var lastDetail string
	err := wait.PollUntilContextCancel(ctx, 2*e.poll(), true, func(ctx context.Context) (bool, error) {
		up, detail, err := e.BPF(ctx)
		if err != nil {
			detail = err.Error()
		}
		if up {
			return true, nil
		}
		first = false
		if detail != lastDetail {
			e.say("  not yet: %s", detail)
			lastDetail = detail
		}
		return false, nil
	})
	if err != nil {
		return false, fmt.Errorf("Felix does not run BPF everywhere yet (%s): %w", lastDetail, err)
	}
	return first, nil
}
