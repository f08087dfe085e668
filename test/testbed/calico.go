package testbed

import (
	"context"
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/ptr"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/calico"
)

// bpfEnv is the calico-node environment variable the operator stand-in renders from the
// Installation's linuxDataplane (and a manifest install sets by hand).
const bpfEnv = "FELIX_BPFENABLED"

func calicoImage(version string) string { return "quay.io/calico/node:" + version }

func calicoNodeDaemonSet(namespace, version string, bpf bool, strategy appsv1.DaemonSetUpdateStrategyType) *appsv1.DaemonSet {
	labels := map[string]string{calico.NodeLabelKey: calico.NodeLabelValue}
	ds := &appsv1.DaemonSet{
		ObjectMeta: metav1.ObjectMeta{Name: calico.NodeDaemonSet, Namespace: namespace, Labels: labels},
		Spec: appsv1.DaemonSetSpec{
			Selector:       &metav1.LabelSelector{MatchLabels: labels},
			UpdateStrategy: appsv1.DaemonSetUpdateStrategy{Type: strategy},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{
					HostNetwork:       true,
					PriorityClassName: "system-node-critical",
					NodeSelector:      map[string]string{"kubernetes.io/os": "linux"},
					Tolerations:       []corev1.Toleration{{Operator: corev1.TolerationOpExists}},
					Containers: []corev1.Container{{
						Name:  calico.NodeContainer,
						Image: calicoImage(version),
						Env: []corev1.EnvVar{
							{Name: "DATASTORE_TYPE", Value: "kubernetes"},
							{Name: "CALICO_NETWORKING_BACKEND", Value: "bird"},
							{Name: bpfEnv, Value: fmt.Sprint(bpf)},
						},
					}},
				},
			},
		},
	}
	if namespace == calico.ManifestNamespace {
		// calico.yaml sets no FELIX_BPFENABLED (it would override FelixConfiguration) and
		// reads the API server endpoint from an optional ConfigMap (v3.24+).
		c := &ds.Spec.Template.Spec.Containers[0]
		c.Env = c.Env[:2]
		c.EnvFrom = []corev1.EnvFromSource{{ConfigMapRef: &corev1.ConfigMapEnvSource{
			LocalObjectReference: corev1.LocalObjectReference{Name: "kubernetes-services-endpoint"}, Optional: ptr.To(true)}}}
	}
	if strategy == appsv1.RollingUpdateDaemonSetStrategyType {
		one := intstr.FromInt32(1)
		ds.Spec.UpdateStrategy.RollingUpdate = &appsv1.RollingUpdateDaemonSet{MaxUnavailable: &one}
	}
	return ds
}

// deployCalicoNode creates the calico-node DaemonSet so that node k runs versions[k%len]. Mixed
// versions are what a cluster looks like in the middle of an OnDelete upgrade: the DaemonSet is
// created at the first version, then moved to each next version while the pods of the nodes
// that should run it are deleted and re-created.
func deployCalicoNode(ctx context.Context, kc kubernetes.Interface, namespace string, nodes int, versions []string) error {
	mixed := len(versions) > 1
	strategy := appsv1.RollingUpdateDaemonSetStrategyType
	if mixed {
		strategy = appsv1.OnDeleteDaemonSetStrategyType
	}
	ds := calicoNodeDaemonSet(namespace, versions[0], false, strategy)
	if _, err := kc.AppsV1().DaemonSets(namespace).Create(ctx, ds, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("create daemonset %s/%s: %w", namespace, ds.Name, err)
	}
	want := map[string]string{}
	for k := range nodes {
		want[nodeName(k)] = versions[0]
	}
	if err := waitCalicoVersions(ctx, kc, namespace, want); err != nil {
		return err
	}
	for i, v := range versions[1:] {
		// The operator stand-in writes the same DaemonSet (it renders env from the
		// Installation), so a conflict here only means: read it again.
		err := retry.RetryOnConflict(retry.DefaultBackoff, func() error {
			cur, err := kc.AppsV1().DaemonSets(namespace).Get(ctx, ds.Name, metav1.GetOptions{})
			if err != nil {
				return err
			}
			cur.Spec.Template.Spec.Containers[0].Image = calicoImage(v)
			_, err = kc.AppsV1().DaemonSets(namespace).Update(ctx, cur, metav1.UpdateOptions{})
			return err
		})
		if err != nil {
			return fmt.Errorf("move daemonset to %s: %w", v, err)
		}
		pods, err := calicoNodePods(ctx, kc, namespace)
		if err != nil {
			return err
		}
		for k := range nodes {
			if k%len(versions) != i+1 {
				continue
			}
			want[nodeName(k)] = v
			for _, p := range pods {
				if p.Spec.NodeName == nodeName(k) {
					if err := kc.CoreV1().Pods(namespace).Delete(ctx, p.Name, metav1.DeleteOptions{GracePeriodSeconds: new(int64)}); err != nil {
						return fmt.Errorf("delete pod %s: %w", p.Name, err)
					}
				}
			}
		}
		if err := waitCalicoVersions(ctx, kc, namespace, want); err != nil {
			return err
		}
	}
	return nil
}

func calicoNodePods(ctx context.Context, kc kubernetes.Interface, namespace string) ([]corev1.Pod, error) {
	list, err := kc.CoreV1().Pods(namespace).List(ctx, metav1.ListOptions{LabelSelector: calico.NodeSelector})
	if err != nil {
		return nil, fmt.Errorf("list calico-node pods: %w", err)
	}
	return list.Items, nil
}

// waitCalicoVersions waits until each node has exactly one running calico-node pod with the
// wanted image.
func waitCalicoVersions(ctx context.Context, kc kubernetes.Interface, namespace string, want map[string]string) error {
	var last string
	err := wait.PollUntilContextTimeout(ctx, 300*time.Millisecond, 3*time.Minute, true, func(ctx context.Context) (bool, error) {
		pods, err := calicoNodePods(ctx, kc, namespace)
		if err != nil {
			return false, err
		}
		got := map[string][]string{}
		for _, p := range pods {
			if p.DeletionTimestamp == nil && p.Status.Phase == corev1.PodRunning {
				got[p.Spec.NodeName] = append(got[p.Spec.NodeName], calico.ImageTag(p.Spec.Containers[0].Image))
			} else {
				got[p.Spec.NodeName] = append(got[p.Spec.NodeName], "pending")
			}
		}
		for node, v := range want {
			if len(got[node]) != 1 || got[node][0] != v {
				last = fmt.Sprintf("node %s has calico-node %v, want %s", node, got[node], v)
				return false, nil
			}
		}
		return true, nil
	})
	if err != nil {
		return fmt.Errorf("wait for calico-node pods: %s: %w", last, err)
	}
	return nil
}

func corev1EnvVar(name, value string) corev1.EnvVar { return corev1.EnvVar{Name: name, Value: value} }
