//go:build e2e

package e2e

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"reflect"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/calico"
	"github.com/calico-ebpf/kubectl-calico-ebpf/test/testbed"
)

// The enable/disable tests each start their own small cluster: three nodes on one Calico
// version, calico-node rolling (RollingUpdate), iptables, kube-proxy running. They run one
// after the other: kwokctl starting several clusters at once on a busy 2-core machine times out.

const settleFlag = "--settle=2s"

// startCluster starts a fresh cluster and its controller; it is torn down with the test.
func startCluster(t *testing.T, name string, flavour calico.Flavour, operatorVersion string) *testbed.Cluster {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	c, err := testbed.New(testbed.Config{
		Name: fmt.Sprintf("calico-ebpf-%s-%d", name, os.Getpid()), Nodes: 3, Versions: []string{"v3.32.1"},
		Flavour: flavour, OperatorVersion: operatorVersion, WorkloadNodes: 1,
	})
	if err == nil {
		err = c.Prepare(ctx)
	}
	if err != nil {
		t.Fatal(err)
	}
	_ = c.Down(ctx)
	controllerCtx, stop := context.WithCancel(context.Background())
	t.Cleanup(func() {
		stop()
		downCtx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if err := c.Down(downCtx); err != nil {
			t.Logf("tear down %s: %v", c.Name, err)
		}
	})
	start := runController(controllerCtx)
	began := time.Now()
	if err := c.Up(ctx, start); err != nil {
		t.Fatalf("start cluster %s: %v", c.Name, err)
	}
	t.Logf("cluster %s up in %s", c.Name, time.Since(began).Round(time.Second))
	return c
}

// runPlugin runs `kubectl calico-ebpf ARGS` against the cluster.
func runPlugin(t *testing.T, c *testbed.Cluster, args ...string) result {
	t.Helper()
	start := time.Now()
	r := runCmd(t, []string{"KUBECONFIG=" + c.Kubeconfig}, "kubectl", append([]string{"calico-ebpf"}, args...)...)
	t.Logf("kubectl calico-ebpf %s: exit %d in %s\n%s%s", strings.Join(args, " "), r.code, time.Since(start).Round(100*time.Millisecond), r.stdout, r.stderr)
	return r
}

func mustPass(t *testing.T, r result, what string) {
	t.Helper()
	if r.code != 0 {
		t.Fatalf("%s: exit %d\nstdout:\n%s\nstderr:\n%s", what, r.code, r.stdout, r.stderr)
	}
}

// haltedRun runs the command with the test hook that stops it after its first step, waits
// for it to stop there and kills it (SIGKILL). It reports whether the run had nothing to
// change (then it completed, or was stopped after its only step, verify).
func haltedRun(t *testing.T, c *testbed.Cluster, args ...string) (nothingToDo bool, out string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "kubectl", append([]string{"calico-ebpf"}, args...)...)
	cmd.Env = append(baseEnv(), "KUBECONFIG="+c.Kubeconfig, "KUBECTL_CALICO_EBPF_TEST_HALT_AFTER_STEP=1")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var lines []string
	sc := bufio.NewScanner(stderr)
	halted := false
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if strings.Contains(sc.Text(), "nothing to do") {
			nothingToDo = true
		}
		if strings.Contains(sc.Text(), "halted after step 1") {
			halted = true
			_ = cmd.Process.Kill()
			break
		}
	}
	err = cmd.Wait()
	out = strings.Join(lines, "\n")
	if !halted && err != nil && !nothingToDo {
		t.Fatalf("%v: %v\n%s", args, err, out)
	}
	return nothingToDo, out
}

// touchedObjects are what enable may touch, read for comparison: the volatile metadata and status
// left out, and what the DaemonSet controller bumps on every template change.
type touchedObjects map[string]map[string]any

var (
	cmGVRe2e  = schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}
	dsGVRe2e  = schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "daemonsets"}
	depGVRe2e = schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}
)

