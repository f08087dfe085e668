package enable

import (
	"context"
	"fmt"
	"sort"
	"time"

	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/calico"
	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/kube"
)

// BPFCheck reports whether Felix runs the eBPF dataplane on every node, and if not, where
// and why not. pkg/cmd builds it from verify.
type BPFCheck func(ctx context.Context) (up bool, detail string, err error)

// Observer reads the State.
type Observer struct {
	Kube    kubernetes.Interface
	Dynamic dynamic.Interface
	// CalicoNamespace is --calico-namespace, "" to detect it.
	CalicoNamespace string
	// BPF is asked only when the plan needs to know (enable); nil reads as "not up".
	BPF BPFCheck
}

// Observe reads everything BuildEnable and BuildDisable depend on. Absent objects are nil;
// only failures to read are errors.
func (ob *Observer) Observe(ctx context.Context, felixGVR schema.GroupVersionResource, withBPF bool) (State, error) {
	st := State{FelixGVR: felixGVR, Rollouts: map[string]Rollout{}, Now: time.Now()}
	inst, err := kube.DetectCalico(ctx, ob.Kube, ob.Dynamic, ob.CalicoNamespace)
	if err != nil {
		return st, err
	}
	st.Flavour, st.CalicoNamespace, st.CalicoImage = inst.Flavour, inst.Namespace, inst.Image
	instRef, felixRef, cmRef, kpRef, nodeRef, opRef := refs(st)
	for _, g := range []struct {
		ref Ref
		dst *map[string]any
	}{
		{felixRef, &st.FelixConfiguration}, {cmRef, &st.EndpointConfigMap},
		{kpRef, &st.KubeProxy}, {nodeRef, &st.CalicoNode}, {opRef, &st.Operator},
	} {
		if *g.dst, err = ob.get(ctx, g.ref); err != nil {
			return st, err
		}
	}
	if st.Flavour == calico.FlavourOperator {
		if st.Installation, err = ob.get(ctx, instRef); err != nil {
			return st, err
		}
	}
	if st.EndpointConfigMap != nil {
		st.ConfigMapWritten = lastWrite(st.EndpointConfigMap)
	}
	if st.Operator != nil {
		st.OperatorImage = containerImage(st.Operator, calico.OperatorDeployment)
		if st.OperatorPods, err = ob.pods(ctx, calico.TigeraOperatorNamespace, OperatorPodSelector); err != nil {
			return st, err
		}
	}
	if st.CalicoNodePods, err = ob.pods(ctx, st.CalicoNamespace, calico.NodeSelector); err != nil {
		return st, err
	}
	for _, r := range []struct {
		ref Ref
		obj map[string]any
	}{{nodeRef, st.CalicoNode}, {kpRef, st.KubeProxy}, {opRef, st.Operator}} {
		if r.obj == nil {
			continue
		}
		msg, done, err := kube.RolloutDone(ctx, ob.Kube, kube.RolloutTarget{Kind: r.ref.Kind, Namespace: r.ref.Namespace, Name: r.ref.Name})
		ro := Rollout{Done: done, Message: msg}
		if err != nil {
			ro.Err = err.Error()
		}
		st.Rollouts[rolloutKey(r.ref.Kind, r.ref.Namespace, r.ref.Name)] = ro
	}
	if st.APIEndpoints, err = apiEndpoints(ctx, ob.Kube); err != nil {
		return st, err
	}
	if withBPF && ob.BPF != nil {
		up, detail, err := ob.BPF(ctx)
		if err != nil {
			detail = err.Error()
		}
		st.BPFUp, st.BPFDetail = up, detail
	}
	return st, nil
}

func (ob *Observer) get(ctx context.Context, r Ref) (map[string]any, error) {
	if r.GVR.Resource == "" {
		return nil, nil
	}
	var res dynamic.ResourceInterface = ob.Dynamic.Resource(r.GVR)
	if r.Namespace != "" {
		res = ob.Dynamic.Resource(r.GVR).Namespace(r.Namespace)
	}
	obj, err := res.Get(ctx, r.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", r, err)
	}
	return obj.Object, nil
}

func (ob *Observer) pods(ctx context.Context, namespace, selector string) ([]Pod, error) {
	list, err := ob.Kube.CoreV1().Pods(namespace).List(ctx, metav1.ListOptions{LabelSelector: selector})
	if err != nil {
		return nil, fmt.Errorf("list pods %s in %s: %w", selector, namespace, err)
	}
	out := make([]Pod, 0, len(list.Items))
	for _, p := range list.Items {
		out = append(out, Pod{Name: p.Name, Created: p.CreationTimestamp.Time, Deleting: p.DeletionTimestamp != nil})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func containerImage(workload map[string]any, name string) string {
	v, _ := nested(workload, "spec", "template", "spec", "containers")
	cs, _ := v.([]any)
	first := ""
	for i, c := range cs {
		cm, _ := c.(map[string]any)
		if i == 0 {
			first = str(cm, "image")
		}
		if str(cm, "name") == name {
			return str(cm, "image")
		}
	}
	return first
}

// apiEndpoints returns the ready HOST:PORT endpoints of Service default/kubernetes, sorted.
func apiEndpoints(ctx context.Context, kc kubernetes.Interface) ([]string, error) {
	slices, err := kc.DiscoveryV1().EndpointSlices(metav1.NamespaceDefault).List(ctx, metav1.ListOptions{
		LabelSelector: discoveryv1.LabelServiceName + "=kubernetes",
	})
	if err != nil {
		return nil, fmt.Errorf("list endpointslices of service default/kubernetes: %w", err)
	}
	return calico.APIServerEndpoints(slices.Items), nil
}
