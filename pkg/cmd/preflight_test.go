package cmd

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	dynfake "k8s.io/client-go/dynamic/fake"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/yaml"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/calico"
	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/kube"
	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/preflight"
)

type mountsExec struct{}

func (mountsExec) Exec(_ context.Context, t kube.Target, argv []string, stdout, _ io.Writer) error {
	if t.Node == "bad" {
		return errors.New("exec refused")
	}
	_, err := io.WriteString(stdout, "cgroup2 /sys/fs/cgroup cgroup2 rw 0 0\nbpffs /sys/fs/bpf bpf rw 0 0\n")
	return err
}

// manifestCluster is a manifest install; mode and kernel of node n2 vary per test.
func manifestCluster(proxyMode, kernel string, apiAddrs ...string) *kube.Clients {
	node := func(name, k string) *corev1.Node {
		return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}, Status: corev1.NodeStatus{NodeInfo: corev1.NodeSystemInfo{
			KernelVersion: k, OSImage: "Ubuntu 24.04", OperatingSystem: "linux", Architecture: "amd64"}}}
	}
	pod := func(n string) *corev1.Pod {
		return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "calico-node-" + n, Namespace: "kube-system", Labels: map[string]string{"k8s-app": "calico-node"}},
			Spec: corev1.PodSpec{NodeName: n}, Status: corev1.PodStatus{Phase: corev1.PodRunning}}
	}
	eps := &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{Name: "kubernetes", Namespace: "default", Labels: map[string]string{discoveryv1.LabelServiceName: "kubernetes"}},
		Ports:      []discoveryv1.EndpointPort{{Name: ptr.To("https"), Port: ptr.To[int32](6443)}},
	}
	for _, a := range apiAddrs {
		eps.Endpoints = append(eps.Endpoints, discoveryv1.Endpoint{Addresses: []string{a}})
	}
	kc := fake.NewClientset(node("n1", "6.8.0-49-generic"), node("n2", kernel), pod("n1"), pod("n2"), eps,
		&appsv1.DaemonSet{ObjectMeta: metav1.ObjectMeta{Name: "calico-node", Namespace: "kube-system"},
			Spec: appsv1.DaemonSetSpec{Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "calico-node", Image: "calico/node:v3.29.7"}}}}}},
		&appsv1.DaemonSet{ObjectMeta: metav1.ObjectMeta{Name: "kube-proxy", Namespace: "kube-system"}},
		&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "kube-proxy", Namespace: "kube-system"}, Data: map[string]string{"config.conf": "mode: " + proxyMode + "\n"}},
	)
	dc := dynfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), map[schema.GroupVersionResource]string{
		calico.InstallationGVR: "InstallationList", calico.TigeraStatusGVR: "TigeraStatusList",
	})
	return &kube.Clients{Kube: kc, Dynamic: dc}
}

func runPreflight(t *testing.T, clients *kube.Clients, args ...string) (string, error) {
	t.Helper()
	streams, _, out, _ := genericiooptions.NewTestIOStreams()
	o := &PreflightOptions{IOStreams: streams}
	if err := newCmdPreflight(o).Flags().Parse(args); err != nil {
		t.Fatal(err)
	}
	o.newExecutor = func(*kube.Clients) preflight.Executor { return mountsExec{} }
	if err := o.Complete(); err != nil {
		t.Fatal(err)
	}
	err := o.runWith(context.Background(), clients)
	return out.String(), err
}

func exitCode(err error) int {
	if err == nil {
		return 0
	}
	var ec exitCoder
	if errors.As(err, &ec) {
		return ec.ExitCode()
	}
	return -1
}

