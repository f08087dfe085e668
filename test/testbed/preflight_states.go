package testbed

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/ptr"
)

// Cluster states that preflight reports on. Each setter returns a function that puts back what
// it changed; tests register it with t.Cleanup, since the cluster is shared.

// kubeProxyConfig is the kube-proxy ConfigMap's key that holds its KubeProxyConfiguration.
const kubeProxyConfig = "config.conf"

// SetKubeProxyMode rewrites the mode line of ConfigMap kube-system/kube-proxy.
func (c *Cluster) SetKubeProxyMode(ctx context.Context, mode string) (restore func(context.Context) error, err error) {
	cms := c.Kube.CoreV1().ConfigMaps(metav1.NamespaceSystem)
	cm, err := cms.Get(ctx, "kube-proxy", metav1.GetOptions{})
	if err != nil {
		return nil, fmt.Errorf("get configmap kube-system/kube-proxy: %w", err)
	}
	old := cm.Data[kubeProxyConfig]
	if err := c.patchConfigMapKey(ctx, "kube-proxy", kubeProxyConfig, withMode(old, mode)); err != nil {
		return nil, err
	}
	return func(ctx context.Context) error { return c.patchConfigMapKey(ctx, "kube-proxy", kubeProxyConfig, old) }, nil
}

// withMode replaces (or adds) the top-level mode: line of a KubeProxyConfiguration.
func withMode(conf, mode string) string {
	lines := strings.Split(conf, "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, "mode:") {
			lines[i] = fmt.Sprintf("mode: %q", mode)
			return strings.Join(lines, "\n")
		}
	}
	return strings.TrimRight(conf, "\n") + fmt.Sprintf("\nmode: %q\n", mode)
}

func (c *Cluster) patchConfigMapKey(ctx context.Context, name, key, value string) error {
	patch, err := json.Marshal(map[string]any{"data": map[string]string{key: value}})
	if err != nil {
		return err
	}
	_, err = c.Kube.CoreV1().ConfigMaps(metav1.NamespaceSystem).Patch(ctx, name, types.MergePatchType, patch, metav1.PatchOptions{})
	if err != nil {
		return fmt.Errorf("patch configmap kube-system/%s: %w", name, err)
	}
	return nil
}

// LabelKubeProxy sets a label on DaemonSet kube-system/kube-proxy (an addon manager's or a
// GitOps tool's claim); restore puts back the old value or removes it.
func (c *Cluster) LabelKubeProxy(ctx context.Context, key, value string) (restore func(context.Context) error, err error) {
	dss := c.Kube.AppsV1().DaemonSets(metav1.NamespaceSystem)
	ds, err := dss.Get(ctx, "kube-proxy", metav1.GetOptions{})
	if err != nil {
		return nil, fmt.Errorf("get daemonset kube-system/kube-proxy: %w", err)
	}
	var old *string
	if v, ok := ds.Labels[key]; ok {
		old = &v
	}
	set := func(ctx context.Context, v *string) error {
		patch, err := json.Marshal(map[string]any{"metadata": map[string]any{"labels": map[string]*string{key: v}}})
		if err != nil {
			return err
		}
		if _, err := dss.Patch(ctx, "kube-proxy", types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
			return fmt.Errorf("label daemonset kube-system/kube-proxy %s: %w", key, err)
		}
		return nil
	}
	if err := set(ctx, &value); err != nil {
		return nil, err
	}
	return func(ctx context.Context) error { return set(ctx, old) }, nil
}

// APIServerEndpoints returns the HOST:PORT endpoints of Service default/kubernetes.
func (c *Cluster) APIServerEndpoints(ctx context.Context) ([]string, error) {
	list, err := c.Kube.DiscoveryV1().EndpointSlices(metav1.NamespaceDefault).List(ctx, metav1.ListOptions{
		LabelSelector: discoveryv1.LabelServiceName + "=kubernetes",
	})
	if err != nil {
		return nil, fmt.Errorf("list endpointslices of default/kubernetes: %w", err)
	}
	var out []string
	for _, s := range list.Items {
		for _, e := range s.Endpoints {
			for _, a := range e.Addresses {
				for _, p := range s.Ports {
					if p.Port != nil {
						out = append(out, fmt.Sprintf("%s:%d", a, *p.Port))
					}
				}
			}
		}
	}
	return out, nil
}

