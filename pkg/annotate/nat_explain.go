package annotate

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/model"
)

// FrontendExplanation says which Service port a NAT frontend implements,
// why it exists, who its backends are, and what is wrong with it.
type FrontendExplanation struct {
	Kind    FrontendKind    `json:"kind"`
	Service *ServicePortRef `json:"service,omitempty"`
	// Node is whose address a NodePort frontend is on (NodePortRemote: the
	// remote node whose endpoints it carries).
	Node string `json:"node,omitempty"`
	Why  string `json:"why"`
	// ExpectedCount and ExpectedLocal are what the EndpointSlices call for
	// (nil when no Service explains the frontend, or for a blackhole).
	ExpectedCount *int64               `json:"expected_count,omitempty"`
	ExpectedLocal *uint32              `json:"expected_local,omitempty"`
	Backends      []BackendExplanation `json:"backends,omitempty"`
	Notes         []Note               `json:"notes,omitempty"`
}

// ExplainNAT explains the NAT map of one node. node is its Kubernetes name;
// nodeIPs are the addresses Calico puts its NodePorts on (nil: the Node
// object's InternalIPs and Calico addresses). The result is parallel to
// entries. Entries may mix IPv4 and IPv6.
func ExplainNAT(node string, nodeIPs []netip.Addr, entries []model.NATEntry, idx *Index) []FrontendExplanation {
	v := idx.view(node, nodeIPs)
	rows, _ := idx.matchNode(v, entries, familiesOf(entries))
	idNotes := idConsistency(rows)
	out := make([]FrontendExplanation, len(rows))
	for i, r := range rows {
		out[i] = idx.explainRow(v, r)
		out[i].Notes = sortNotes(append(out[i].Notes, idNotes[i]...))
	}
	return out
}

func (x *Index) explainRow(v nodeView, r row) FrontendExplanation {
	f := r.entry.Frontend
	var fe FrontendExplanation
	bes, notes := x.compareRow(v, r)
	fe.Backends = bes
	var port *portRec
	if r.exp != nil {
		port = r.exp.port
		fe.Kind, fe.Service, fe.Node = r.exp.kind, r.exp.ref(), r.exp.node
		if !r.exp.blackhole {
			c, l := int64(len(r.exp.backends)), uint32(r.exp.local)
			fe.ExpectedCount, fe.ExpectedLocal = &c, &l
		}
		if r.extraNP {
			notes = append(notes, infof(CodeExtraNodePort, "NodePort on %s, an address the Node object does not list for %s (the host has more addresses than the API knows)", f.Addr, v.name))
		}
	} else {
		c := x.classify(v, f)
		fe.Kind, fe.Service, port = c.kind, c.ref, c.port
		if c.ref != nil {
			fe.Node = c.ref.Node
		}
		notes = append(notes, c.notes...)
	}
	if f.ID == 0 && port != nil && port.svc.key() == "default/kubernetes" {
		fe.Kind = KindBootstrap
		notes = append(notes, infof(CodeBootstrap, "id 0: the kubernetes Service as seeded by the ebpf-bootstrap init container (bpfNetworkBootstrap, v3.31+); Felix replaces it once its kube-proxy has synced"))
	}
	fe.Why = why(fe.Kind, f, port, fe.Node, r.srcHidden)
	if port != nil {
		if port.svc.affinity {
			notes = append(notes, infof(CodeAffinity, "sessionAffinity ClientIP: the clients pinned to a backend are in `nat aff`, not in this dump"))
		}
		if f.Count == 0 {
			notes = append(notes, infof(CodeNoEndpoints, "%s has no ready endpoints here: traffic to this frontend is dropped", svcText(port)))
		}
		if f.Blackhole() && fe.Kind == KindBlackhole && len(port.svc.sourceRanges) > 0 {
			notes = append(notes, infof(CodeBlackhole, "count -1: %s allows only %s; traffic from other sources to %s is dropped, allowed sources match their own src keys",
				svcText(port), prefixesText(port.svc.sourceRanges), netip.AddrPortFrom(f.Addr, f.Port)))
		}
	}
	fe.Notes = notes
	return fe
}

