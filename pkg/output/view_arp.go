package output

import "github.com/calico-ebpf/kubectl-calico-ebpf/pkg/model"

// ARPView prints `arp dump`: the neighbours cached for forwarding NodePort traffic to other
// nodes. Every field is in the table; -o wide has nothing to add.
var ARPView View = columns[model.ARPEntry]{noun: "ARP entries", cols: []column[model.ARPEntry]{
	{header: "IFINDEX", cell: func(a model.ARPEntry) string { return itoa(a.IfIndex) }},
	{header: "IP", cell: func(a model.ARPEntry) string { return addrOrNone(a.IP) }},
	{header: "SRC MAC", cell: func(a model.ARPEntry) string { return a.SrcMAC.String() }},
	{header: "DST MAC", cell: func(a model.ARPEntry) string { return a.DstMAC.String() }},
}}