// extraAPISlice is the EndpointSlice AddAPIServerEndpoints writes. The API server reconciles
// only its own slice (named kubernetes) and the EndpointSlice controllers only slices whose
// managed-by is theirs, so this one stays as written.
const extraAPISlice = "kubernetes-preflight-extra"

// AddAPIServerEndpoints adds addresses to Service default/kubernetes, as a control plane with
// several API servers has, by writing one more EndpointSlice for it.
func (c *Cluster) AddAPIServerEndpoints(ctx context.Context, port int32, addrs ...string) (restore func(context.Context) error, err error) {
	s := &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{Name: extraAPISlice, Namespace: metav1.NamespaceDefault, Labels: map[string]string{
			discoveryv1.LabelServiceName: "kubernetes",
			discoveryv1.LabelManagedBy:   "testbed.calico-ebpf",
		}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Ports:       []discoveryv1.EndpointPort{{Name: ptr.To("https"), Protocol: ptr.To(corev1.ProtocolTCP), Port: ptr.To(port)}},
	}
	for _, a := range addrs {
		s.Endpoints = append(s.Endpoints, discoveryv1.Endpoint{Addresses: []string{a}, Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(true)}})
	}
	slices := c.Kube.DiscoveryV1().EndpointSlices(metav1.NamespaceDefault)
	if _, err := slices.Create(ctx, s, metav1.CreateOptions{}); err != nil {
		return nil, fmt.Errorf("create endpointslice default/%s: %w", extraAPISlice, err)
	}
	return func(ctx context.Context) error {
		err := slices.Delete(ctx, extraAPISlice, metav1.DeleteOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("delete endpointslice default/%s: %w", extraAPISlice, err)
		}
		return nil
	}, nil
}

// SetNodeKernel sets a node's status.nodeInfo.kernelVersion and waits until it reads back.
func (c *Cluster) SetNodeKernel(ctx context.Context, node, kernel string) error {
	return c.SetNodeKernelOS(ctx, node, kernel, "")
}

// SetNodeKernelOS sets a node's status.nodeInfo kernelVersion and osImage (the latter when not
// "") and waits until they read back (kwok writes node status too, hence the retries).
func (c *Cluster) SetNodeKernelOS(ctx context.Context, node, kernel, osImage string) error {
	nodes := c.Kube.CoreV1().Nodes()
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		got, err := nodes.Get(ctx, node, metav1.GetOptions{})
		if err != nil {
			return err
		}
		got.Status.NodeInfo.KernelVersion = kernel
		if osImage != "" {
			got.Status.NodeInfo.OSImage = osImage
		}
		_, err = nodes.UpdateStatus(ctx, got, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		return fmt.Errorf("set kernel of node %s: %w", node, err)
	}
	return wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		got, err := nodes.Get(ctx, node, metav1.GetOptions{})
		return err == nil && got.Status.NodeInfo.KernelVersion == kernel &&
			(osImage == "" || got.Status.NodeInfo.OSImage == osImage), nil
	})
}

// RemoveNode deletes a node added with AddNode and its pods, and waits until both are gone.
func (c *Cluster) RemoveNode(ctx context.Context, name string) error {
	if err := c.Kube.CoreV1().Nodes().Delete(ctx, name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("delete node %s: %w", name, err)
	}
	err := wait.PollUntilContextTimeout(ctx, 300*time.Millisecond, 2*time.Minute, true, func(ctx context.Context) (bool, error) {
		pods, err := c.Kube.CoreV1().Pods("").List(ctx, metav1.ListOptions{FieldSelector: "spec.nodeName=" + name})
		if err != nil {
			return false, nil
		}
		for _, p := range pods.Items {
			_ = c.Kube.CoreV1().Pods(p.Namespace).Delete(ctx, p.Name, metav1.DeleteOptions{GracePeriodSeconds: ptr.To[int64](0)})
		}
		_, err = c.Kube.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
		return len(pods.Items) == 0 && apierrors.IsNotFound(err), nil
	})
	if err != nil {
		return fmt.Errorf("remove node %s: %w", name, err)
	}
	return nil
}
