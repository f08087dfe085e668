package cmd

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
	appsv1 "k8s.io/api/apps/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	fakediscovery "k8s.io/client-go/discovery/fake"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/calico"
	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/felixconfig"
	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/kube"
)

// felixWorld is a fake cluster: a manifest install (kube-system) whose calico-node pods run
// versions, FelixConfiguration default with spec (nil: no such object), served through gvr.
type felixWorld struct {
	clients *kube.Clients
	dyn     *dynamicfake.FakeDynamicClient
	gvr     schema.GroupVersionResource
	allow   bool
}

func newFelixWorld(t *testing.T, gvr schema.GroupVersionResource, spec map[string]any, versions ...string) *felixWorld {
	t.Helper()
	w := &felixWorld{gvr: gvr, allow: true}
	var objs []runtime.Object
	ds := &appsv1.DaemonSet{ObjectMeta: metav1.ObjectMeta{Name: calico.NodeDaemonSet, Namespace: calico.ManifestNamespace},
		Spec: appsv1.DaemonSetSpec{UpdateStrategy: appsv1.DaemonSetUpdateStrategy{Type: appsv1.OnDeleteDaemonSetStrategyType},
			Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: calico.NodeContainer, Image: "calico/node:" + versions[0]}}}}}}
	objs = append(objs, ds)
	for i, v := range versions {
		node := "n" + string(rune('1'+i))
		objs = append(objs, &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: "calico-node-" + node, Namespace: calico.ManifestNamespace, Labels: map[string]string{calico.NodeLabelKey: calico.NodeLabelValue}},
			Spec:       corev1.PodSpec{NodeName: node, Containers: []corev1.Container{{Name: calico.NodeContainer, Image: "calico/node:" + v}}},
			Status:     corev1.PodStatus{Phase: corev1.PodRunning, Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}},
		})
	}
	kc := fake.NewClientset(objs...)
	kc.PrependReactor("create", "selfsubjectaccessreviews", func(a k8stesting.Action) (bool, runtime.Object, error) {
		r := a.(k8stesting.CreateAction).GetObject().(*authorizationv1.SelfSubjectAccessReview)
		r.Status.Allowed = w.allow
		return true, r, nil
	})
	disc := kc.Discovery().(*fakediscovery.FakeDiscovery)
	disc.Resources = []*metav1.APIResourceList{{GroupVersion: gvr.GroupVersion().String(),
		APIResources: []metav1.APIResource{{Name: gvr.Resource, Kind: "FelixConfiguration"}}}}
	var dynObjs []runtime.Object
	if spec != nil {
		u := &unstructured.Unstructured{Object: map[string]any{"apiVersion": gvr.GroupVersion().String(), "kind": "FelixConfiguration",
			"metadata": map[string]any{"name": "default"}, "spec": spec}}
		dynObjs = append(dynObjs, u)
	}
	w.dyn = dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(),
		map[schema.GroupVersionResource]string{gvr: "FelixConfigurationList", calico.InstallationGVR: "InstallationList"}, dynObjs...)
	w.clients = &kube.Clients{Kube: kc, Dynamic: w.dyn}
	return w
}

