package testbed

import (
	"context"
	"fmt"
	"io"
	"slices"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
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

func (c *Controller) flavour() calico.Flavour {
	if c.operator {
		return calico.FlavourOperator
	}
	return calico.FlavourManifest
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

// operate re-renders calico-node from the Installation as the Tigera operator does (see
// operatorSpec for what each operator version reads): the dataplane becomes FELIX_BPFENABLED
// and the kubernetes-services-endpoint ConfigMap becomes KUBERNETES_SERVICE_HOST/PORT on the
// DaemonSet (a real rollout through the DaemonSet controller); once that rollout is complete,
// FelixConfiguration bpfEnabled is set with the operator's ownership annotation, kube-proxy is
// turned off or on where kubeProxyManagement asks for it, and TigeraStatus reports progress.
// Combinations the real operator refuses leave calico-node alone and TigeraStatus Degraded.
func (c *Controller) operate(ctx context.Context) error {
	inst, err := c.dyn.Resource(calico.InstallationGVR).Get(ctx, calico.DefaultName, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	spec, err := c.operatorSpec(ctx, inst)
	if err != nil {
		return err
	}
	if spec.refusal != "" {
		return c.setStatus(ctx, statusDegraded, "InvalidConfiguration", spec.refusal)
	}
	ds, err := c.kube.AppsV1().DaemonSets(c.namespace).Get(ctx, calico.NodeDaemonSet, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if renderDaemonSet(ds, spec.env()) {
		if _, err := c.kube.AppsV1().DaemonSets(c.namespace).Update(ctx, ds, metav1.UpdateOptions{}); err != nil {
			return fmt.Errorf("update daemonset: %w", err)
		}
		return c.setStatus(ctx, statusProgressing, "Progressing", "rolling out calico-node")
	}
	if !rolloutComplete(ds) {
		return c.setStatus(ctx, statusProgressing, "Progressing", "rolling out calico-node")
	}
	if err := c.setFelixBPF(ctx, spec.bpf); err != nil {
		return err
	}
	if spec.kubeProxyManagement {
		if err := c.manageKubeProxy(ctx, spec.bpf); err != nil {
			return err
		}
	}
	return c.setStatus(ctx, statusAvailable, "AllObjectsAvailable", "All objects available")
}

// renderDaemonSet sets the calico-node container's variables (a "" value removes one) as the
// operator would render them; it reports whether anything changed.
func renderDaemonSet(ds *appsv1.DaemonSet, env map[string]string) bool {
	changed := false
	c := &ds.Spec.Template.Spec.Containers[0]
	for _, name := range sortedKeys(env) {
		want := env[name]
		i := slices.IndexFunc(c.Env, func(e corev1.EnvVar) bool { return e.Name == name })
		switch {
		case i < 0 && want != "":
			c.Env = append(c.Env, corev1EnvVar(name, want))
			changed = true
		case i >= 0 && want == "":
			c.Env = slices.Delete(c.Env, i, i+1)
			changed = true
		case i >= 0 && c.Env[i].Value != want:
			c.Env[i].Value, changed = want, true
		}
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

type tigeraState int

const (
	statusAvailable tigeraState = iota
	statusProgressing
	statusDegraded
)

// setStatus keeps TigeraStatus "calico" in step, when the cluster has one.
func (c *Controller) setStatus(ctx context.Context, state tigeraState, reason, message string) error {
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
	degradedMsg := ""
	if state == statusDegraded {
		degradedMsg = message
	}
	conds := []any{
		map[string]any{"type": "Available", "status": status(state == statusAvailable), "reason": reason, "message": message},
		map[string]any{"type": "Progressing", "status": status(state == statusProgressing), "reason": reason, "message": message},
		map[string]any{"type": "Degraded", "status": status(state == statusDegraded), "reason": reason, "message": degradedMsg},
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