func snapshotTouched(t *testing.T, c *testbed.Cluster) touchedObjects {
	t.Helper()
	ctx := context.Background()
	cmNS := calico.TigeraOperatorNamespace
	if c.Flavour == calico.FlavourManifest {
		cmNS = calico.ManifestNamespace
	}
	want := map[string]struct {
		gvr      schema.GroupVersionResource
		ns, name string
	}{
		"installation": {calico.InstallationGVR, "", "default"},
		"felix":        {calico.FelixConfigurationV1GVR, "", "default"},
		"configmap":    {cmGVRe2e, cmNS, "kubernetes-services-endpoint"},
		"kube-proxy":   {dsGVRe2e, "kube-system", "kube-proxy"},
		"operator":     {depGVRe2e, calico.TigeraOperatorNamespace, calico.OperatorDeployment},
		"calico-node":  {dsGVRe2e, calico.NamespaceFor(c.Flavour), calico.NodeDaemonSet},
	}
	out := touchedObjects{}
	for key, w := range want {
		var err error
		var obj map[string]any
		if w.ns != "" {
			u, e := c.Dynamic.Resource(w.gvr).Namespace(w.ns).Get(ctx, w.name, metav1.GetOptions{})
			if e == nil {
				obj = u.Object
			}
			err = e
		} else {
			u, e := c.Dynamic.Resource(w.gvr).Get(ctx, w.name, metav1.GetOptions{})
			if e == nil {
				obj = u.Object
			}
			err = e
		}
		if apierrors.IsNotFound(err) {
			out[key] = nil
			continue
		}
		if err != nil {
			t.Fatalf("snapshot %s: %v", key, err)
		}
		delete(obj, "status")
		md := obj["metadata"].(map[string]any)
		for _, k := range []string{"resourceVersion", "managedFields", "generation", "creationTimestamp", "uid"} {
			delete(md, k)
		}
		if ann, ok := md["annotations"].(map[string]any); ok {
			delete(ann, "deprecated.daemonset.template.generation")
			delete(ann, "deployment.kubernetes.io/revision")
			if len(ann) == 0 {
				delete(md, "annotations")
			}
		}
		out[key] = obj
	}
	return out
}

// diff compares two snapshots field by field and names the touchedObjects that differ.
func diffTouched(t *testing.T, what string, got, want touchedObjects, skip ...string) {
	t.Helper()
	for key := range want {
		if containsString(skip, key) {
			continue
		}
		if !reflect.DeepEqual(got[key], want[key]) {
			g, _ := json.MarshalIndent(got[key], "", " ")
			w, _ := json.MarshalIndent(want[key], "", " ")
			t.Errorf("%s: %s differs:\ngot  %s\nwant %s", what, key, g, w)
		}
	}
}

func containsString(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// objectPrints fingerprints every object enable or disable could touch: its metadata and
// spec or data, without status and resourceVersion, which controllers (and kwok) change on
// their own while the test runs. A dry run must leave every print as it was.
func objectPrints(t *testing.T, c *testbed.Cluster) string {
	t.Helper()
	ctx := context.Background()
	var b strings.Builder
	for _, gvr := range []schema.GroupVersionResource{calico.InstallationGVR, calico.FelixConfigurationV1GVR} {
		u, err := c.Dynamic.Resource(gvr).Get(ctx, "default", metav1.GetOptions{})
		if err == nil {
			b.WriteString(gvr.Resource + "=" + objectPrint(t, u) + " ")
		}
	}
	for _, ns := range []string{"kube-system", "calico-system", "tigera-operator"} {
		for _, gvr := range []schema.GroupVersionResource{cmGVRe2e, dsGVRe2e, depGVRe2e} {
			l, err := c.Dynamic.Resource(gvr).Namespace(ns).List(ctx, metav1.ListOptions{})
			if err != nil {
				t.Fatal(err)
			}
			for i := range l.Items {
				b.WriteString(ns + "/" + l.Items[i].GetName() + "=" + objectPrint(t, &l.Items[i]) + " ")
			}
		}
	}
	pods, err := c.Kube.CoreV1().Pods("tigera-operator").List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pods.Items {
		b.WriteString(p.Name + " ")
	}
	return b.String()
}

func objectPrint(t *testing.T, u *unstructured.Unstructured) string {
	t.Helper()
	o := u.DeepCopy()
	unstructured.RemoveNestedField(o.Object, "status")
	unstructured.RemoveNestedField(o.Object, "metadata", "resourceVersion")
	unstructured.RemoveNestedField(o.Object, "metadata", "managedFields")
	b, err := json.Marshal(o.Object)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:6])
}

