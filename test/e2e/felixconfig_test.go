//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/calico"
	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/felixconfig"
)

// fcKey is FelixConfiguration default in a snapshot.
const fcKey = "felixconfigurations.crd.projectcalico.org /default"

// plugin runs `kubectl calico-ebpf args…` and fails the test unless it exits with code.
func plugin(t *testing.T, code int, args ...string) result {
	t.Helper()
	r := kubectl(t, append([]string{"calico-ebpf"}, args...)...)
	if r.code != code {
		t.Fatalf("calico-ebpf %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.code, code, r.stdout, r.stderr)
	}
	return r
}

func mustContain(t *testing.T, what, text string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(text, w) {
			t.Errorf("%s does not contain %q:\n%s", what, w, text)
		}
	}
}

func fcResourceVersion(t *testing.T) string {
	t.Helper()
	u, err := cluster.Dynamic.Resource(calico.FelixConfigurationV1GVR).Get(context.Background(), calico.DefaultName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return u.GetResourceVersion()
}

// TestDSREnableDisable: status, dry runs that write nothing, enable changing exactly
// bpfExternalServiceMode, a second enable that writes nothing, disable.
func TestDSREnableDisable(t *testing.T) {
	before := takeSnapshot(t)
	var st struct{ Mode, Source, Object string }
	if err := json.Unmarshal([]byte(plugin(t, 0, "dsr", "status", "-o", "json").stdout), &st); err != nil {
		t.Fatal(err)
	}
	if st.Mode != "Tunnel" || st.Source != "default" || st.Object != "felixconfigurations.crd.projectcalico.org/default" {
		t.Errorf("dsr status before: %+v", st)
	}
	for _, dry := range []string{"--dry-run", "--dry-run=client", "--dry-run=server"} {
		r := plugin(t, 0, "dsr", "enable", dry)
		mustContain(t, "dsr enable "+dry, r.stdout, "bpfExternalServiceMode: (unset, default Tunnel) → DSR", "nothing was")
		expectOnly(t, "dsr enable "+dry, before)
	}
	r := plugin(t, 0, "dsr", "enable", "--timeout", "1m")
	mustContain(t, "dsr enable", r.stdout, "bpfExternalServiceMode: (unset, default Tunnel) → DSR", "felixconfigurations.crd.projectcalico.org/default patched")
	mustContain(t, "dsr enable stderr", r.stderr, "OnDelete", "4 of 4 calico-node pods Ready")
	expectOnly(t, "dsr enable", before, fcKey+" .spec.bpfExternalServiceMode: (absent) → \"DSR\"")
	rv := fcResourceVersion(t)
	r = plugin(t, 0, "dsr", "enable")
	mustContain(t, "second dsr enable", r.stdout, "nothing to change")
	if got := fcResourceVersion(t); got != rv {
		t.Errorf("a dsr enable with nothing to change wrote: resourceVersion %s → %s", rv, got)
	}
	if err := json.Unmarshal([]byte(plugin(t, 0, "dsr", "status", "-o", "json").stdout), &st); err != nil {
		t.Fatal(err)
	}
	if st.Mode != "DSR" || st.Source != "set" {
		t.Errorf("dsr status after enable: %+v", st)
	}
	mustContain(t, "dsr status", plugin(t, 0, "dsr", "status").stdout, "External service mode: DSR (set in FelixConfiguration default)")
	r = plugin(t, 0, "dsr", "disable", "--wait=false")
	mustContain(t, "dsr disable", r.stdout, "bpfExternalServiceMode: DSR → Tunnel")
	expectOnly(t, "dsr disable", before, fcKey+" .spec.bpfExternalServiceMode: (absent) → \"Tunnel\"")
	plugin(t, 0, "config", "set", "bpfExternalServiceMode-", "--wait=false")
	expectOnly(t, "config set bpfExternalServiceMode-", before)
}

// TestConfigSetChangesOnlyItsFields: several fields in one write, refusals that write nothing,
// --force past the version check, and removing them again.
func TestConfigSetChangesOnlyItsFields(t *testing.T) {
	before := takeSnapshot(t)
	r := plugin(t, 0, "config", "set", "bpfKubeProxyMinSyncPeriod=2s", "FELIX_BPFEXTTOSERVICECONNMARK=0x80", "bpfPSNATPorts=30000:30999", "--wait=false")
	mustContain(t, "config set", r.stdout,
		"bpfExtToServiceConnmark: (unset, default 0) → 128",
		"bpfKubeProxyMinSyncPeriod: (unset, default 1s) → 2s",
		"bpfPSNATPorts: (unset, default 20000:29999) → 30000:30999")
	expectOnly(t, "config set", before,
		fcKey+" .spec.bpfExtToServiceConnmark: (absent) → 128",
		fcKey+" .spec.bpfKubeProxyMinSyncPeriod: (absent) → \"2s\"",
		fcKey+" .spec.bpfPSNATPorts: (absent) → \"30000:30999\"")
	mid := takeSnapshot(t)

	refusals := []struct {
		args []string
		code int
		says []string
	}{
		{[]string{"bpfAttachType=TC"}, 1, []string{"bpfAttachType needs Calico v3.31 or newer", "node-1 runs v3.22.5", "node-2 runs v3.29.7", "--force"}},
		{[]string{"bpfEnabled=true"}, 1, []string{"bpfEnabled is written by the Tigera operator", "enable"}},
		{[]string{"bpfExternalServiceMod=DSR"}, 1, []string{"did you mean bpfExternalServiceMode", "--help"}},
		{[]string{"bpfLogLevel=Verbose"}, 1, []string{`"Verbose" is not one of Off, Info, Debug`}},
		{[]string{"bpfMapSizeConntrack=1024000", "--dry-run=sideways"}, 1, []string{"invalid --dry-run value"}},
		{[]string{"bpfKubeProxyMinSyncPeriod=5s", "bpfExtToServiceConnmark=7", "--dry-run"}, 0, []string{"2s → 5s", "128 → 7", "dry run (server)"}},
		{[]string{"bpfKubeProxyMinSyncPeriod=2000ms"}, 0, []string{"nothing to change"}},
	}
	for _, c := range refusals {
		r := plugin(t, c.code, append([]string{"config", "set"}, c.args...)...)
		mustContain(t, "config set "+strings.Join(c.args, " "), r.stdout+r.stderr, c.says...)
		expectOnly(t, "config set "+strings.Join(c.args, " "), mid)
	}

	r = plugin(t, 0, "config", "set", "bpfAttachType=tc", "--force", "--wait=false")
	mustContain(t, "config set --force", r.stderr, "warning: --force: bpfAttachType needs Calico v3.31")
	expectOnly(t, "config set --force", mid, fcKey+" .spec.bpfAttachType: (absent) → \"TC\"")

	var doc struct {
		Object string
		Fields []felixconfig.Row
	}
	if err := json.Unmarshal([]byte(plugin(t, 0, "config", "get", "bpfAttachType", "bpfPSNATPorts", "bpfLogLevel", "-o", "json").stdout), &doc); err != nil {
		t.Fatal(err)
	}
	want := []struct{ field, value, source string }{{"bpfAttachType", "TC", "set"}, {"bpfPSNATPorts", "30000:30999", "set"}, {"bpfLogLevel", "Off", "default"}}
	for i, w := range want {
		if i >= len(doc.Fields) || doc.Fields[i].Field != w.field || doc.Fields[i].Value != w.value || doc.Fields[i].Source != w.source {
			t.Errorf("config get row %d = %+v, want %+v", i, doc.Fields, w)
		}
	}
	if f := doc.Fields[0]; len(f.Notes) == 0 || !strings.Contains(f.Notes[0], "ignored by node-1, node-2") {
		t.Errorf("bpfAttachType notes %v: want the nodes that ignore it", f.Notes)
	}
	table := plugin(t, 0, "config", "get").stdout
	if !regexp.MustCompile(`(?m)^FIELD +VALUE +DEFAULT +SOURCE\n(.*\n)*bpfExternalServiceMode +Tunnel +Tunnel +default\n`).MatchString(table) {
		t.Errorf("config get table:\n%s", table)
	}

	plugin(t, 0, "config", "set", "bpfKubeProxyMinSyncPeriod-", "bpfExtToServiceConnmark-", "bpfPSNATPorts-", "bpfAttachType-", "--wait=false")
	expectOnly(t, "config set NAME-", before)
}

// startPlugin starts `kubectl calico-ebpf args…` in the background. kubectl execs the plugin
// in its own process, so signalling it signals the plugin.
func startPlugin(t *testing.T, args ...string) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	cmd := exec.Command("kubectl", append([]string{"calico-ebpf"}, args...)...)
	cmd.Env = baseEnv()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, &out
}