func portText(p *portRec) string {
	s := svcText(p)
	s += fmt.Sprintf(" (%d/%s", p.sp.Port, p.ref().Protocol)
	if t := p.ref().TargetPort; t != "" {
		s += " → " + t
	}
	return s + ")"
}

func why(kind FrontendKind, f model.NATFrontend, p *portRec, node string, srcHidden bool) string {
	var s string
	if p == nil {
		s = "no Service has this frontend"
	} else {
		svc := portText(p)
		switch kind {
		case KindClusterIP:
			s = "ClusterIP of " + svc
		case KindNodePort:
			s = fmt.Sprintf("NodePort %d of %s on node %s's address %s", f.Port, svc, node, f.Addr)
		case KindNodePortWildcard:
			s = fmt.Sprintf("NodePort %d of %s on any address of this node (%s wildcard)", f.Port, svc, f.Addr)
		case KindNodePortRemote:
			s = fmt.Sprintf("NodePort %d of %s on node %s's address, with internalTrafficPolicy Local: its own id and only %s's endpoints", f.Port, svc, node, node)
		case KindExternalIP:
			s = "externalIP " + f.Addr.String() + " of " + svc
		case KindLoadBalancer:
			s = "LoadBalancer ingress IP " + f.Addr.String() + " of " + svc
		case KindSourceRange:
			src := f.SrcCIDR.String()
			if srcHidden || !f.SrcCIDR.IsValid() {
				src = "one of " + prefixesText(p.svc.sourceRanges) + " (the dump does not print src before v3.31.5)"
			}
			s = fmt.Sprintf("%s %s of %s for clients in %s (loadBalancerSourceRanges)", addrWord(p, f.Addr), f.Addr, svc, src)
		case KindBlackhole:
			s = fmt.Sprintf("blackhole for %s %s of %s: clients outside loadBalancerSourceRanges are dropped", addrWord(p, f.Addr), f.Addr, svc)
		case KindBootstrap:
			s = "bootstrap entry (id 0) for " + svc
		default:
			s = string(kind) + " of " + svc
		}
	}
	if w := flagsText(f.Flags); w != "" {
		s += "; " + w
	}
	return s
}

func addrWord(p *portRec, a netip.Addr) string {
	for _, e := range p.svc.externalIPs {
		if e == a.Unmap() {
			return "externalIP"
		}
	}
	return "LoadBalancer IP"
}

func flagsText(f model.NATFlags) string {
	var parts []string
	if f&model.NATExternalLocal != 0 {
		parts = append(parts, "external-local: externalTrafficPolicy Local, external clients reach only local endpoints")
	}
	if f&model.NATInternalLocal != 0 {
		parts = append(parts, "internal-local: internalTrafficPolicy Local, pods reach only endpoints on their node")
	}
	if f&model.NATExclude != 0 {
		parts = append(parts, "nat-exclude: excluded from NAT (BPFExcludeCIDRsFromNAT)")
	}
	if f&model.NATMaglev != 0 {
		parts = append(parts, "maglev: backends chosen by Maglev consistent hashing (`nat maglev`)")
	}
	return strings.Join(parts, "; ")
}

// idConsistency checks that the frontends sharing a service port's id on one
// node (ClusterIP and its derived frontends) carry the same id. The
// ClusterIP's id is the reference.
func idConsistency(rows []row) map[int][]Note {
	type group struct {
		port *portRec
		is6  bool
	}
	ref := map[group]uint32{}
	has := map[group]bool{}
	for _, r := range rows {
		if r.exp != nil && r.exp.primary && r.exp.kind == KindClusterIP && r.entry.Frontend.ID != 0 {
			g := group{r.exp.port, r.exp.key.addr.Is6()}
			ref[g], has[g] = r.entry.Frontend.ID, true
		}
	}
	out := map[int][]Note{}
	for i, r := range rows {
		if r.exp == nil || !r.exp.primary {
			continue
		}
		g := group{r.exp.port, r.exp.key.addr.Is6()}
		if id := r.entry.Frontend.ID; has[g] && id != ref[g] && id != 0 {
			out[i] = append(out[i], warnf(CodeIDMismatch, "id %d, but the ClusterIP frontend of %s has id %d: derived frontends share the service port's id", id, svcText(r.exp.port), ref[g]))
		}
	}
	return out
}