// dryRun checks that `ARGS --dry-run` prints a plan and changes nothing.
func checkDryRun(t *testing.T, c *testbed.Cluster, wantSteps []string, args ...string) {
	t.Helper()
	before := objectPrints(t, c)
	r := runPlugin(t, c, append(args, "--dry-run")...)
	mustPass(t, r, "dry run")
	for _, s := range wantSteps {
		if !strings.Contains(r.stdout, s) {
			t.Errorf("dry-run plan lacks %q:\n%s", s, r.stdout)
		}
	}
	if !strings.Contains(r.stderr, "the API server accepted every write; nothing was changed") {
		t.Errorf("dry run: %s", r.stderr)
	}
	if after := objectPrints(t, c); after != before {
		t.Errorf("dry run changed touchedObjects:\nbefore %s\nafter  %s", before, after)
	}
}

// enableKilledEachStep runs enable, killing it after the first step of each run, until it has
// nothing left to do: every step of the plan is interrupted after in turn and picked up by
// the next run.
func enableKilledEachStep(t *testing.T, c *testbed.Cluster, args ...string) {
	t.Helper()
	for run := 1; ; run++ {
		if run > 25 {
			t.Fatal("enable did not converge in 25 interrupted runs")
		}
		nothing, out := haltedRun(t, c, append([]string{"enable"}, args...)...)
		first := ""
		for _, l := range strings.Split(out, "\n") {
			if strings.Contains(l, "[1/") {
				first = l
				break
			}
		}
		t.Logf("run %d, killed after: %s", run, first)
		if nothing {
			return
		}
	}
}

func TestEnableOperatorConfigMap(t *testing.T) {
	c := startCluster(t, "enable-v138", calico.FlavourOperator, "v1.38.3")
	before := snapshotTouched(t, c)
	checkDryRun(t, c, []string{"create", "kubernetes-services-endpoint", "restart-pods", "linuxDataplane", "non-calico"}, "enable", settleFlag)

	// Interrupted after each step in turn, re-run each time: it converges.
	enableKilledEachStep(t, c, settleFlag)
	killed := snapshotTouched(t, c)
	r := runPlugin(t, c, "enable", settleFlag)
	mustPass(t, r, "enable after enable")
	if !strings.Contains(r.stderr, "nothing to do") || !strings.Contains(r.stdout, "eBPF requested by Installation linuxDataplane=BPF") {
		t.Errorf("enable after enable:\n%s\n%s", r.stdout, r.stderr)
	}
	checkEnabled(t, c, killed, "non-calico")
	if killed["configmap"] == nil {
		t.Fatal("no kubernetes-services-endpoint ConfigMap after enable")
	}

	checkDryRun(t, c, []string{"linuxDataplane", "nodeSelector (removed)", "delete"}, "disable", "--remove-endpoint-config")
	r = runPlugin(t, c, "disable", "--remove-endpoint-config")
	mustPass(t, r, "disable")
	if !strings.Contains(r.stderr, "interrupts connections") {
		t.Errorf("disable does not warn of disruption:\n%s", r.stderr)
	}
	after := snapshotTouched(t, c)
	// The operator owns calico-node and FelixConfiguration bpfEnabled (now false); the
	// Deployment keeps its template (the operator's pods were deleted, not it).
	diffTouched(t, "after disable", after, before, "calico-node", "felix")
	checkFelixBack(t, after, before)
	if r := runPlugin(t, c, "disable"); r.code != 0 || !strings.Contains(r.stderr, "nothing to do") {
		t.Errorf("disable after disable: exit %d\n%s", r.code, r.stderr)
	}

	// An uninterrupted run ends where the interrupted ones did.
	mustPass(t, runPlugin(t, c, "enable", settleFlag), "enable")
	diffTouched(t, "uninterrupted vs interrupted enable", snapshotTouched(t, c), killed, "calico-node")
}

