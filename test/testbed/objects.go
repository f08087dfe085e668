package testbed

import (
	"context"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/ptr"
)

// kernels gives the nodes realistic, varied nodeInfo; preflight and verify read it.
var kernels = []struct{ kernel, os string }{
	{"6.8.0-49-generic", "Ubuntu 24.04.1 LTS"},
	{"5.15.0-126-generic", "Ubuntu 22.04.5 LTS"},
	{"5.14.0-427.42.1.el9_4.x86_64", "Red Hat Enterprise Linux 9.4 (Plow)"},
	{"6.1.0-27-cloud-amd64", "Debian GNU/Linux 12 (bookworm)"},
}

func newNode(k int) *corev1.Node {
	name := nodeName(k)
	kv := kernels[k%len(kernels)]
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{
			Name: name,
			Labels: map[string]string{
				"kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
				"type": "kwok",
			},
			Annotations: map[string]string{
				"kwok.x-k8s.io/node":                   "fake",
				"projectcalico.org/IPv4Address":        nodeIP(k) + "/24",
				"projectcalico.org/IPv4IPIPTunnelAddr": nodeTunnel(k),
			},
		},
		Spec: corev1.NodeSpec{PodCIDR: nodeBlock(k) + "/26", PodCIDRs: []string{nodeBlock(k) + "/26"}},
		Status: corev1.NodeStatus{
			// Only the InternalIP: kwok adds its Hostname address, which the API server prefers
			// and which points back at kwok on loopback for exec and logs.
			Addresses: []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: nodeIP(k)}},
			NodeInfo:  nodeInfo(kv.kernel, kv.os),
		},
	}
}

func nodeInfo(kernel, osImage string) corev1.NodeSystemInfo {
	return corev1.NodeSystemInfo{
		KernelVersion: kernel, OSImage: osImage, OperatingSystem: "linux", Architecture: "amd64",
		ContainerRuntimeVersion: "containerd://2.1.4", KubeletVersion: kubeVersion, KubeProxyVersion: kubeVersion,
	}
}

// createNodes creates the nodes and then sets their status, which the API server does not take
// on create.
func createNodes(ctx context.Context, kc kubernetes.Interface, n int) error {
	for k := range n {
		want := newNode(k)
		_, err := kc.CoreV1().Nodes().Create(ctx, want, metav1.CreateOptions{})
		if err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("create node %s: %w", want.Name, err)
		}
		// kwok initialises the status at the same time, so retry on conflict.
		err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
			got, err := kc.CoreV1().Nodes().Get(ctx, want.Name, metav1.GetOptions{})
			if err != nil {
				return err
			}
			got.Status.Addresses = mergeAddresses(want.Status.Addresses, got.Status.Addresses)
			got.Status.NodeInfo = want.Status.NodeInfo
			_, err = kc.CoreV1().Nodes().UpdateStatus(ctx, got, metav1.UpdateOptions{})
			return err
		})
		if err != nil {
			return fmt.Errorf("set status of node %s: %w", want.Name, err)
		}
	}
	return nil
}

// mergeAddresses keeps kwok's addresses (its Hostname) and adds ours where missing.
func mergeAddresses(ours, theirs []corev1.NodeAddress) []corev1.NodeAddress {
	out := append([]corev1.NodeAddress{}, theirs...)
	for _, a := range ours {
		found := false
		for _, b := range theirs {
			found = found || b.Type == a.Type
		}
		if !found {
			out = append(out, a)
		}
	}
	return out
}

// app is a workload of the fixture world: one pod on each workload node.
type app struct {
	Name, Namespace string
	Labels          map[string]string
	Port            int32
}

var apps = []app{
	{"client", "demo", map[string]string{"app": "client"}, 0},
	{"tools", "demo", map[string]string{"app": "tools"}, 8443},
	{"dns", "kube-system", map[string]string{"k8s-app": "kube-dns"}, 53},
	{"web", "demo", map[string]string{"app": "web"}, 8080},
	{"api", "demo", map[string]string{"app": "api"}, 9000},
	{"secure", "demo", map[string]string{"app": "secure"}, 8443},
	{"cache", "demo", map[string]string{"app": "cache"}, 8080},
}