func TestPreflightCleanManifestCluster(t *testing.T) {
	out, err := runPreflight(t, manifestCluster("iptables", "6.1.0-27-cloud-amd64", "10.0.0.1"))
	if err != nil {
		t.Fatalf("clean cluster: %v\n%s", err, out)
	}
	for _, want := range []string{
		"Calico install: manifest (calico-node in kube-system)",
		"NODE   KERNEL", "OS/ARCH", "BPFFS", "CGROUPV2",
		"n2     OK 6.1.0-27-cloud-amd64",
		"CHECK", "api-server", "OK       10.0.0.1:6443",
		"kube-proxy-mode", "OK       iptables",
		"operator", "SKIP     manifest install",
		"0 FAIL",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "Details:") {
		t.Errorf("clean cluster has details:\n%s", out)
	}
}

func TestPreflightReportsProblemsAndExits1(t *testing.T) {
	out, err := runPreflight(t, manifestCluster("ipvs", "4.15.0-213-generic", "10.0.0.1", "10.0.0.2", "10.0.0.3"))
	if exitCode(err) != 1 {
		t.Fatalf("exit %d (%v)\n%s", exitCode(err), err, out)
	}
	for _, want := range []string{
		"FAIL 4.15.0-213-generic < 5.3.0",
		"[FAIL] node n2 KERNEL",
		"[FAIL] api-server: 3 endpoints", "--api-server HOST:PORT",
		"[FAIL] kube-proxy-mode: ipvs: needs cleanup first", "ipvsadm -C",
		"    seen: ", "    do:   ",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestPreflightStrictAndAPIServerFlag(t *testing.T) {
	// 5.4 warns; with --api-server the three endpoints are fine.
	c := manifestCluster("iptables", "5.4.0-200-generic", "10.0.0.1", "10.0.0.2", "10.0.0.3")
	if _, err := runPreflight(t, c, "--api-server", "lb.example:6443"); err != nil {
		t.Errorf("warnings only, not strict: %v", err)
	}
	c = manifestCluster("iptables", "5.4.0-200-generic", "10.0.0.1", "10.0.0.2", "10.0.0.3")
	_, err := runPreflight(t, c, "--api-server", "lb.example:6443", "--strict")
	if exitCode(err) != 1 || !strings.Contains(err.Error(), "--strict") {
		t.Errorf("--strict with a WARN: %v", err)
	}
}

func TestPreflightJSONAndYAML(t *testing.T) {
	out, err := runPreflight(t, manifestCluster("ipvs", "6.8.0", "10.0.0.1"), "-o", "json")
	if exitCode(err) != 1 {
		t.Fatalf("exit %d", exitCode(err))
	}
	var rep preflight.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if rep.Flavour != "manifest" || len(rep.Nodes) != 2 || rep.Summary.Fail != 1 || len(rep.Cluster) == 0 {
		t.Errorf("report %+v", rep)
	}
	out, _ = runPreflight(t, manifestCluster("iptables", "6.8.0", "10.0.0.1"), "-o", "yaml")
	var y map[string]any
	if err := yaml.Unmarshal([]byte(out), &y); err != nil || y["flavour"] != "manifest" {
		t.Errorf("yaml %v: %s", err, out)
	}
}

func TestPreflightUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"preflight", "--api-server", "10.0.0.1"},
		{"preflight", "--api-server", ":6443"},
		{"preflight", "--api-server", "h:0"},
		{"preflight", "-o", "xml"},
		{"preflight", "--exec-transport", "carrier-pigeon"},
		{"preflight", "--parallel", "0"},
	} {
		_, errOut, code := runRoot(t, args...)
		if code != 1 || !strings.Contains(errOut, "See 'kubectl calico-ebpf --help'") {
			t.Errorf("%v: exit %d, stderr %q", args, code, errOut)
		}
	}
}

func TestPreflightPrintEscapes(t *testing.T) {
	var b bytes.Buffer
	r := preflight.Report{Flavour: "operator", Cluster: []preflight.Result{{Check: "x", Status: preflight.Warn, Reason: "r", Seen: "a\x1b[31mb\nc", Action: "d"}}}
	if err := writePreflight(&b, r); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "\x1b") || !strings.Contains(b.String(), `b\nc`) {
		t.Errorf("not escaped: %q", b.String())
	}
}
