package annotate

import (
	"net/netip"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/model"
)

// ConntrackAnnotator annotates the entries of a live dump one at a time, as they stream in,
// giving what Conntrack gives. A dump names the same addresses over and over (every
// connection of a pod, of a node), and most of them the cluster does not know at all, so:
//   - an address that no map of the index has, with any port, is the one shared "external"
//     Name, told by one lookup instead of the six that naming it takes;
//   - a known address's Name without a port (owners and text) is built once and shared by
//     every port that is neither a Service frontend nor an endpoint port.
//
// Annotations share Names, so they must be treated as read-only. Not safe for concurrent use.
type ConntrackAnnotator struct {
	idx *Index
	// known are the (unmapped) addresses the index can say anything about. Whatever Name and
	// AddrNotes look at must be in it: owners, notes, endpoint records, frontends and the
	// NodePort wildcard (a node's own address, for NodePorts, is an owner).
	known map[netip.Addr]bool
	// known4 is known's IPv4 addresses, as numbers: most of a
	// dump's addresses are IPv4 and unknown, and a 4-byte key is hashed several times faster
	// than a netip.Addr.
	known4   map[uint32]struct{}
	addrs    map[netip.Addr]addrName // known addresses named so far
	external *Name
}

type addrName struct {
	name  *Name // the address without a port: owners only
	notes []Note
}

// NewConntrackAnnotator annotates against idx.
func NewConntrackAnnotator(idx *Index) *ConntrackAnnotator {
	c := &ConntrackAnnotator{idx: idx, known: map[netip.Addr]bool{allOnes4: true, allOnes6: true},
		addrs: map[netip.Addr]addrName{}, external: &Name{}}
	c.external.setText()
	for a := range idx.addrs {
		c.known[a] = true
	}
	for a := range idx.addrNotes {
		c.known[a] = true
	}
	for a := range idx.epAddrs {
		c.known[a] = true
	}
	for k := range idx.frontends {
		c.known[k.addr] = true
	}
	for k := range idx.endpoints {
		c.known[k.ap.Addr()] = true
	}
	c.known4 = make(map[uint32]struct{}, len(c.known))
	for a := range c.known {
		if a.Is4() {
			c.known4[addr4(a)] = struct{}{}
		}
	}
	return c
}

func addr4(a netip.Addr) uint32 {
	b := a.As4()
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

// isKnown is known[a.Unmap()].
func (c *ConntrackAnnotator) isKnown(a netip.Addr) bool {
	if a = a.Unmap(); a.Is4() {
		_, ok := c.known4[addr4(a)]
		return ok
	}
	return c.known[a]
}

// Annotate is Conntrack for one entry.
func (c *ConntrackAnnotator) Annotate(e *model.ConntrackEntry) ConntrackAnnotation {
	return annotateConntrack(e, c.idx, c.name)
}

// name is Index.NameAddrPort and Index.AddrNotes, from the caches when it can be.
func (c *ConntrackAnnotator) name(ap netip.AddrPort, proto model.Proto) (*Name, []Note) {
	a := ap.Addr()
	if !c.isKnown(a) {
		return c.external, nil
	}
	an, ok := c.addrs[a]
	if !ok {
		an = addrName{name: &Name{Owners: c.idx.withEndpointPods(a)}, notes: c.idx.AddrNotes(a)}
		an.name.setText()
		c.addrs[a] = an
	}
	svcs, eps := c.idx.Frontends(a, ap.Port(), proto), c.idx.EndpointOf(ap, proto)
	if len(svcs) == 0 && len(eps) == 0 {
		return an.name, an.notes
	}
	n := &Name{Owners: an.name.Owners, Services: svcs, EndpointOf: eps}
	n.setText()
	return n, an.notes
}