func appDeployment(a app, node string) *appsv1.Deployment {
	labels := map[string]string{appLabel: a.Name}
	for k, v := range a.Labels {
		labels[k] = v
	}
	c := corev1.Container{Name: a.Name, Image: "registry.k8s.io/e2e-test-images/agnhost:2.53"}
	if a.Port > 0 {
		c.Ports = []corev1.ContainerPort{{ContainerPort: a.Port}}
	}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: a.Name + "-" + node, Namespace: a.Namespace, Labels: labels},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](1),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app.kubernetes.io/instance": a.Name + "-" + node}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: merged(labels, map[string]string{"app.kubernetes.io/instance": a.Name + "-" + node})},
				Spec: corev1.PodSpec{
					NodeSelector: map[string]string{"kubernetes.io/hostname": node},
					Containers:   []corev1.Container{c},
				},
			},
		},
	}
}

func merged(a, b map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

// services are the fixture world's Services, with the fixtures' ClusterIPs.
func services() []*corev1.Service {
	tcp := func(name string, port, target int32) corev1.ServicePort {
		return corev1.ServicePort{Name: name, Protocol: corev1.ProtocolTCP, Port: port, TargetPort: intstr.FromInt32(target)}
	}
	local := corev1.ServiceInternalTrafficPolicyLocal
	return []*corev1.Service{
		{
			ObjectMeta: metav1.ObjectMeta{Name: "kube-dns", Namespace: "kube-system", Labels: map[string]string{"k8s-app": "kube-dns"}},
			Spec: corev1.ServiceSpec{ClusterIP: "10.96.0.10", Selector: map[string]string{"k8s-app": "kube-dns"}, Ports: []corev1.ServicePort{
				{Name: "dns", Protocol: corev1.ProtocolUDP, Port: 53, TargetPort: intstr.FromInt32(53)},
				{Name: "dns-tcp", Protocol: corev1.ProtocolTCP, Port: 53, TargetPort: intstr.FromInt32(53)},
			}},
		},
		{
			ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "demo"},
			Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeNodePort, ClusterIP: "10.96.45.12", Selector: map[string]string{"app": "web"},
				ExternalTrafficPolicy: corev1.ServiceExternalTrafficPolicyLocal,
				Ports:                 []corev1.ServicePort{{Name: "http", Protocol: corev1.ProtocolTCP, Port: 80, TargetPort: intstr.FromInt32(8080), NodePort: 30080}}},
		},
		{
			ObjectMeta: metav1.ObjectMeta{Name: "secure", Namespace: "demo"},
			Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, ClusterIP: "10.96.77.7", Selector: map[string]string{"app": "secure"},
				LoadBalancerSourceRanges: []string{"203.0.113.0/24"}, AllocateLoadBalancerNodePorts: ptr.To(false),
				Ports: []corev1.ServicePort{tcp("https", 443, 8443)}},
		},
		{
			ObjectMeta: metav1.ObjectMeta{Name: "api", Namespace: "demo"},
			Spec: corev1.ServiceSpec{ClusterIP: "10.96.88.8", Selector: map[string]string{"app": "api"}, InternalTrafficPolicy: &local,
				Ports: []corev1.ServicePort{tcp("grpc", 9000, 9000)}},
		},
		{
			ObjectMeta: metav1.ObjectMeta{Name: "metrics", Namespace: "demo"},
			Spec: corev1.ServiceSpec{ClusterIP: "10.96.12.34", Selector: map[string]string{"app": "tools"},
				Ports: []corev1.ServicePort{tcp("https", 443, 8443)}},
		},
		{
			ObjectMeta: metav1.ObjectMeta{Name: "cache", Namespace: "demo"},
			Spec: corev1.ServiceSpec{ClusterIP: "10.96.66.6", Selector: map[string]string{"app": "cache"}, ExternalIPs: []string{"192.0.2.100"},
				Ports: []corev1.ServicePort{tcp("http", 8080, 8080)}},
		},
	}
}

// loadBalancerIngress is what a cloud controller would write into the LoadBalancer's status.
var loadBalancerIngress = map[string]string{"demo/secure": "198.51.100.10"}
