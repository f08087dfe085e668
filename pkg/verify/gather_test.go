package verify

import (
	"context"
	"fmt"
	"io"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	dynfake "k8s.io/client-go/dynamic/fake"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/calico"
	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/kube"
)

// fakeExec answers by node and argv.
type fakeExec map[string]string

func (f fakeExec) Exec(_ context.Context, t kube.Target, argv []string, stdout, stderr io.Writer) error {
	out, ok := f[t.Node+" "+strings.Join(argv, " ")]
	if !ok {
		fmt.Fprintf(stderr, "%s: cannot access: No such file or directory\n", argv[0])
		return &kube.ExecError{Target: t, Argv: argv, ExitCode: 2}
	}
	_, err := io.WriteString(stdout, out)
	return err
}

type fakeLogs map[string]string

func (f fakeLogs) ContainerLog(_ context.Context, ns, pod, _ string) (io.ReadCloser, error) {
	s, ok := f[ns+"/"+pod]
	if !ok {
		return nil, fmt.Errorf("pods %q not found", pod)
	}
	return io.NopCloser(strings.NewReader(s)), nil
}

func node(name, kernel string) *corev1.Node {
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"kubernetes.io/os": "linux"}},
		Status:     corev1.NodeStatus{NodeInfo: corev1.NodeSystemInfo{KernelVersion: kernel, OSImage: "Ubuntu"}},
	}
}

func pod(ns, name, nodeName string, labels map[string]string, hostNet bool, env ...corev1.EnvVar) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: labels},
		Spec: corev1.PodSpec{NodeName: nodeName, HostNetwork: hostNet, Containers: []corev1.Container{{
			Name: calico.NodeContainer, Image: "quay.io/calico/node:v3.29.7", Env: env,
		}}},
		Status: corev1.PodStatus{Phase: corev1.PodRunning, ContainerStatuses: []corev1.ContainerStatus{{
			Name: calico.NodeContainer, Ready: true, State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}},
		}}},
	}
}