// waitDebug waits until FelixConfiguration default has bpfLogLevel level.
func waitDebug(t *testing.T, level string, out *bytes.Buffer) {
	t.Helper()
	err := wait.PollUntilContextTimeout(context.Background(), 100*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		u, err := cluster.Dynamic.Resource(calico.FelixConfigurationV1GVR).Get(ctx, calico.DefaultName, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		got, _, _ := unstructuredString(u.Object, "spec", "bpfLogLevel")
		return got == level, nil
	})
	if err != nil {
		t.Fatalf("bpfLogLevel never became %q: %v\n%s", level, err, out)
	}
}

func unstructuredString(obj map[string]any, path ...string) (string, bool, error) {
	cur := any(obj)
	for _, p := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return "", false, nil
		}
		cur = m[p]
	}
	s, ok := cur.(string)
	return s, ok, nil
}

// debugAnnotations is what `debug on --for` changes.
var debugAnnotations = []string{
	fcKey + " .metadata.annotations." + felixconfig.AnnotationDebugRestore + `: (absent) → "{\"bpfLogLevel\":\"\"}"`,
	fcKey + " .metadata.annotations." + felixconfig.AnnotationDebugUntil + `: (absent) → "20`,
	fcKey + ` .spec.bpfLogLevel: "" → "Debug"`,
}

