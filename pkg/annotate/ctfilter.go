package annotate

import (
	"net/netip"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/model"
)

// ConntrackFilter selects conntrack entries; zero fields match everything. Service and Pod
// match through the index: an entry belongs to a Service when one of its addresses is one of
// the Service's frontends or endpoints, and to a pod when one of its addresses is the pod's.
type ConntrackFilter struct {
	Proto    model.Proto
	HasProto bool
	IP       netip.Addr
	Port     uint16
	State    model.TCPState
	HasState bool
	// Service and Pod are "namespace/name".
	Service string
	Pod     string
}

// Empty reports whether the filter lets everything through.
func (f ConntrackFilter) Empty() bool {
	return !f.HasProto && !f.IP.IsValid() && f.Port == 0 && !f.HasState && f.Service == "" && f.Pod == ""
}

// Match reports whether e passes the filter.
func (f ConntrackFilter) Match(e model.ConntrackEntry, idx *Index) bool {
	if f.HasProto && e.Proto.Proto() != f.Proto {
		return false
	}
	if f.HasState && (e.TCPState != f.State || e.Proto.Proto() != model.ProtoTCP) {
		return false
	}
	eps := endpointsOf(e)
	if f.IP.IsValid() && !anyEndpoint(eps, func(ap netip.AddrPort) bool { return ap.Addr().Unmap() == f.IP.Unmap() }) {
		return false
	}
	if f.Port != 0 && !anyEndpoint(eps, func(ap netip.AddrPort) bool { return ap.Port() == f.Port }) {
		return false
	}
	if f.Pod != "" && !anyEndpoint(eps, func(ap netip.AddrPort) bool { return ownedBy(idx.Addr(ap.Addr()), OwnerPod, f.Pod) }) {
		return false
	}
	if f.Service != "" && !anyEndpoint(eps, func(ap netip.AddrPort) bool {
		return refersTo(idx.Frontends(ap.Addr(), ap.Port(), e.Proto.Proto()), f.Service) ||
			refersTo(idx.EndpointOf(ap, e.Proto.Proto()), f.Service)
	}) {
		return false
	}
	return true
}

// endpointsOf lists every address:port an entry names, pretty or raw.
func endpointsOf(e model.ConntrackEntry) []netip.AddrPort {
	var out []netip.AddrPort
	for _, ap := range []netip.AddrPort{e.Src, e.Dst, e.OrigDst} {
		if ap.IsValid() {
			out = append(out, ap)
		}
	}
	if e.AddrA.IsValid() {
		out = append(out, netip.AddrPortFrom(e.AddrA, e.PortA), netip.AddrPortFrom(e.AddrB, e.PortB))
	}
	if e.RevAddrA.IsValid() {
		out = append(out, netip.AddrPortFrom(e.RevAddrA, e.RevPortA), netip.AddrPortFrom(e.RevAddrB, e.RevPortB))
	}
	return out
}

func anyEndpoint(eps []netip.AddrPort, pred func(netip.AddrPort) bool) bool {
	for _, ap := range eps {
		if pred(ap) {
			return true
		}
	}
	return false
}

func ownedBy(owners []Owner, kind OwnerKind, nsName string) bool {
	for _, o := range owners {
		if o.Kind == kind && o.Namespace+"/"+o.Name == nsName {
			return true
		}
	}
	return false
}

func refersTo(refs []ServicePortRef, nsName string) bool {
	for _, r := range refs {
		if r.Service() == nsName {
			return true
		}
	}
	return false
}
