package enable

import (
	"encoding/json"
	"reflect"
	"testing"
)

func obj(s string) map[string]any {
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		panic(err)
	}
	return m
}

func TestPatchSatisfied(t *testing.T) {
	cases := []struct {
		name, cur, patch string
		want             bool
	}{
		{"equal string", `{"spec":{"a":"BPF"}}`, `{"spec":{"a":"BPF"}}`, true},
		{"different string", `{"spec":{"a":"Iptables"}}`, `{"spec":{"a":"BPF"}}`, false},
		{"absent field", `{"spec":{}}`, `{"spec":{"a":"BPF"}}`, false},
		{"absent parent", `{}`, `{"spec":{"a":"BPF"}}`, false},
		{"null wants absent: absent", `{"spec":{"b":1}}`, `{"spec":{"a":null}}`, true},
		{"null wants absent: present", `{"spec":{"a":"x"}}`, `{"spec":{"a":null}}`, false},
		{"null under absent parent", `{}`, `{"spec":{"nodeSelector":{"x":null}}}`, true},
		{"number forms", `{"n":3}`, `{"n":3.0}`, true},
		{"bool", `{"spec":{"bpfEnabled":true}}`, `{"spec":{"bpfEnabled":true}}`, true},
		{"bool false vs absent", `{"spec":{}}`, `{"spec":{"bpfEnabled":false}}`, false},
		{"list replaced whole", `{"l":[1,2]}`, `{"l":[1]}`, false},
		{"scalar where object wanted", `{"spec":"x"}`, `{"spec":{"a":1}}`, false},
		{"other keys ignored", `{"spec":{"a":"BPF","b":"c"}}`, `{"spec":{"a":"BPF"}}`, true},
	}
	for _, c := range cases {
		if got := PatchSatisfied(obj(c.cur), obj(c.patch)); got != c.want {
			t.Errorf("%s: PatchSatisfied(%s, %s) = %v, want %v", c.name, c.cur, c.patch, got, c.want)
		}
	}
}

func TestUndoRestoresExactly(t *testing.T) {
	cases := []struct{ name, cur, patch, undo string }{
		{"value back", `{"spec":{"a":"Iptables","keep":1}}`, `{"spec":{"a":"BPF"}}`, `{"spec":{"a":"Iptables"}}`},
		{"absent field back to absent", `{"spec":{}}`, `{"spec":{"a":"BPF"}}`, `{"spec":{"a":null}}`},
		{"absent parent removed whole", `{"spec":{}}`, `{"spec":{"ns":{"x":"true"}}}`, `{"spec":{"ns":null}}`},
		{"previous selector kept", `{"spec":{"ns":{"os":"linux"}}}`, `{"spec":{"ns":{"x":"true"}}}`, `{"spec":{"ns":{"x":null}}}`},
		{"overwritten selector value", `{"spec":{"ns":{"x":"old"}}}`, `{"spec":{"ns":{"x":"true"}}}`, `{"spec":{"ns":{"x":"old"}}}`},
		{"removal undone", `{"a":{"b":"c"}}`, `{"a":{"b":null}}`, `{"a":{"b":"c"}}`},
	}
	for _, c := range cases {
		cur, patch := obj(c.cur), obj(c.patch)
		u := Undo(cur, patch)
		if !reflect.DeepEqual(u, obj(c.undo)) {
			t.Errorf("%s: Undo = %v, want %s", c.name, u, c.undo)
		}
		// The property that matters: apply, then undo, gives back the object.
		if back := Apply(Apply(cur, patch), u); !reflect.DeepEqual(normalize(back), normalize(cur)) {
			t.Errorf("%s: apply+undo = %v, want %v", c.name, back, cur)
		}
	}
}

func TestMergeUndoOlderWins(t *testing.T) {
	// First run changed a (was Iptables) and was killed; second run changes a again (now it
	// reads BPF, its own write) and b (was absent).
	older := obj(`{"spec":{"a":"Iptables"}}`)
	newer := obj(`{"spec":{"a":"BPF","b":null}}`)
	got := MergeUndo(older, newer)
	if want := obj(`{"spec":{"a":"Iptables","b":null}}`); !reflect.DeepEqual(got, want) {
		t.Errorf("MergeUndo = %v, want %v", got, want)
	}
	// A whole subtree that was absent stays absent.
	if got := MergeUndo(obj(`{"ns":null}`), obj(`{"ns":{"x":null}}`)); !reflect.DeepEqual(got, obj(`{"ns":null}`)) {
		t.Errorf("MergeUndo subtree = %v", got)
	}
}

func TestSplit(t *testing.T) {
	p := obj(`{"spec":{"calicoNetwork":{"linuxDataplane":"Iptables","kubeProxyManagement":null}},"metadata":{"x":1}}`)
	in, out := Split(p, []string{"spec", "calicoNetwork", "kubeProxyManagement"})
	if want := obj(`{"spec":{"calicoNetwork":{"kubeProxyManagement":null}}}`); !reflect.DeepEqual(in, want) {
		t.Errorf("in = %v", in)
	}
	if want := obj(`{"spec":{"calicoNetwork":{"linuxDataplane":"Iptables"}},"metadata":{"x":1}}`); !reflect.DeepEqual(out, want) {
		t.Errorf("out = %v", out)
	}
}

func TestFlatten(t *testing.T) {
	got := Flatten(obj(`{"spec":{"template":{"spec":{"nodeSelector":{"non-calico":"true","x":null}}}},"metadata":{"annotations":{"`+RestoreAnnotation+`":null}}}`), "")
	want := []string{"spec.template.spec.nodeSelector.non-calico=\"true\"", "spec.template.spec.nodeSelector.x (removed)"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Flatten = %q, want %q", got, want)
	}
}

// A field the patch does not change is not in its undo: restoring it would re-assert the
// patched value (a cluster on BPF before enable would be put back on BPF by disable).
func TestUndoLeavesOutUnchangedFields(t *testing.T) {
	cur := map[string]any{"spec": map[string]any{"linuxDataplane": "BPF", "hostPorts": "Enabled"}}
	patch := map[string]any{"spec": map[string]any{"linuxDataplane": "BPF", "kubeProxyManagement": "Enabled", "bpfNetworkBootstrap": nil}}
	got := Undo(cur, patch)
	want := map[string]any{"spec": map[string]any{"kubeProxyManagement": nil}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Undo = %v, want %v", got, want)
	}
	if got := Undo(cur, map[string]any{"spec": map[string]any{"linuxDataplane": "BPF"}}); len(got) != 0 {
		t.Errorf("Undo of a patch that changes nothing = %v, want empty", got)
	}
}