// TestDebugForSwitchesBack: debug on --for changes exactly bpfLogLevel and the two annotations
// while it runs, and leaves the object as it was when the time is up.
func TestDebugForSwitchesBack(t *testing.T) {
	before := takeSnapshot(t)
	r := plugin(t, 0, "debug", "on", "--for", "3s", "--dry-run")
	mustContain(t, "debug on --dry-run", r.stdout, `bpfLogLevel: "" (default Off) → Debug`, "then after 3s: debug off")
	expectOnly(t, "debug on --dry-run", before)

	// Long enough for a snapshot of the whole cluster on a busy machine.
	cmd, out := startPlugin(t, "debug", "on", "--for", "20s", "--wait=false")
	waitDebug(t, "Debug", out)
	expectOnly(t, "during debug on --for", before, debugAnnotations...)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("debug on --for: %v\n%s", err, out)
	}
	mustContain(t, "debug on --for", out.String(), "debug on until", "20s is up: switching debug off", "bpfLogLevel: Debug → \"\" (default Off)")
	expectOnly(t, "after debug on --for", before)

	// Ctrl-C switches back early.
	cmd, out = startPlugin(t, "debug", "on", "--for", "10m")
	waitDebug(t, "Debug", out)
	time.Sleep(FelixSettleForTests)
	start := time.Now()
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("debug on --for after Ctrl-C: %v\n%s", err, out)
	}
	if took := time.Since(start); took > time.Minute {
		t.Errorf("Ctrl-C took %s to switch back", took)
	}
	mustContain(t, "debug on --for, Ctrl-C", out.String(), "interrupted: switching debug off now")
	expectOnly(t, "after Ctrl-C", before)
}

// FelixSettleForTests is long enough for `debug on` to be past its write and waiting.
const FelixSettleForTests = 4 * time.Second

// TestDebugKilledLeavesExpiry: a killed `debug on --for` leaves the expiry annotation, which
// debug status reports once it has passed, and debug off restores the object.
func TestDebugKilledLeavesExpiry(t *testing.T) {
	before := takeSnapshot(t)
	cmd, out := startPlugin(t, "debug", "on", "--for", "5s", "--wait=false")
	waitDebug(t, "Debug", out)
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	var st felixconfig.DebugState
	if err := json.Unmarshal([]byte(plugin(t, 0, "debug", "status", "-o", "json").stdout), &st); err != nil {
		t.Fatal(err)
	}
	if !st.On || !st.Recorded || st.Until == nil || st.Expired {
		t.Errorf("status right after the kill: %+v", st)
	}
	time.Sleep(time.Until(*st.Until) + time.Second)
	if err := json.Unmarshal([]byte(plugin(t, 0, "debug", "status", "-o", "json").stdout), &st); err != nil {
		t.Fatal(err)
	}
	if !st.On || !st.Expired {
		t.Errorf("status after the expiry: %+v", st)
	}
	mustContain(t, "debug status", plugin(t, 0, "debug", "status").stdout, "EXPIRED at", "debug off")
	expectOnly(t, "killed debug on --for", before, debugAnnotations...)
	r := plugin(t, 0, "debug", "off", "--wait=false")
	mustContain(t, "debug off", r.stderr, "which did not do it (killed?)")
	expectOnly(t, "debug off", before)
	mustContain(t, "second debug off", plugin(t, 0, "debug", "off").stdout, "nothing to change")
}

