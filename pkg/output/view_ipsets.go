package output

import "github.com/calico-ebpf/kubectl-calico-ebpf/pkg/model"

// IPSetView prints `ipsets dump`: one row per set, with its size and members (the first few in
// the table, all in -o wide). Sets are named by id only: the dataplane keeps a hash, not the
// name of the NetworkPolicy selector it came from.
var IPSetView View = columns[model.IPSet]{noun: "IP sets", cols: []column[model.IPSet]{
	{header: "SET ID", cell: func(s model.IPSet) string { return s.ID.String() }},
	{header: "SIZE", cell: func(s model.IPSet) string { return itoa(len(s.Members)) }},
	{
		header:   "MEMBERS",
		cell:     func(s model.IPSet) string { return shortList(ipSetMembers(s)) },
		wideCell: func(s model.IPSet) string { return joinOrNone(ipSetMembers(s)) },
	},
}}

func ipSetMembers(s model.IPSet) []string {
	out := make([]string, len(s.Members))
	for i, m := range s.Members {
		out[i] = ipSetMember(m)
	}
	return out
}

// ipSetMember writes a CIDR, or a named-port member as ip:port/PROTO (with the protocol's
// name rather than Calico's "(proto 6)", which would put spaces in the cell).
func ipSetMember(m model.IPSetMember) string {
	if !m.NamedPort() {
		return m.CIDR.String()
	}
	return hostPort(m.CIDR.Addr(), m.Port) + "/" + m.Proto.String()
}