func TestEnableOperatorBootstrap(t *testing.T) {
	c := startCluster(t, "enable-v140", calico.FlavourOperator, "v1.40.1")
	before := snapshotTouched(t, c)
	checkDryRun(t, c, []string{"bpfNetworkBootstrap", "kubeProxyManagement"}, "enable", settleFlag, "--dsr")
	r := runPlugin(t, c, "enable", settleFlag, "--dsr")
	mustPass(t, r, "enable")
	if strings.Contains(r.stdout, "kubernetes-services-endpoint") {
		t.Errorf("bootstrap operator got the ConfigMap too:\n%s", r.stdout)
	}
	on := snapshotTouched(t, c)
	if on["configmap"] != nil {
		t.Error("enable created the ConfigMap on an operator with bpfNetworkBootstrap")
	}
	checkEnabled(t, c, on, "operator.tigera.io/disable-kube-proxy")
	if mode, _ := on["felix"]["spec"].(map[string]any)["bpfExternalServiceMode"].(string); mode != "DSR" {
		t.Errorf("--dsr: bpfExternalServiceMode = %q", mode)
	}
	mustPass(t, runPlugin(t, c, "disable"), "disable")
	after := snapshotTouched(t, c)
	diffTouched(t, "after disable", after, before, "calico-node", "felix")
	checkFelixBack(t, after, before)
}

func TestEnableManifest(t *testing.T) {
	c := startCluster(t, "enable-manifest", calico.FlavourManifest, "")
	before := snapshotTouched(t, c)
	checkDryRun(t, c, []string{"rollout-restart", "bpfEnabled", "non-calico"}, "enable", settleFlag)
	enableKilledEachStep(t, c, settleFlag)
	killed := snapshotTouched(t, c)
	r := runPlugin(t, c, "enable", settleFlag)
	mustPass(t, r, "enable after enable")
	if !strings.Contains(r.stderr, "nothing to do") || !strings.Contains(r.stdout, "eBPF requested by FelixConfiguration") {
		t.Errorf("enable after enable:\n%s\n%s", r.stdout, r.stderr)
	}
	checkEnabled(t, c, killed, "non-calico")
	mustPass(t, runPlugin(t, c, "disable", "--remove-endpoint-config"), "disable")
	diffTouched(t, "after disable", snapshotTouched(t, c), before)
	mustPass(t, runPlugin(t, c, "enable", settleFlag), "enable")
	diffTouched(t, "uninterrupted vs interrupted enable", snapshotTouched(t, c), killed, "calico-node")
}

// checkEnabled: BPF on, kube-proxy off by the selector key, and no kube-proxy pod left.
func checkEnabled(t *testing.T, c *testbed.Cluster, s touchedObjects, selectorKey string) {
	t.Helper()
	sel, _ := s["kube-proxy"]["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)["nodeSelector"].(map[string]any)
	if sel[selectorKey] != "true" {
		t.Errorf("kube-proxy nodeSelector = %v, want %s=true", sel, selectorKey)
	}
	if on, _ := s["felix"]["spec"].(map[string]any)["bpfEnabled"].(bool); !on {
		t.Errorf("FelixConfiguration bpfEnabled not true: %v", s["felix"]["spec"])
	}
	pods, err := c.Kube.CoreV1().Pods("kube-system").List(context.Background(), metav1.ListOptions{LabelSelector: "k8s-app=kube-proxy"})
	if err != nil || len(pods.Items) != 0 {
		t.Errorf("kube-proxy pods left: %d (%v)", len(pods.Items), err)
	}
}

// checkFelixBack: FelixConfiguration as before, but for bpfEnabled: false and the operator's
// annotation, which the operator owns.
func checkFelixBack(t *testing.T, after, before touchedObjects) {
	t.Helper()
	spec := after["felix"]["spec"].(map[string]any)
	if spec["bpfEnabled"] != false {
		t.Errorf("bpfEnabled after disable = %v", spec["bpfEnabled"])
	}
	delete(spec, "bpfEnabled")
	if md := after["felix"]["metadata"].(map[string]any); md != nil {
		if ann, ok := md["annotations"].(map[string]any); ok {
			delete(ann, "operator.tigera.io/bpfEnabled")
			if len(ann) == 0 {
				delete(md, "annotations")
			}
		}
	}
	diffTouched(t, "FelixConfiguration after disable", touchedObjects{"felix": after["felix"]}, touchedObjects{"felix": before["felix"]})
}
