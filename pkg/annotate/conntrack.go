package annotate

import (
	"net/netip"
	"slices"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/model"
)

// ConntrackAnnotation names both ends of a connection, the Service it went
// through and the node a forwarded NodePort connection came through.
type ConntrackAnnotation struct {
	Src *Name `json:"src_name,omitempty"`
	Dst *Name `json:"dst_name,omitempty"`
	// OrigDst names the address the client used (a NAT reverse entry's Service frontend).
	OrigDst *Name `json:"orig_dst_name,omitempty"`
	// Backend names the NAT destination of a NAT forward entry (from its reverse key).
	Backend *Name `json:"backend_name,omitempty"`
	// TunnelNode is the node a forwarded NodePort connection came through ("tunnel_ip").
	TunnelNode string `json:"tunnel_node,omitempty"`
	// Service is the Service port the connection was load-balanced for.
	Service *ServicePortRef `json:"service,omitempty"`
	Notes   []Note          `json:"notes,omitempty"`
}

// Conntrack annotates conntrack entries of any form (pretty or raw). The
// result is parallel to entries.
func Conntrack(entries []model.ConntrackEntry, idx *Index) []ConntrackAnnotation {
	out := make([]ConntrackAnnotation, len(entries))
	lookup := func(ap netip.AddrPort, proto model.Proto) (*Name, []Note) {
		n := idx.NameAddrPort(ap, proto)
		return &n, idx.AddrNotes(ap.Addr())
	}
	for i := range entries {
		out[i] = annotateConntrack(&entries[i], idx, lookup)
	}
	return out
}

// nameLookup names an address and port, with the index's notes on the address.
type nameLookup func(ap netip.AddrPort, proto model.Proto) (*Name, []Note)

func annotateConntrack(e *model.ConntrackEntry, idx *Index, lookup nameLookup) ConntrackAnnotation {
	var ca ConntrackAnnotation
	proto := e.Proto.Proto()
	src, dst := e.Src, e.Dst
	if !src.IsValid() && e.AddrA.IsValid() {
		src = netip.AddrPortFrom(e.AddrA, e.PortA)
	}
	if !dst.IsValid() && e.AddrB.IsValid() {
		dst = netip.AddrPortFrom(e.AddrB, e.PortB)
	}
	name := func(ap netip.AddrPort) *Name {
		if !ap.IsValid() {
			return nil
		}
		n, notes := lookup(ap, proto)
		ca.Notes = append(ca.Notes, notes...)
		return n
	}
	ca.Src, ca.Dst = name(src), name(dst)
	if e.OrigDst.IsValid() {
		ca.OrigDst = name(e.OrigDst)
	}
	if e.Type == model.ConntrackNATForward && e.RevAddrA.IsValid() {
		// The reverse key is backend <-> client: the backend is the end that
		// is not in the forward key.
		ends := []netip.AddrPort{netip.AddrPortFrom(e.RevAddrA, e.RevPortA), netip.AddrPortFrom(e.RevAddrB, e.RevPortB)}
		for _, ap := range ends {
			if ap != src && ap != dst {
				ca.Backend = name(ap)
				break
			}
		}
	}
	if e.TunnelIP.IsValid() && !e.TunnelIP.IsUnspecified() {
		ca.TunnelNode = idx.nodeOfHost(e.TunnelIP)
	}

	// The Service: the frontend the client used, and whether the backend is
	// still one of its endpoints.
	front, back := ca.OrigDst, ca.Dst
	if e.Type == model.ConntrackNATForward {
		front, back = ca.Dst, ca.Backend
	}
	switch {
	case front != nil && len(front.Services) > 0:
		s := front.Services[0]
		ca.Service = &s
		if back != nil && !back.External && !endpointOfAny(back.EndpointOf, front.Services) && len(back.Services) == 0 {
			ca.Notes = append(ca.Notes, infof(CodeStaleBackend, "%s is no longer an endpoint of svc %s (the connection outlived it)", back.Text, s))
		}
	case e.Type == model.ConntrackNATReverse && front != nil:
		ca.Notes = append(ca.Notes, infof(CodeNoService, "original destination %s is not a Service frontend (a deleted Service?)", e.OrigDst))
	case front == nil && ca.Dst != nil && len(ca.Dst.Services) > 0:
		s := ca.Dst.Services[0]
		ca.Service = &s
	}
	ca.Notes = sortNotes(ca.Notes)
	return ca
}

func endpointOfAny(of, svcs []ServicePortRef) bool {
	return slices.ContainsFunc(of, func(r ServicePortRef) bool {
		return slices.ContainsFunc(svcs, func(s ServicePortRef) bool {
			return s.Namespace == r.Namespace && s.Name == r.Name && s.Port == r.Port && s.Protocol == r.Protocol
		})
	})
}
