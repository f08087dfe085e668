package annotate

import (
	"net/netip"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/model"
)

// IPSetAnnotation names the members of one IP set, parallel to its Members.
type IPSetAnnotation struct {
	Members []Name `json:"member_names"`
	Notes   []Note `json:"notes,omitempty"`
}

// IPSets annotates IP sets. The result is parallel to sets.
func IPSets(sets []model.IPSet, idx *Index) []IPSetAnnotation {
	out := make([]IPSetAnnotation, len(sets))
	for i, s := range sets {
		a := IPSetAnnotation{Members: make([]Name, len(s.Members))}
		for j, m := range s.Members {
			switch {
			case m.NamedPort():
				a.Members[j] = idx.NameAddrPort(netip.AddrPortFrom(m.CIDR.Addr(), m.Port), m.Proto)
				a.Notes = append(a.Notes, idx.AddrNotes(m.CIDR.Addr())...)
			case m.CIDR.IsSingleIP():
				a.Members[j] = idx.Name(m.CIDR.Addr())
				a.Notes = append(a.Notes, idx.AddrNotes(m.CIDR.Addr())...)
			default:
				n := Name{Owners: idx.Prefix(m.CIDR)}
				n.setText()
				a.Members[j] = n
			}
		}
		a.Notes = sortNotes(a.Notes)
		out[i] = a
	}
	return out
}

// ARPAnnotation names the neighbour of an ARP entry.
type ARPAnnotation struct {
	// Node is the node whose address the entry is for.
	Node  string `json:"node,omitempty"`
	Name  Name   `json:"name"`
	Notes []Note `json:"notes,omitempty"`
}

// ARP annotates ARP entries (neighbours cached for NodePort forwarding,
// normally other nodes). The result is parallel to entries.
func ARP(entries []model.ARPEntry, idx *Index) []ARPAnnotation {
	out := make([]ARPAnnotation, len(entries))
	for i, e := range entries {
		a := ARPAnnotation{Node: idx.nodeOfHost(e.IP), Name: idx.Name(e.IP)}
		if a.Node == "" {
			a.Notes = append(a.Notes, infof(CodeNotANode, "%s is not an address of any node (%s)", e.IP, a.Name.Text))
		}
		out[i] = a
	}
	return out
}

// AffinityAnnotation names the client, Service and backend of a `nat aff` entry.
type AffinityAnnotation struct {
	Client  Name            `json:"client_name"`
	Service *ServicePortRef `json:"service,omitempty"`
	Backend Name            `json:"backend_name"`
	Notes   []Note          `json:"notes,omitempty"`
}

// Affinity annotates NAT affinity entries. The result is parallel to entries.
func Affinity(entries []model.NATAffinity, idx *Index) []AffinityAnnotation {
	out := make([]AffinityAnnotation, len(entries))
	for i, e := range entries {
		a := AffinityAnnotation{
			Client:  idx.Name(e.ClientIP),
			Backend: idx.NameAddrPort(netip.AddrPortFrom(e.Backend.Addr, e.Backend.Port), e.Proto),
		}
		svcs := idx.Frontends(e.Addr, e.Port, e.Proto)
		if len(svcs) == 0 {
			a.Notes = append(a.Notes, infof(CodeNoService, "%s is not a Service frontend", netip.AddrPortFrom(e.Addr, e.Port)))
		} else {
			a.Service = &svcs[0]
			if !endpointOfAny(a.Backend.EndpointOf, svcs) {
				a.Notes = append(a.Notes, warnf(CodeStaleBackend, "the client is pinned to %s (%s), which is not an endpoint of svc %s", netip.AddrPortFrom(e.Backend.Addr, e.Backend.Port), a.Backend.Text, svcs[0]))
			}
		}
		out[i] = a
	}
	return out
}
