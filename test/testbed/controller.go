package testbed

import (
	"context"
	"fmt"
	"io"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/calico"
)

// Controller runs beside the simulated cluster: it wires calico-node pods to the fakes and, on
// operator-flavour clusters, stands in for the Tigera operator.
type Controller struct {
	kube      kubernetes.Interface
	dyn       dynamic.Interface
	namespace string
	operator  bool
	dataRoot  string // the cluster dir: rendered node data and logs
	fixtures  string // pkg/parse/testdata
	log       io.Writer
}

// NewController builds a controller for a cluster's calico-node namespace.
func NewController(kc kubernetes.Interface, dc dynamic.Interface, flavour calico.Flavour, dataRoot, fixtures string, log io.Writer) *Controller {
	return &Controller{
		kube: kc, dyn: dc, namespace: calico.NamespaceFor(flavour), operator: flavour == calico.FlavourOperator,
		dataRoot: dataRoot, fixtures: fixtures, log: log,
	}
}

// Run reconciles every interval until ctx ends. Errors are logged and retried: the cluster is
// being changed under it by the tests.
func (c *Controller) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if err := c.Reconcile(ctx); err != nil && ctx.Err() == nil {
			fmt.Fprintf(c.log, "%s reconcile: %v\n", time.Now().Format(time.RFC3339), err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Reconcile does one pass: the operator's job first, so that pods it rolls get wired next.
func (c *Controller) Reconcile(ctx context.Context) error {
	if c.operator {
		if err := c.operate(ctx); err != nil {
			return fmt.Errorf("operator stand-in: %w", err)
		}
	}
	return c.wire(ctx)
}

// operate re-renders calico-node from the Installation as the Tigera operator does: the
// dataplane becomes FELIX_BPFENABLED on the DaemonSet (a real rollout through the DaemonSet
// controller); once that rollout is complete with BPF on, FelixConfiguration bpfEnabled is set
// with the operator's ownership annotation, and TigeraStatus reports progress.
func (c *Controller) operate(ctx context.Context) error {
	inst, err := c.dyn.Resource(calico.InstallationGVR).Get(ctx, calico.DefaultName, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	dataplane, _, _ := unstructured.NestedString(inst.Object, "spec", "calicoNetwork", "linuxDataplane")
	bpf := dataplane == "BPF"

	ds, err := c.kube.AppsV1().DaemonSets(c.namespace).Get(ctx, calico.NodeDaemonSet, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if renderDaemonSet(ds, bpf) {
		if _, err := c.kube.AppsV1().DaemonSets(c.namespace).Update(ctx, ds, metav1.UpdateOptions{}); err != nil {
			return fmt.Errorf("update daemonset: %w", err)
		}
		return c.setStatus(ctx, false, "Progressing", "rolling out calico-node")
	}
	done := rolloutComplete(ds)
	if done {
		if err := c.setFelixBPF(ctx, bpf); err != nil {
			return err
		}
	}
	if done {
		return c.setStatus(ctx, true, "AllObjectsAvailable", "All objects available")
	}
	return c.setStatus(ctx, false, "Progressing", "rolling out calico-node")
}

// renderDaemonSet sets the DaemonSet's template as the operator would render it; it reports
// whether anything changed.
func renderDaemonSet(ds *appsv1.DaemonSet, bpf bool) bool {
	changed := false
	c := &ds.Spec.Template.Spec.Containers[0]
	want := fmt.Sprint(bpf)
	found := false
	for i := range c.Env {
		if c.Env[i].Name == bpfEnv {
			found = true
			if c.Env[i].Value != want {
				c.Env[i].Value, changed = want, true
			}
		}
	}
	if !found {
		c.Env = append(c.Env, corev1EnvVar(bpfEnv, want))
		changed = true
	}
	if changed && ds.Spec.UpdateStrategy.Type != appsv1.RollingUpdateDaemonSetStrategyType {
		// The operator always rolls calico-node; a test bed left mid-upgrade converges here.
		ds.Spec.UpdateStrategy = calicoNodeDaemonSet("", "", false, appsv1.RollingUpdateDaemonSetStrategyType).Spec.UpdateStrategy
	}
	return changed
}

// rolloutComplete is kubectl's DaemonSet rollout rule: the spec is observed, every scheduled
// pod is updated and available.
func rolloutComplete(ds *appsv1.DaemonSet) bool {
	s := ds.Status
	return ds.Generation <= s.ObservedGeneration &&
		s.UpdatedNumberScheduled == s.DesiredNumberScheduled &&
		s.NumberAvailable == s.DesiredNumberScheduled
}

const operatorBPFAnnotation = "operator.tigera.io/bpfEnabled"

// setFelixBPF writes bpfEnabled the way the operator does, and only where it owns the field.
func (c *Controller) setFelixBPF(ctx context.Context, bpf bool) error {
	res := c.dyn.Resource(calico.FelixConfigurationV1GVR)
	fc, err := res.Get(ctx, calico.DefaultName, metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("get felixconfiguration: %w", err)
	}
	cur, has, _ := unstructured.NestedBool(fc.Object, "spec", "bpfEnabled")
	owned := fc.GetAnnotations()[operatorBPFAnnotation] != ""
	if bpf == cur && (has || !bpf) {
		return nil
	}
	if has && !owned && cur != bpf && !bpf {
		return nil // a user set it; the operator refuses to override
	}
	if err := unstructured.SetNestedField(fc.Object, bpf, "spec", "bpfEnabled"); err != nil {
		return err
	}
	ann := fc.GetAnnotations()
	if ann == nil {
		ann = map[string]string{}
	}
	ann[operatorBPFAnnotation] = fmt.Sprint(bpf)
	fc.SetAnnotations(ann)
	_, err = res.Update(ctx, fc, metav1.UpdateOptions{})
	return err
}

// setStatus keeps TigeraStatus "calico" in step, when the cluster has one.
func (c *Controller) setStatus(ctx context.Context, available bool, reason, message string) error {
	res := c.dyn.Resource(calico.TigeraStatusGVR)
	ts, err := res.Get(ctx, "calico", metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	status := func(b bool) string {
		if b {
			return "True"
		}
		return "False"
	}
	conds := []any{
		map[string]any{"type": "Available", "status": status(available), "reason": reason, "message": message},
		map[string]any{"type": "Progressing", "status": status(!available), "reason": reason, "message": message},
		map[string]any{"type": "Degraded", "status": "False", "reason": reason, "message": ""},
	}
	old, _, _ := unstructured.NestedSlice(ts.Object, "status", "conditions")
	if fmt.Sprint(old) == fmt.Sprint(conds) {
		return nil
	}
	if err := unstructured.SetNestedSlice(ts.Object, conds, "status", "conditions"); err != nil {
		return err
	}
	_, err = res.UpdateStatus(ctx, ts, metav1.UpdateOptions{})
	return err
}