// A manifest install (calico-node in kube-system, FelixConfiguration bpfEnabled) read through
// fake clients: every fact reaches Evaluate.
func TestGatherManifestInstall(t *testing.T) {
	calicoLabels := map[string]string{calico.NodeLabelKey: calico.NodeLabelValue}
	ds := &appsv1.DaemonSet{
		ObjectMeta: metav1.ObjectMeta{Namespace: calico.ManifestNamespace, Name: calico.NodeDaemonSet},
		Spec: appsv1.DaemonSetSpec{Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: []corev1.Container{{
			Name: calico.NodeContainer, Image: "quay.io/calico/node:v3.29.7",
		}}}}},
	}
	kc := fake.NewClientset(ds, node("a", "5.15.0-1-generic"), node("b", "4.19.0-26-amd64"),
		pod("kube-system", "calico-node-a", "a", calicoLabels, true),
		pod("kube-system", "calico-node-b", "b", calicoLabels, true, corev1.EnvVar{Name: "FELIX_BPFENABLED", Value: "false"}),
		pod("kube-system", "kube-proxy-b", "b", map[string]string{"k8s-app": "kube-proxy"}, true),
		pod("demo", "web-a", "a", nil, false),
	)
	fc := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "crd.projectcalico.org/v1", "kind": "FelixConfiguration",
		"metadata": map[string]any{"name": "default"},
		"spec":     map[string]any{"bpfEnabled": true},
	}}
	dc := dynfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), map[schema.GroupVersionResource]string{
		calico.InstallationGVR: "InstallationList", calico.FelixConfigurationV1GVR: "FelixConfigurationList", calico.FelixConfigurationV3GVR: "FelixConfigurationList",
	}, fc)
	qdiscs := "qdisc mq 0: dev eth0 root \nqdisc clsact ffff: dev eth0 parent ffff:fff1 \nqdisc clsact ffff: dev cali1234 parent ffff:fff1 \n"
	mounts := "proc /proc proc rw 0 0\nbpffs /sys/fs/bpf bpf rw 0 0\n"
	exec := fakeExec{
		"a tc -s qdisc show": qdiscs, "b tc -s qdisc show": qdiscs,
		"a calico-node -bpf ifstate dump": "    2 : {flags: v4Ready,host, name: eth0}\n",
		"b calico-node -bpf ifstate dump": "    2 : {flags: v4Ready,host, name: eth0}\n",
		"a cat /proc/mounts":              mounts,
		"b cat /proc/mounts":              "proc /proc proc rw 0 0\n",
	}
	logs := fakeLogs{
		"kube-system/calico-node-a": "2026-01-01 10:00:00.000 [INFO][60] felix/int_dataplane.go 713: BPF enabled, starting BPF endpoint manager and map manager.\n",
		// b's Felix ran with BPF, then restarted in place without it: only the last start counts.
		"kube-system/calico-node-b": "2026-01-01 09:00:00.000 [INFO][50] felix/daemon.go 384: Successfully loaded configuration. config=&config.Config{BPFEnabled:true}\n" +
			"2026-01-01 09:00:00.100 [INFO][50] felix/int_dataplane.go 713: BPF enabled, starting BPF endpoint manager and map manager.\n" +
			"2026-01-01 10:00:00.000 [INFO][60] felix/daemon.go 384: Successfully loaded configuration. config=&config.Config{BPFEnabled:false}\n" +
			"2026-01-01 10:00:00.000 [INFO][60] felix/int_dataplane.go 428: Creating internal dataplane driver. BPF disabled\n",
	}
	g := &Gatherer{Kube: kc, Dynamic: dc, Exec: exec, Logs: logs}
	c, nodes, skipped, err := g.Gather(context.Background(), kube.NodeSelection{All: true})
	if err != nil {
		t.Fatal(err)
	}
	if c.Flavour != "manifest" || c.Namespace != "kube-system" || c.BPFEnabled == nil || !*c.BPFEnabled || len(skipped) != 0 || len(nodes) != 2 {
		t.Fatalf("cluster %+v, %d nodes, skipped %v", c, len(nodes), skipped)
	}
	rep := Evaluate(c, nodes)
	want := map[[2]string]string{
		{"a", "pod"}: "OK ready", {"a", "bpf"}: "OK FelixConfiguration bpfEnabled=true", {"a", "felix"}: "OK BPF enabled",
		{"a", "programs"}: "OK tc: eth0 + 1/1 workloads", {"a", "bpffs"}: "OK", {"a", "kube-proxy"}: "OK none", {"a", "kernel"}: "OK",
		{"b", "bpf"}: "FAIL BPF not enabled", {"b", "felix"}: "WARN no BPF line", {"b", "bpffs"}: "FAIL not mounted",
		{"b", "kube-proxy"}: "WARN running: kube-system/kube-proxy-b", {"b", "kernel"}: "FAIL 4.19.0-26-amd64 < 5.3",
	}
	for _, n := range rep.Nodes {
		for _, r := range n.Checks {
			k := [2]string{n.Node, string(r.Check)}
			if w, ok := want[k]; ok && !strings.HasPrefix(r.Status.String()+" "+r.Reason, w) {
				t.Errorf("%v = %s %q, want %q", k, r.Status, r.Reason, w)
			}
		}
	}
	if rep.Requested != "FelixConfiguration bpfEnabled=true" || rep.Status != Fail {
		t.Errorf("report %q %v", rep.Requested, rep.Status)
	}
}

func TestGatherNoCalico(t *testing.T) {
	g := &Gatherer{Kube: fake.NewClientset(node("a", "6.1.0")), Exec: fakeExec{}, Logs: fakeLogs{}}
	_, _, _, err := g.Gather(context.Background(), kube.NodeSelection{All: true})
	if err == nil || !strings.Contains(err.Error(), "no calico-node DaemonSet found in calico-system or kube-system") {
		t.Fatalf("err = %v", err)
	}
}
