package preflight

import (
	"context"
	"fmt"
	"io"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	dynfake "k8s.io/client-go/dynamic/fake"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/utils/ptr"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/calico"
	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/kube"
)

// fakeExec answers cat /proc/mounts per node; a node missing from the map fails.
type fakeExec map[string]string

func (f fakeExec) Exec(_ context.Context, t kube.Target, argv []string, stdout, _ io.Writer) error {
	if strings.Join(argv, " ") != "cat /proc/mounts" || t.Container != calico.NodeContainer {
		return fmt.Errorf("unexpected exec %v in %+v", argv, t)
	}
	out, ok := f[t.Node]
	if !ok {
		return &kube.ExecError{Target: t, Argv: argv, ExitCode: 1, Err: fmt.Errorf("exit 1")}
	}
	_, err := io.WriteString(stdout, out)
	return err
}

func testNode(name, kernel, os string) *corev1.Node {
	return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}, Status: corev1.NodeStatus{NodeInfo: corev1.NodeSystemInfo{
		KernelVersion: kernel, OSImage: "img", OperatingSystem: os, Architecture: "amd64"}}}
}

func calicoPod(node string, phase corev1.PodPhase) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "calico-node-" + node, Namespace: "calico-system", Labels: map[string]string{"k8s-app": "calico-node"}},
		Spec:       corev1.PodSpec{NodeName: node, Containers: []corev1.Container{{Name: "calico-node", Image: "calico/node:v3.32.1"}}},
		Status:     corev1.PodStatus{Phase: phase},
	}
}

func slice(name string, addrs ...string) *discoveryv1.EndpointSlice {
	s := &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Name: name, Namespace: "default", Labels: map[string]string{discoveryv1.LabelServiceName: "kubernetes"}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Ports:       []discoveryv1.EndpointPort{{Name: ptr.To("https"), Port: ptr.To[int32](6443)}},
	}
	for _, a := range addrs {
		s.Endpoints = append(s.Endpoints, discoveryv1.Endpoint{Addresses: []string{a}})
	}
	return s
}

func TestGatherOperatorCluster(t *testing.T) {
	kc := fake.NewClientset(
		testNode("n1", "6.8.0", "linux"), testNode("n2", "4.15.0-213-generic", "linux"), testNode("w1", "10.0.20348", "windows"),
		testNode("n3", "6.1.0", "linux"),
		calicoPod("n1", corev1.PodRunning), calicoPod("n2", corev1.PodRunning), calicoPod("n3", corev1.PodPending),
		&appsv1.DaemonSet{ObjectMeta: metav1.ObjectMeta{Name: "calico-node", Namespace: "calico-system"},
			Spec: appsv1.DaemonSetSpec{Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "calico-node", Image: "calico/node:v3.32.1"}}}}}},
		&appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "tigera-operator", Namespace: "tigera-operator"},
			Spec: appsv1.DeploymentSpec{Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "tigera-operator", Image: "quay.io/tigera/operator:v1.42.3"}}}}}},
		&appsv1.DaemonSet{ObjectMeta: metav1.ObjectMeta{Name: "kube-proxy", Namespace: "kube-system", Labels: map[string]string{"addonmanager.kubernetes.io/mode": "Reconcile"}},
			Spec: appsv1.DaemonSetSpec{Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "kube-proxy", Command: []string{"kube-proxy", "--config=/c"}}}}}}},
		&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "kube-proxy", Namespace: "kube-system"},
			Data: map[string]string{"config.conf": "apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nmode: \"ipvs\"\n"}},
		&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "kubernetes-services-endpoint", Namespace: "tigera-operator"},
			Data: map[string]string{"KUBERNETES_SERVICE_HOST": "10.0.0.1", "KUBERNETES_SERVICE_PORT": "6443"}},
		slice("kubernetes", "10.0.0.1"), slice("extra", "10.0.0.2", "10.0.0.3", "10.0.0.1"),
	)
	installation := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "operator.tigera.io/v1", "kind": "Installation", "metadata": map[string]any{"name": "default"},
		"spec": map[string]any{"calicoNetwork": map[string]any{"linuxDataplane": "Iptables", "hostPorts": "Enabled"}},
	}}
	status := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "operator.tigera.io/v1", "kind": "TigeraStatus", "metadata": map[string]any{"name": "calico"},
		"status": map[string]any{"conditions": []any{
			map[string]any{"type": "Available", "status": "True"},
			map[string]any{"type": "Degraded", "status": "True", "message": "boom"},
		}},
	}}
	dc := dynfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), map[schema.GroupVersionResource]string{
		calico.InstallationGVR: "InstallationList", calico.TigeraStatusGVR: "TigeraStatusList",
	}, installation, status)

	f, err := Gather(context.Background(), kc, dc, Options{Exec: fakeExec{"n1": "bpffs /sys/fs/bpf bpf rw 0 0\n"}, Parallel: 2})
	if err != nil {
		t.Fatal(err)
	}
	in := f.Install
	if in.Flavour != calico.FlavourOperator || !in.Found || in.OperatorImage != "quay.io/tigera/operator:v1.42.3" ||
		in.Installation == nil || in.Installation.HostPorts != "Enabled" || in.TigeraStatus == nil ||
		in.TigeraStatus.Degraded != "True" || in.TigeraStatus.Message != "boom" {
		t.Errorf("install facts %+v (installation %+v, status %+v)", in, in.Installation, in.TigeraStatus)
	}
	if got := strings.Join(f.APIServer.Endpoints, ","); got != "10.0.0.1:6443,10.0.0.2:6443,10.0.0.3:6443" {
		t.Errorf("endpoints %s", got)
	}
	if cm := f.APIServer.ConfigMap; cm == nil || cm.Namespace != "tigera-operator" || cm.Host != "10.0.0.1" {
		t.Errorf("configmap %+v", cm)
	}
	kp := f.KubeProxy
	if !kp.DaemonSet || !kp.ConfigMap || kp.Mode != "ipvs" || kp.Labels["addonmanager.kubernetes.io/mode"] != "Reconcile" {
		t.Errorf("kube-proxy facts %+v", kp)
	}
	byName := map[string]NodeFacts{}
	for _, n := range f.Nodes {
		byName[n.Name] = n
	}
	if n := byName["n1"]; n.Pod != "calico-node-n1" || len(n.Mounts) != 1 || n.MountsError != "" {
		t.Errorf("n1 %+v", n)
	}
	if n := byName["n2"]; n.Mounts != nil || !strings.Contains(n.MountsError, "exit status 1") || n.KernelVersion != "4.15.0-213-generic" {
		t.Errorf("n2 %+v", n)
	}
	if n := byName["n3"]; n.MountsError != "pod is Pending" {
		t.Errorf("n3 %+v", n)
	}
	if n := byName["w1"]; n.Pod != "" || n.Mounts != nil || n.OperatingSystem != "windows" {
		t.Errorf("w1 %+v", n)
	}
	if f.Nodes[0].Name != "n1" || f.Nodes[3].Name != "w1" {
		t.Errorf("nodes not sorted: %v", f.Nodes)
	}
}

