package annotate

import (
	"net/netip"
	"slices"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/model"
)

var (
	allOnes4 = netip.AddrFrom4([4]byte{255, 255, 255, 255})
	allOnes6 = netip.AddrFrom16([16]byte{
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	})
)

// IsNodePortWildcard reports Calico's "any node address" NodePort frontend:
// 255.255.255.255, or ffff:…:ffff for IPv6.
func IsNodePortWildcard(a netip.Addr) bool { return a == allOnes4 || a == allOnes6 }

func wildcardFor(is6 bool) netip.Addr {
	if is6 {
		return allOnes6
	}
	return allOnes4
}

func cloneOwners(in []Owner) []Owner {
	out := slices.Clone(in)
	for i := range out {
		out[i].Roles = slices.Clone(out[i].Roles)
	}
	return out
}

// Addr returns the owners of an address, sorted: nodes, then pods, then
// Services. A host-network pod's address resolves to its node. Several pods
// on one address are all returned (see AddrNotes).
func (x *Index) Addr(a netip.Addr) []Owner { return cloneOwners(x.addrs[a.Unmap()]) }

// AddrNotes returns the index's notes on an address (several pods claiming it).
func (x *Index) AddrNotes(a netip.Addr) []Note { return slices.Clone(x.addrNotes[a.Unmap()]) }

// Nodes returns the node names, sorted.
func (x *Index) Nodes() []string { return slices.Clone(x.nodeNames) }

// NodeAddrs returns a node's own addresses (InternalIP, ExternalIP and
// Calico's IPv4Address/IPv6Address), sorted; tunnel addresses are not included.
func (x *Index) NodeAddrs(node string) []netip.Addr {
	if n := x.nodes[node]; n != nil {
		return slices.Clone(n.hostAddrs)
	}
	return nil
}

// NodeOf returns the node an address belongs to: a node's own or tunnel
// address, a host-network pod's address, or a pod's IP (the pod's node).
// It returns "" when the address is no node's, or when it is ambiguous.
func (x *Index) NodeOf(a netip.Addr) string {
	node := ""
	for _, o := range x.addrs[a.Unmap()] {
		n := o.Name
		if o.Kind == OwnerPod {
			n = o.Node
		} else if o.Kind != OwnerNode {
			continue
		}
		if node != "" && node != n {
			return ""
		}
		node = n
	}
	return node
}

// nodeOfHost returns the node whose own or tunnel address a is (no pods).
func (x *Index) nodeOfHost(a netip.Addr) string {
	for _, o := range x.addrs[a.Unmap()] {
		if o.Kind == OwnerNode {
			return o.Name
		}
	}
	return ""
}

// Prefix returns the owners of a CIDR. A single-address prefix is Addr. For
// a wider prefix it returns the nodes it belongs to, one Owner per node,
// with roles saying why: a podCIDR overlapping it ("podCIDR"), pods of the
// node inside it ("pods"), a tunnel or host address inside it (the address's
// role). A route to 10.65.1.0/26 thus names the node that holds the block.
func (x *Index) Prefix(p netip.Prefix) []Owner {
	if !p.IsValid() {
		return nil
	}
	p = netip.PrefixFrom(p.Addr().Unmap(), min(p.Bits(), p.Addr().Unmap().BitLen())).Masked()
	if p.IsSingleIP() {
		return x.Addr(p.Addr())
	}
	var out []Owner
	for _, name := range x.nodeNames {
		n := x.nodes[name]
		for _, c := range n.podCIDRs {
			if c.Overlaps(p) {
				out = addOwner(out, Owner{Kind: OwnerNode, Name: name, Roles: []string{RolePodCIDR}})
			}
		}
		for _, a := range append(slices.Clone(n.tunnels), n.hostAddrs...) {
			if !p.Contains(a) {
				continue
			}
			for _, o := range x.addrs[a] {
				if o.Kind == OwnerNode && o.Name == name {
					out = addOwner(out, o)
				}
			}
		}
	}
	i, _ := slices.BinarySearchFunc(x.podAddrs, p.Addr(), func(e podAddr, t netip.Addr) int { return e.addr.Compare(t) })
	for ; i < len(x.podAddrs) && p.Contains(x.podAddrs[i].addr); i++ {
		if n := x.podAddrs[i].node; n != "" {
			out = addOwner(out, Owner{Kind: OwnerNode, Name: n, Roles: []string{RolePods}})
		}
	}
	slices.SortFunc(out, compareOwners)
	return out
}

// Frontends returns the Service ports that an address, port and protocol is
// a frontend of: a ClusterIP, external IP or LoadBalancer IP with the
// Service port, or a node address or the NodePort wildcard with a NodePort.
func (x *Index) Frontends(a netip.Addr, port uint16, proto model.Proto) []ServicePortRef {
	a = a.Unmap()
	var out []ServicePortRef
	for _, r := range x.frontends[feKey{a, port, proto}] {
		out = append(out, r.port.refVia(r.via, ""))
	}
	if nps := x.nodePorts[portProto{port, proto}]; len(nps) > 0 {
		if IsNodePortWildcard(a) {
			for _, p := range nps {
				out = append(out, p.refVia(KindNodePortWildcard, ""))
			}
		} else if node := x.nodeOfHost(a); node != "" {
			for _, p := range nps {
				out = append(out, p.refVia(KindNodePort, node))
			}
		}
	}
	slices.SortFunc(out, compareRefs)
	return slices.CompactFunc(out, func(a, b ServicePortRef) bool { return compareRefs(a, b) == 0 })
}

// EndpointOf returns the Service ports whose EndpointSlices list the address
// and port (ready or not).
func (x *Index) EndpointOf(ap netip.AddrPort, proto model.Proto) []ServicePortRef {
	ap = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	var out []ServicePortRef
	for _, r := range x.endpoints[epKey{ap, proto}] {
		out = append(out, r.port.ref())
	}
	return out
}

// Name names an address.
func (x *Index) Name(a netip.Addr) Name {
	n := Name{Owners: x.withEndpointPods(a)}
	n.setText()
	return n
}

// NameAddrPort names an address with its port: the Service it is a frontend
// of, or its owner and the Services it is an endpoint of.
func (x *Index) NameAddrPort(ap netip.AddrPort, proto model.Proto) Name {
	n := Name{
		Owners:     x.withEndpointPods(ap.Addr()),
		Services:   x.Frontends(ap.Addr(), ap.Port(), proto),
		EndpointOf: x.EndpointOf(ap, proto),
	}
	n.setText()
	return n
}

// withEndpointPods is Addr, plus pods that EndpointSlices name on the
// address when the pod itself was not listed.
func (x *Index) withEndpointPods(a netip.Addr) []Owner {
	a = a.Unmap()
	owners := x.Addr(a)
	if len(owners) > 0 {
		return owners
	}
	for _, e := range x.epAddrs[a] {
		if e.pod == "" {
			continue
		}
		ns, name, _ := cutSlash(e.pod)
		owners = addOwner(owners, Owner{Kind: OwnerPod, Namespace: ns, Name: name, Node: e.node, Roles: []string{RolePodIP}})
	}
	slices.SortFunc(owners, compareOwners)
	return owners
}

func cutSlash(s string) (string, string, bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == '/' {
			return s[:i], s[i+1:], true
		}
	}
	return "", s, false
}