func (w *felixWorld) spec(t *testing.T) map[string]any {
	t.Helper()
	u, err := w.dyn.Resource(w.gvr).Get(context.Background(), "default", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	spec, _, _ := unstructured.NestedMap(u.Object, "spec")
	return spec
}

func (w *felixWorld) writes() []string {
	var out []string
	for _, a := range w.dyn.Actions() {
		if a.GetVerb() == "patch" || a.GetVerb() == "create" {
			out = append(out, a.GetVerb())
		}
	}
	return out
}

func (w *felixWorld) run(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	streams, _, out, errOut := genericiooptions.NewTestIOStreams()
	fo := &felixOptions{IOStreams: streams, clients: w.clients}
	var c *cobra.Command
	switch args[0] {
	case "config-set":
		c = newCmdConfigSet(fo)
	case "config-get":
		c = newCmdConfigGet(fo)
	case "debug-on":
		c = newCmdDebugOn(fo)
	case "debug-off":
		c = newCmdDebugOff(fo)
	case "debug-status":
		c = newCmdDebugStatus(fo)
	default:
		t.Fatalf("no command %s", args[0])
	}
	c.SilenceUsage, c.SilenceErrors = true, true
	c.SetArgs(args[1:])
	err := c.ExecuteContext(context.Background())
	return out.String(), errOut.String(), err
}

func TestConfigSetWritesOnePatch(t *testing.T) {
	w := newFelixWorld(t, calico.FelixConfigurationV1GVR, map[string]any{"bpfLogLevel": "", "logSeverityScreen": "Info"}, "v3.29.7", "v3.32.1")
	out, errOut, err := w.run(t, "config-set", "bpfExternalServiceMode=dsr", "bpfMapSizeConntrack=1024000", "--wait=false")
	if err != nil {
		t.Fatalf("%v\n%s", err, errOut)
	}
	want := "felixconfigurations.crd.projectcalico.org/default:\n" +
		"  bpfExternalServiceMode: (unset, default Tunnel) → DSR\n" +
		"  bpfMapSizeConntrack: (unset, default 512000) → 1024000\n" +
		"felixconfigurations.crd.projectcalico.org/default patched\n"
	if out != want {
		t.Errorf("stdout\n%s\nwant\n%s", out, want)
	}
	spec := w.spec(t)
	if spec["bpfExternalServiceMode"] != "DSR" || spec["bpfMapSizeConntrack"] != int64(1024000) || spec["logSeverityScreen"] != "Info" || len(spec) != 4 {
		t.Errorf("spec after: %v", spec)
	}
	if got := w.writes(); len(got) != 1 {
		t.Errorf("writes %v, want one patch", got)
	}
	// Again: nothing to change, nothing written.
	out, _, err = w.run(t, "config-set", "bpfExternalServiceMode=DSR", "--wait=false")
	if err != nil || !strings.Contains(out, "nothing to change") || len(w.writes()) != 1 {
		t.Errorf("second set: %v %q, writes %v", err, out, w.writes())
	}
	// A field node n1's v3.29.7 does not read.
	_, _, err = w.run(t, "config-set", "bpfAttachType=TC", "--wait=false")
	if err == nil || !strings.Contains(err.Error(), "n1 runs v3.29.7") || len(w.writes()) != 1 {
		t.Errorf("bpfAttachType on v3.29.7: %v, writes %v", err, w.writes())
	}
	// bpfEnabled on a manifest install needs --force.
	_, _, err = w.run(t, "config-set", "bpfEnabled=true")
	if err == nil || !strings.Contains(err.Error(), "--force") {
		t.Errorf("bpfEnabled: %v", err)
	}
}

func TestConfigSetClientDryRunAndDenied(t *testing.T) {
	w := newFelixWorld(t, calico.FelixConfigurationV3GVR, map[string]any{}, "v3.32.1")
	out, _, err := w.run(t, "config-set", "bpfExternalServiceMode=DSR", "--dry-run=client")
	if err != nil || !strings.Contains(out, "felixconfigurations.projectcalico.org/default:") || !strings.Contains(out, "dry run (client)") {
		t.Errorf("client dry run: %v\n%s", err, out)
	}
	w.allow = false
	_, _, err = w.run(t, "config-set", "bpfExternalServiceMode=DSR")
	if err == nil || !strings.Contains(err.Error(), `patch felixconfigurations.projectcalico.org "default"`) {
		t.Errorf("denied: %v", err)
	}
	if got := w.writes(); len(got) != 0 {
		t.Errorf("writes %v, want none", got)
	}
}

func TestConfigSetCreatesMissingDefault(t *testing.T) {
	w := newFelixWorld(t, calico.FelixConfigurationV1GVR, nil, "v3.32.1")
	out, _, err := w.run(t, "config-set", "bpfExternalServiceMode=DSR", "--wait=false")
	if err != nil || !strings.Contains(out, "does not exist") || !strings.Contains(out, "default created") {
		t.Fatalf("%v\n%s", err, out)
	}
	if spec := w.spec(t); spec["bpfExternalServiceMode"] != "DSR" {
		t.Errorf("spec %v", spec)
	}
}

func TestDebugOnOffRestoresExactly(t *testing.T) {
	w := newFelixWorld(t, calico.FelixConfigurationV1GVR, map[string]any{"bpfLogLevel": "Info", "bpfLogFilters": map[string]any{"all": "tcp"}}, "v3.32.1")
	if _, errOut, err := w.run(t, "debug-on", "--iface", "eth0", "--for", "0s", "--wait=false"); err != nil {
		t.Fatalf("%v\n%s", err, errOut)
	}
	spec := w.spec(t)
	if spec["bpfLogLevel"] != "Debug" || canonicalJSON(spec["bpfLogFilters"]) != `{"eth0":""}` {
		t.Errorf("after on: %v", spec)
	}
	out, _, err := w.run(t, "debug-status")
	if err != nil || !strings.Contains(out, "bpfLogLevel Info, bpfLogFilters all=tcp") {
		t.Errorf("status: %v\n%s", err, out)
	}
	if _, errOut, err := w.run(t, "debug-off", "--wait=false"); err != nil {
		t.Fatalf("%v\n%s", err, errOut)
	}
	spec = w.spec(t)
	if spec["bpfLogLevel"] != "Info" || canonicalJSON(spec["bpfLogFilters"]) != `{"all":"tcp"}` {
		t.Errorf("after off: %v", spec)
	}
	u, _ := w.dyn.Resource(w.gvr).Get(context.Background(), "default", metav1.GetOptions{})
	if len(u.GetAnnotations()) != 0 {
		t.Errorf("annotations left: %v", u.GetAnnotations())
	}
}

func TestSwitchDebugForTrace(t *testing.T) {
	w := newFelixWorld(t, calico.FelixConfigurationV1GVR, map[string]any{"bpfLogLevel": ""}, "v3.32.1")
	restore, err := switchDebug(context.Background(), w.clients, []string{"eth0"})
	if err != nil {
		t.Fatal(err)
	}
	if spec := w.spec(t); spec["bpfLogLevel"] != "Debug" {
		t.Errorf("after switch: %v", spec)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := restore(ctx); err != nil {
		t.Fatal(err)
	}
	if spec := w.spec(t); spec["bpfLogLevel"] != "" || spec["bpfLogFilters"] != nil {
		t.Errorf("after restore: %v", spec)
	}
	// Already on: nothing written, restore does nothing.
	w = newFelixWorld(t, calico.FelixConfigurationV1GVR, map[string]any{"bpfLogLevel": "debug"}, "v3.32.1")
	restore, err = switchDebug(context.Background(), w.clients, nil)
	if err != nil || restore(ctx) != nil || len(w.writes()) != 0 {
		t.Errorf("already on: %v, writes %v", err, w.writes())
	}
}

func canonicalJSON(v any) string {
	var b strings.Builder
	b.WriteString(felixconfig.Display(v))
	m, ok := v.(map[string]any)
	if !ok {
		return b.String()
	}
	parts := []string{}
	for _, k := range sortedKeysOf(toStrings(m)) {
		parts = append(parts, `"`+k+`":"`+toStrings(m)[k]+`"`)
	}
	return "{" + strings.Join(parts, ",") + "}"
}

func toStrings(m map[string]any) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		out[k], _ = v.(string)
	}
	return out
}
