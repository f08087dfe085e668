package output

import (
	"strings"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/model"
)

// IfStateView prints `ifstate dump`: the interfaces Calico manages and their flags. Wide adds
// the jump-map indexes of each interface's policy and filter programs (-1: no program;
// <none>: this Calico version does not print that index).
var IfStateView View = columns[model.IfState]{noun: "interfaces", cols: []column[model.IfState]{
	{header: "IFINDEX", cell: func(s model.IfState) string { return itoa(s.IfIndex) }},
	{header: "NAME", cell: func(s model.IfState) string { return orNone(s.Name) }},
	{header: "FLAGS", cell: func(s model.IfState) string { return strings.Join(s.Flags.Words(), ",") }},
	policyColumn("INGRESS V4", func(s model.IfState) model.PolicyIndex { return s.IngressPolicyV4 }),
	policyColumn("EGRESS V4", func(s model.IfState) model.PolicyIndex { return s.EgressPolicyV4 }),
	policyColumn("XDP V4", func(s model.IfState) model.PolicyIndex { return s.XDPPolicyV4 }),
	policyColumn("INGRESS V6", func(s model.IfState) model.PolicyIndex { return s.IngressPolicyV6 }),
	policyColumn("EGRESS V6", func(s model.IfState) model.PolicyIndex { return s.EgressPolicyV6 }),
	policyColumn("XDP V6", func(s model.IfState) model.PolicyIndex { return s.XDPPolicyV6 }),
	policyColumn("TC INGRESS", func(s model.IfState) model.PolicyIndex { return s.TCIngressFilter }),
	policyColumn("TC EGRESS", func(s model.IfState) model.PolicyIndex { return s.TCEgressFilter }),
}}

func policyColumn(header string, get func(model.IfState) model.PolicyIndex) column[model.IfState] {
	return column[model.IfState]{header: header, wideOnly: true, cell: func(s model.IfState) string {
		p := get(s)
		if !p.Set {
			return none
		}
		return itoa(p.Index)
	}}
}