func TestGatherManifestProxyModeFlag(t *testing.T) {
	kc := fake.NewClientset(
		&appsv1.DaemonSet{ObjectMeta: metav1.ObjectMeta{Name: "calico-node", Namespace: "kube-system"},
			Spec: appsv1.DaemonSetSpec{Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "calico-node", Image: "calico/node:v3.29.7"}}}}}},
		&appsv1.DaemonSet{ObjectMeta: metav1.ObjectMeta{Name: "kube-proxy", Namespace: "kube-system"},
			Spec: appsv1.DaemonSetSpec{Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "kube-proxy", Args: []string{"--proxy-mode", "ipvs"}}}}}}},
		&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "kubernetes-services-endpoint", Namespace: "kube-system"},
			Data: map[string]string{"KUBERNETES_SERVICE_HOST": "lb", "KUBERNETES_SERVICE_PORT": "443"}},
	)
	f, err := Gather(context.Background(), kc, nil, Options{APIServer: "lb:443"})
	if err != nil {
		t.Fatal(err)
	}
	if f.Install.Flavour != calico.FlavourManifest || f.Install.Installation != nil || f.Install.OperatorImage != "" {
		t.Errorf("install %+v", f.Install)
	}
	if f.KubeProxy.Mode != "ipvs" || f.KubeProxy.ConfigMap || !strings.Contains(f.KubeProxy.ModeSource, "--proxy-mode") {
		t.Errorf("kube-proxy %+v", f.KubeProxy)
	}
	if cm := f.APIServer.ConfigMap; cm == nil || cm.Namespace != "kube-system" || f.APIServer.Override != "lb:443" || len(f.APIServer.Endpoints) != 0 {
		t.Errorf("api server %+v", f.APIServer)
	}
	r := Evaluate(f)
	if c, _ := find(r, CheckServiceEndpoint); c.Status != OK {
		t.Errorf("configmap check %+v", c)
	}
}

func TestAPIEndpointsSkipsNotReady(t *testing.T) {
	s := slice("k", "10.0.0.1", "10.0.0.2")
	s.Endpoints[1].Conditions.Ready = ptr.To(false)
	if got := calico.APIServerEndpoints([]discoveryv1.EndpointSlice{*s}); len(got) != 1 || got[0] != "10.0.0.1:6443" {
		t.Errorf("APIServerEndpoints = %v", got)
	}
}
