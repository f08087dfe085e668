package annotate

import (
	"testing"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/model"
)

func TestTraceFilter(t *testing.T) {
	allow := model.TraceEvent{Iface: "cali9c1d2e3f4a5", Direction: "E", Result: "ALLOW", Message: "Final result=ALLOW (-1)."}
	deny := model.TraceEvent{Iface: "eth0", Direction: "I", Result: "DENY"}
	newPacket := model.TraceEvent{Iface: "eth0", Direction: "I", Message: "New packet at ifindex=2; mark=0"}
	ctlb := model.TraceEvent{Iface: "CTLB", Direction: "C", Message: "do_nat_common proto=6"}
	lost := model.TraceEvent{CPU: 3, Lost: 12}
	for _, c := range []struct {
		name string
		f    TraceFilter
		want []bool // allow, deny, newPacket, ctlb, lost
	}{
		{"empty", TraceFilter{}, []bool{true, true, true, true, true}},
		{"glob", TraceFilter{Ifaces: []string{"cali*"}}, []bool{true, false, false, false, false}},
		{"two ifaces", TraceFilter{Ifaces: []string{"eth0", "CTLB"}}, []bool{false, true, true, true, false}},
		{"ingress", TraceFilter{Directions: []string{"I"}}, []bool{false, true, true, false, false}},
		{"result any case", TraceFilter{Results: []string{"deny"}}, []bool{false, true, false, false, false}},
		{"all fields", TraceFilter{Ifaces: []string{"eth*"}, Directions: []string{"I", "E"}, Results: []string{"ALLOW", "DENY"}}, []bool{false, true, false, false, false}},
	} {
		for i, ev := range []model.TraceEvent{allow, deny, newPacket, ctlb, lost} {
			if got := c.f.Match(ev); got != c.want[i] {
				t.Errorf("%s: event %d (%+v): match %v, want %v", c.name, i, ev, got, c.want[i])
			}
		}
	}
}

func TestTraceDirectionAndPatterns(t *testing.T) {
	for in, want := range map[string]string{"ingress": "I", "Egress": "E", "xdp": "X", "connect": "C", "e": "E"} {
		if got, err := TraceDirection(in); err != nil || got != want {
			t.Errorf("%q: %q, %v", in, got, err)
		}
	}
	if _, err := TraceDirection("inbound"); err == nil {
		t.Error("inbound accepted")
	}
	if err := CheckIfacePattern("cali[a-"); err == nil {
		t.Error("a broken pattern passed")
	}
	if err := CheckIfacePattern("cali*"); err != nil {
		t.Error(err)
	}
}