// TestDebugIfaces: bpfLogFilters is refused while a node runs Calico older than v3.27, and
// with --force set and then restored exactly.
func TestDebugIfaces(t *testing.T) {
	before := takeSnapshot(t)
	r := plugin(t, 1, "debug", "on", "--iface", "eth0", "--filter", "host 10.0.0.1")
	mustContain(t, "debug on --iface", r.stderr, "bpfLogFilters needs Calico v3.27 or newer", "node-1 runs v3.22.5")
	expectOnly(t, "refused debug on --iface", before)
	plugin(t, 0, "debug", "on", "--iface", "eth0", "--iface", "weps", "--filter", "host 10.0.0.1", "--force", "--wait=false")
	expectOnly(t, "debug on --iface --force", before,
		debugAnnotations[0],
		fcKey+" .spec.bpfLogFilters: (absent) → {\"eth0\":\"host 10.0.0.1\",\"weps\":\"host 10.0.0.1\"}",
		fcKey+" .spec.bpfLogLevel: \"\" → \"Debug\"")
	mustContain(t, "debug status", plugin(t, 0, "debug", "status").stdout, "eth0=host 10.0.0.1, weps=host 10.0.0.1", "switched on by kubectl calico-ebpf")
	plugin(t, 0, "debug", "off", "--wait=false")
	expectOnly(t, "debug off", before)
}

// TestConfigThroughV3Group serves projectcalico.org/v3 FelixConfigurations next to the v1 CRDs
// (as the Calico API server does) and checks that writes go there, creating default.
func TestConfigThroughV3Group(t *testing.T) {
	ctx := context.Background()
	if out, err := cluster.Kubectl(ctx, []byte(v3FelixCRD), "create", "-f", "-"); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	defer func() {
		if out, err := cluster.Kubectl(ctx, nil, "delete", "crd", "felixconfigurations.projectcalico.org", "--wait"); err != nil {
			t.Errorf("%v\n%s", err, out)
		}
		_ = wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, time.Minute, true, func(context.Context) (bool, error) {
			_, err := cluster.Kube.Discovery().ServerResourcesForGroupVersion("projectcalico.org/v3")
			return err != nil, nil
		})
	}()
	if err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, time.Minute, true, func(context.Context) (bool, error) {
		_, err := cluster.Kube.Discovery().ServerResourcesForGroupVersion("projectcalico.org/v3")
		return err == nil, nil
	}); err != nil {
		t.Fatalf("projectcalico.org/v3 never served: %v", err)
	}
	before := takeSnapshot(t)
	r := plugin(t, 0, "dsr", "enable", "--dry-run")
	mustContain(t, "dsr enable --dry-run (v3)", r.stdout, "felixconfigurations.projectcalico.org/default does not exist", "it will be created", "dry run (server)")
	expectOnly(t, "dsr enable --dry-run (v3)", before)
	r = plugin(t, 0, "dsr", "enable", "--wait=false")
	mustContain(t, "dsr enable (v3)", r.stdout, "felixconfigurations.projectcalico.org/default created")
	expectOnly(t, "dsr enable (v3)", before, "felixconfigurations.projectcalico.org /default: created")
	var st struct{ Mode, Source, Object string }
	if err := json.Unmarshal([]byte(plugin(t, 0, "dsr", "status", "-o", "json").stdout), &st); err != nil {
		t.Fatal(err)
	}
	if st.Mode != "DSR" || st.Object != "felixconfigurations.projectcalico.org/default" {
		t.Errorf("dsr status (v3): %+v", st)
	}
	// CALICO_API_GROUP overrides the detection, as for libcalico-go.
	r = runCmd(t, []string{"CALICO_API_GROUP=crd.projectcalico.org/v1"}, "kubectl", "calico-ebpf", "dsr", "status", "-o", "json")
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil || st.Mode != "Tunnel" || !strings.HasPrefix(st.Object, "felixconfigurations.crd.") {
		t.Errorf("dsr status with CALICO_API_GROUP: %+v (%v)\n%s", st, err, r.stderr)
	}
}

// v3FelixCRD serves FelixConfiguration in projectcalico.org/v3, as native v3 CRDs do (and, for
// discovery, as the Calico API server does).
const v3FelixCRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: felixconfigurations.projectcalico.org
spec:
  group: projectcalico.org
  names: {kind: FelixConfiguration, listKind: FelixConfigurationList, plural: felixconfigurations, singular: felixconfiguration}
  scope: Cluster
  versions:
  - name: v3
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec: {type: object, x-kubernetes-preserve-unknown-fields: true}
`
