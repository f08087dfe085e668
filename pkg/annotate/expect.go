package annotate

import (
	"cmp"
	"net/netip"
	"slices"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/model"
)

// FrontendKind says why a NAT frontend exists.
type FrontendKind string

// Frontend kinds.
const (
	// KindClusterIP: the Service's ClusterIP and port; the id's primary key.
	KindClusterIP FrontendKind = "ClusterIP"
	// KindNodePort: the NodePort on one of this node's addresses.
	KindNodePort FrontendKind = "NodePort"
	// KindNodePortWildcard: the NodePort on 255.255.255.255 (IPv6: all-ones),
	// "any address of this node".
	KindNodePortWildcard FrontendKind = "NodePortWildcard"
	// KindNodePortRemote: internalTrafficPolicy Local: the NodePort on a
	// remote node's address, with its own id and that node's endpoints.
	KindNodePortRemote FrontendKind = "NodePortRemote"
	// KindExternalIP: one of the Service's spec.externalIPs.
	KindExternalIP FrontendKind = "ExternalIP"
	// KindLoadBalancer: a status.loadBalancer.ingress IP.
	KindLoadBalancer FrontendKind = "LoadBalancer"
	// KindSourceRange: the key of an external or LoadBalancer IP for one
	// allowed source CIDR (loadBalancerSourceRanges); it carries the backends.
	KindSourceRange FrontendKind = "LoadBalancerSourceRange"
	// KindBlackhole: the plain key of a source-ranged external or
	// LoadBalancer IP, count -1: traffic from other sources is dropped.
	KindBlackhole FrontendKind = "Blackhole"
	// KindBootstrap: id 0 for the kubernetes Service, seeded by the
	// ebpf-bootstrap init container (bpfNetworkBootstrap, v3.31+).
	KindBootstrap FrontendKind = "Bootstrap"
	// KindUnknown: no Service explains the frontend.
	KindUnknown FrontendKind = "Unknown"
)

// natKey is a NAT frontend map key.
type natKey struct {
	addr  netip.Addr
	port  uint16
	proto model.Proto
	src   netip.Prefix
}

func keyOf(f model.NATFrontend) natKey {
	k := natKey{addr: f.Addr.Unmap(), port: f.Port, proto: f.Proto}
	if f.SrcCIDR.IsValid() && f.SrcCIDR.Bits() > 0 {
		k.src = f.SrcCIDR.Masked()
	}
	return k
}

func (k natKey) String() string {
	s := netip.AddrPortFrom(k.addr, k.port).String() + "/" + k.proto.String()
	if k.src.IsValid() {
		s += " src " + k.src.String()
	}
	return s
}

func compareKeys(a, b natKey) int {
	return cmp.Or(a.addr.Compare(b.addr), cmp.Compare(a.port, b.port), cmp.Compare(a.proto, b.proto),
		a.src.Addr().Compare(b.src.Addr()), cmp.Compare(a.src.Bits(), b.src.Bits()))
}

// expFE is a frontend the Services call for on one node.
type expFE struct {
	key  natKey
	kind FrontendKind
	// via is the kind of address a source-range or blackhole key is for
	// (ExternalIP or LoadBalancer); otherwise kind.
	via  FrontendKind
	port *portRec
	// node is whose address a NodePort is on (NodePortRemote: the remote node).
	node string
	// alt are other addresses that satisfy a NodePortRemote (all of the remote node's).
	alt       []netip.Addr
	blackhole bool
	// optional frontends are accepted when present and not reported when absent.
	optional bool
	backends []*epRec
	local    int
	// terminating counts serving, terminating endpoints (tolerated in count),
	// termLocal those of them on this node.
	terminating, termLocal int
	// primary is set on frontends that share the service port's id.
	primary bool
	matched bool
}

func (e *expFE) ref() *ServicePortRef {
	if e.port == nil {
		return nil
	}
	r := e.port.refVia(e.via, e.node)
	return &r
}

// nodeView is what the expectation for one node depends on.
type nodeView struct {
	name string
	// np are the addresses Calico must put NodePorts on; opt those it may.
	np, opt []netip.Addr
	// own are all this node's addresses (NodePorts on them are node-specific).
	own []netip.Addr
}

func (x *Index) view(node string, ips []netip.Addr) nodeView {
	v := nodeView{name: node}
	if n := x.nodes[node]; n != nil {
		v.np, v.opt = n.npAddrs, n.hostAddrs
		v.own = append(slices.Clone(n.hostAddrs), n.tunnels...)
	}
	if len(ips) > 0 {
		v.np = nil
		for _, a := range ips {
			v.np = appendAddr(v.np, a.Unmap())
			v.own = appendAddr(v.own, a.Unmap())
		}
		v.opt = v.np
	}
	return v
}

