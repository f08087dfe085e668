package felixconfig

import (
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// update rewrites the golden files: go test ./pkg/felixconfig -update
var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test ./pkg/felixconfig -update creates it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs (go test ./pkg/felixconfig -update rewrites it):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

var mixed = []NodeVersion{{"node-0", "v3.22.5"}, {"node-1", "v3.29.7"}, {"node-2", "v3.32.1"}, {"node-3", "v3.33.0-0.dev"}}

func mustPlan(t *testing.T, args ...string) Plan {
	t.Helper()
	var as []Assignment
	for _, a := range args {
		x, err := ParseAssignment(a)
		if err != nil {
			t.Fatal(err)
		}
		as = append(as, x)
	}
	p, err := NewPlan(as)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPlanDiffAndPatch(t *testing.T) {
	obj := Object{Exists: true, ResourceVersion: "42", Spec: map[string]any{
		"bpfLogLevel": "", "bpfExternalServiceMode": "dsr", "bpfMapSizeConntrack": int64(512000),
		"bpfKubeProxyIptablesCleanupEnabled": true, "logSeverityScreen": "Info",
	}}
	p := mustPlan(t,
		"bpfExternalServiceMode=DSR",          // same, other case: no change
		"bpfMapSizeConntrack=1024000",         // changed
		"bpfKubeProxyIptablesCleanupEnabled-", // removed
		"bpfEnforceRPF=Strict",                // new, version-dependent default
		"bpfLogLevel=Info",                    // "" before
		"bpfDSROptoutCIDRs-",                  // not set: no change
	)
	changes := p.Changes(obj, mixed)
	checkGolden(t, "diff", FormatDiff(changes))
	patch, err := MergePatch(changes, obj.ResourceVersion)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"metadata":{"resourceVersion":"42"},"spec":{"bpfEnforceRPF":"Strict","bpfKubeProxyIptablesCleanupEnabled":null,"bpfLogLevel":"Info","bpfMapSizeConntrack":1024000}}`
	if string(patch) != want {
		t.Errorf("patch\n got %s\nwant %s", patch, want)
	}
	if got := mustPlan(t, "bpfExternalServiceMode=dsr").Changes(obj, nil); len(got) != 0 {
		t.Errorf("no-op plan has changes: %v", got)
	}
	if _, err := NewPlan([]Assignment{{Field: Fields[0], Value: true}, {Field: Fields[0], Value: false}}); err == nil {
		t.Error("the same field twice was accepted")
	}
}

func TestNewObject(t *testing.T) {
	changes := mustPlan(t, "bpfExternalServiceMode=DSR").Changes(Object{}, nil)
	b, _ := json.Marshal(NewObject("crd.projectcalico.org/v1", "default", changes))
	want := `{"apiVersion":"crd.projectcalico.org/v1","kind":"FelixConfiguration","metadata":{"name":"default"},"spec":{"bpfExternalServiceMode":"DSR"}}`
	if string(b) != want {
		t.Errorf("got %s\nwant %s", b, want)
	}
}

func TestCheckVersions(t *testing.T) {
	cases := []struct {
		arg    string
		nodes  []NodeVersion
		errHas string
	}{
		{arg: "bpfExternalServiceMode=DSR", nodes: mixed},
		{arg: "bpfAttachType=TCX", nodes: mixed, errHas: "bpfAttachType needs Calico v3.31 or newer, but node-0 runs v3.22.5, node-1 runs v3.29.7"},
		{arg: "bpfAttachType=Netkit", nodes: mixed[2:], errHas: "bpfAttachType=Netkit needs Calico v3.33 or newer, but node-2 runs v3.32.1"},
		{arg: "bpfAttachType=Netkit", nodes: mixed[3:]},
		{arg: "bpfKubeProxyHealthzPort=10256", nodes: []NodeVersion{{"a", "v3.30.4"}}, errHas: "needs Calico v3.30.5 or newer"},
		{arg: "bpfKubeProxyHealthzPort=10256", nodes: []NodeVersion{{"a", "v3.30.5"}, {"b", "latest"}}},
		{arg: "bpfKubeProxyEndpointSlicesEnabled=true", nodes: mixed[2:], errHas: "removed in Calico v3.32"},
		{arg: "bpfKubeProxyEndpointSlicesEnabled=true", nodes: mixed[1:]},
		{arg: "bpfAttachType-", nodes: mixed},
	}
	for _, tc := range cases {
		a, err := ParseAssignment(tc.arg)
		if err != nil {
			t.Fatal(err)
		}
		err = a.Field.CheckVersions(a.Value, tc.nodes)
		if tc.errHas == "" {
			if err != nil {
				t.Errorf("%s: %v", tc.arg, err)
			}
			continue
		}
		var ve *VersionError
		if !errors.As(err, &ve) || !strings.Contains(err.Error(), tc.errHas) {
			t.Errorf("%s: err = %v, want a VersionError containing %q", tc.arg, err, tc.errHas)
		}
	}
}

func TestDefaults(t *testing.T) {
	f, _ := Lookup("bpfEnforceRPF")
	nodes := append([]NodeVersion{{"old", "v3.24.1"}}, mixed...)
	if got := f.DefaultText(nodes); got != "Strict (v3.24.1), Loose (v3.29.7, v3.32.1, v3.33.0-0.dev)" {
		// v3.22.5 predates the field and is left out.
		t.Errorf("bpfEnforceRPF default = %q", got)
	}
	f, _ = Lookup("bpfHostConntrackBypass")
	if d, _ := f.DefaultFor("v3.29.7"); d != "true" {
		t.Errorf("bpfHostConntrackBypass on v3.29.7 = %q", d)
	}
	if d, _ := f.DefaultFor("v3.30.0"); d != "false" {
		t.Errorf("bpfHostConntrackBypass on v3.30.0 = %q", d)
	}
	f, _ = Lookup("bpfExternalServiceMode")
	if got := f.DefaultText(mixed); got != "Tunnel" {
		t.Errorf("bpfExternalServiceMode default = %q", got)
	}
	f, _ = Lookup("bpfDSROptoutCIDRs")
	if got := f.DefaultText(nil); got != "-" {
		t.Errorf("bpfDSROptoutCIDRs default = %q", got)
	}
}

func TestRowsGolden(t *testing.T) {
	spec := map[string]any{
		"bpfLogLevel": "", "bpfExternalServiceMode": "DSR", "bpfDSROptoutCIDRs": []any{"10.0.0.0/8", "192.168.0.0/16"},
		"bpfEnabled": true, "bpfAttachType": "TCX", "bpfIPFragTimeout": "30s", "logSeverityScreen": "Info",
	}
	rows := Rows(spec, RowOptions{Versions: mixed, Operator: true,
		Overrides: map[string][]string{"bpfExternalServiceMode": {"FelixConfiguration node.node-1"}}})
	b, err := json.MarshalIndent(rows, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "rows.json", string(b)+"\n")
	only := Rows(spec, RowOptions{Only: []string{"bpfExternalServiceMode", "bpfLogLevel"}})
	if len(only) != 2 || only[0].Source != SourceSet || only[1].Source != SourceDefault || only[1].Value != "Off" {
		t.Errorf("only: %+v", only)
	}
}

func TestDebugOnOff(t *testing.T) {
	until := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	before := Object{Exists: true, Spec: map[string]any{"bpfLogLevel": "", "bpfExternalServiceMode": "DSR"}}
	on, err := DebugOn(before, DebugOnOptions{Ifaces: []string{"eth0", "weps"}, Filter: "host 10.0.0.1", Until: until})
	if err != nil {
		t.Fatal(err)
	}
	onChanges := on.Changes(before, nil)
	after := apply(before, onChanges)
	var b strings.Builder
	b.WriteString("on:\n" + FormatDiff(onChanges))
	st := State(after, until.Add(-time.Second))
	if !st.On || st.Expired || !st.Recorded || st.Filters["eth0"] != "host 10.0.0.1" {
		t.Errorf("state after on: %+v", st)
	}
	if st := State(after, until.Add(time.Second)); !st.Expired {
		t.Errorf("not expired after until: %+v", st)
	}
	// A second `debug on` keeps the first record.
	again, _ := DebugOn(after, DebugOnOptions{})
	againChanges := again.Changes(after, nil)
	b.WriteString("on again:\n" + FormatDiff(againChanges))
	after = apply(after, againChanges)
	off, note := DebugOff(after)
	if note != "" {
		t.Errorf("note %q", note)
	}
	offChanges := off.Changes(after, nil)
	b.WriteString("off:\n" + FormatDiff(offChanges))
	restored := apply(after, offChanges)
	if canonical(restored.Spec) != canonical(before.Spec) || len(restored.Annotations) != 0 {
		t.Errorf("off did not restore:\n got %v %v\nwant %v", restored.Spec, restored.Annotations, before.Spec)
	}
	checkGolden(t, "debug", b.String())

	// Debug set by someone else: off falls back to Info and says so.
	theirs := Object{Exists: true, Spec: map[string]any{"bpfLogLevel": "debug"}}
	p, note := DebugOff(theirs)
	if !strings.Contains(note, "setting Info") || p.Spec["bpfLogLevel"] != "Info" {
		t.Errorf("fallback: %v %q", p.Spec, note)
	}
	if p, _ := DebugOff(before); len(p.Changes(before, nil)) != 0 {
		t.Errorf("off when not on changes %v", p.Changes(before, nil))
	}
	if _, err := DebugOn(before, DebugOnOptions{Filter: "tcp"}); err == nil {
		t.Error("--filter without --iface accepted")
	}

	// A record left behind while debug is off (the level was set by hand since) is stale:
	// the next `debug on` records the level of now, so `debug off` comes back to it.
	stale := Object{Exists: true, Spec: map[string]any{"bpfLogLevel": "Info"},
		Annotations: map[string]string{AnnotationDebugRestore: `{"bpfLogLevel":"Off"}`}}
	on2, err := DebugOn(stale, DebugOnOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rec := on2.Annotations[AnnotationDebugRestore]; rec == nil || *rec != `{"bpfLogLevel":"Info"}` {
		t.Errorf("stale record kept: %v", rec)
	}
	// `debug off` with that stale record drops it and leaves the level alone.
	offStale, note := DebugOff(stale)
	if _, set := offStale.Spec["bpfLogLevel"]; set || !strings.Contains(note, "stale record") {
		t.Errorf("debug off on a stale record: spec %v, note %q", offStale.Spec, note)
	}
}

// apply is what the API server does with the merge patch of changes.
func apply(obj Object, changes []Change) Object {
	out := Object{Exists: true, Spec: map[string]any{}, Annotations: map[string]string{}}
	for k, v := range obj.Spec {
		out.Spec[k] = v
	}
	for k, v := range obj.Annotations {
		out.Annotations[k] = v
	}
	for _, c := range changes {
		switch {
		case c.spec != "" && c.NewSet:
			out.Spec[c.spec] = c.New
		case c.spec != "":
			delete(out.Spec, c.spec)
		case c.NewSet:
			out.Annotations[c.annotation] = c.New.(string)
		default:
			delete(out.Annotations, c.annotation)
		}
	}
	return out
}

// TestMergePatchReplacesMaps: a merge patch merges maps, so the old keys must be nulled.
func TestMergePatchReplacesMaps(t *testing.T) {
	obj := Object{Exists: true, Spec: map[string]any{"bpfLogFilters": map[string]any{"all": "tcp", "eth0": "udp"}}}
	changes := mustPlan(t, "bpfLogFilters=eth0=icmp").Changes(obj, nil)
	patch, err := MergePatch(changes, "")
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"spec":{"bpfLogFilters":{"all":null,"eth0":"icmp"}}}`; string(patch) != want {
		t.Errorf("got %s, want %s", patch, want)
	}
}