// nodeAddrs lists a node's own addresses of one family, the ones Calico's
// route next hop is likely to use (InternalIP, IPvXAddress) first.
func (x *Index) nodeAddrs(node string, is6 bool) []netip.Addr {
	n := x.nodes[node]
	if n == nil {
		return nil
	}
	var out []netip.Addr
	for _, a := range n.npAddrs {
		if a.Is6() == is6 {
			out = append(out, a)
		}
	}
	for _, a := range n.hostAddrs {
		if a.Is6() == is6 {
			out = appendAddr(out, a)
		}
	}
	return out
}

func inFamily(addrs []netip.Addr, is6 bool) []netip.Addr {
	var out []netip.Addr
	for _, a := range addrs {
		if a.Is6() == is6 {
			out = append(out, a)
		}
	}
	return out
}

// expected lists the frontends the Services call for on node v, in one family.
func (x *Index) expected(v nodeView, is6 bool) []*expFE {
	var out []*expFE
	for _, s := range x.services {
		cips := inFamily(s.clusterIPs, is6)
		if len(cips) == 0 {
			continue // headless, or not of this family: kube-proxy programs nothing
		}
		for _, p := range s.ports {
			out = append(out, x.expectedPort(v, is6, s, p, cips[0])...)
		}
	}
	return out
}

func (x *Index) expectedPort(v nodeView, is6 bool, s *svcRec, p *portRec, cip netip.Addr) []*expFE {
	ready := p.readyIn(is6)
	local, term, termLocal := 0, 0, 0
	for _, e := range ready {
		if v.name != "" && e.node == v.name {
			local++
		}
	}
	for _, e := range p.eps {
		if e.serving && e.terminating && e.ap.Addr().Is6() == is6 {
			term++
			if v.name != "" && e.node == v.name {
				termLocal++
			}
		}
	}
	proto := p.proto()
	base := func(addr netip.Addr, port uint16, kind FrontendKind) *expFE {
		return &expFE{key: natKey{addr: addr, port: port, proto: proto}, kind: kind, via: kind, port: p,
			backends: ready, local: local, terminating: term, termLocal: termLocal, primary: true}
	}
	out := []*expFE{base(cip, uint16(p.sp.Port), KindClusterIP)}
	derived := func(addrs []netip.Addr, via FrontendKind) {
		for _, a := range inFamily(addrs, is6) {
			if len(s.sourceRanges) == 0 {
				out = append(out, base(a, uint16(p.sp.Port), via))
				continue
			}
			bh := base(a, uint16(p.sp.Port), KindBlackhole)
			bh.via, bh.blackhole, bh.backends, bh.local = via, true, nil, 0
			out = append(out, bh)
			for _, r := range s.sourceRanges {
				if r.Addr().Is6() != is6 {
					continue
				}
				fe := base(a, uint16(p.sp.Port), KindSourceRange)
				fe.via, fe.key.src = via, r
				out = append(out, fe)
			}
		}
	}
	derived(s.lbIPs, KindLoadBalancer)
	derived(s.externalIPs, KindExternalIP)
	if p.sp.NodePort == 0 {
		return out
	}
	np := uint16(p.sp.NodePort)
	for _, a := range inFamily(v.opt, is6) {
		fe := base(a, np, KindNodePort)
		fe.node, fe.optional = v.name, !slices.Contains(v.np, a)
		out = append(out, fe)
	}
	if !s.itpLocal {
		out = append(out, base(wildcardFor(is6), np, KindNodePortWildcard))
		return out
	}
	// internalTrafficPolicy Local: no wildcard; one frontend per remote node
	// with endpoints, with its own id and only that node's endpoints.
	byNode := map[string][]*epRec{}
	for _, e := range ready {
		if e.node != "" && e.node != v.name {
			byNode[e.node] = append(byNode[e.node], e)
		}
	}
	for _, n := range x.sortedKeys(byNode) {
		addrs := x.nodeAddrs(n, is6)
		if len(addrs) == 0 {
			continue
		}
		fe := base(addrs[0], np, KindNodePortRemote)
		fe.node, fe.alt, fe.backends, fe.local, fe.primary = n, addrs, byNode[n], 0, false
		fe.terminating, fe.termLocal = 0, 0
		out = append(out, fe)
	}
	return out
}

func (x *Index) sortedKeys(m map[string][]*epRec) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
