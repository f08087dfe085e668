package annotate

import (
	"fmt"
	"slices"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/model"
)

// portOf finds the service port a reference names.
func (x *Index) portOf(r ServicePortRef) *portRec {
	s := x.svcByName[r.Service()]
	if s == nil {
		return nil
	}
	for _, p := range s.ports {
		if p.sp.Name == r.PortName && p.sp.Port == r.Port && string(p.ref().Protocol) == r.Protocol {
			return p
		}
	}
	return nil
}

// classified is the best explanation of a frontend no Service calls for on this node.
type classified struct {
	kind  FrontendKind
	ref   *ServicePortRef
	port  *portRec
	notes []Note
}

// classify explains a frontend that matched no expectation: which Service it
// looks like, and why it should not be there.
func (x *Index) classify(v nodeView, f model.NATFrontend) classified {
	k := keyOf(f)
	refs := x.Frontends(k.addr, k.port, k.proto)
	pick := func(kinds ...FrontendKind) *ServicePortRef {
		for i := range refs {
			if slices.Contains(kinds, refs[i].Via) {
				return &refs[i]
			}
		}
		return nil
	}
	c := classified{kind: KindUnknown}
	set := func(kind FrontendKind, r *ServicePortRef) {
		c.kind, c.ref = kind, r
		if r != nil {
			c.port = x.portOf(*r)
		}
	}
	switch {
	case len(refs) == 0:
		msg := fmt.Sprintf("no Service has frontend %s", k)
		for _, o := range x.addrs[k.addr] {
			if o.Kind == OwnerService {
				msg += fmt.Sprintf(" (%s has this address, but no such port)", o)
				break
			}
		}
		c.notes = append(c.notes, warnf(CodeNoService, "%s: a deleted Service, or an entry Felix has not cleaned up", msg))
	case k.src.IsValid():
		r := pick(KindLoadBalancer, KindExternalIP)
		set(KindSourceRange, r)
		if r == nil {
			r = &refs[0]
			set(KindSourceRange, r)
		}
		ranges := "none"
		if c.port != nil && len(c.port.svc.sourceRanges) > 0 {
			ranges = prefixesText(c.port.svc.sourceRanges)
		}
		c.notes = append(c.notes, warnf(CodeStaleSourceRange, "src %s is not in the loadBalancerSourceRanges of %s (%s)", k.src, "svc "+r.String(), ranges))
	case f.Blackhole() && pick(KindLoadBalancer, KindExternalIP) != nil:
		r := pick(KindLoadBalancer, KindExternalIP)
		set(KindBlackhole, r)
		c.notes = append(c.notes, warnf(CodeUnexpectedBlackhole, "count -1 (blackhole), but svc %s has no loadBalancerSourceRanges", r))
	case pick(KindNodePort) != nil:
		r := pick(KindNodePort)
		set(KindNodePort, r)
		switch {
		case r.Node == v.name:
			c.notes = append(c.notes, warnf(CodeStaleFrontend, "NodePort %d of svc %s on %s's address %s is not expected in this address family or configuration", r.NodePort, r, v.name, k.addr))
		case c.port != nil && c.port.svc.itpLocal:
			set(KindNodePortRemote, r)
			c.notes = append(c.notes, warnf(CodeStaleFrontend, "NodePort %d of svc %s on node %s's address: with internalTrafficPolicy Local it is programmed only while %s has ready endpoints, and it has none", r.NodePort, r, r.Node, r.Node))
		default:
			c.notes = append(c.notes, warnf(CodeStaleFrontend, "NodePort %d of svc %s on node %s's address %s: Calico puts NodePorts only on this node's own addresses (and on remote nodes' only for internalTrafficPolicy Local, which the Service does not set)", r.NodePort, r, r.Node, k.addr))
		}
	case pick(KindNodePortWildcard) != nil:
		r := pick(KindNodePortWildcard)
		set(KindNodePortWildcard, r)
		why := "it is not expected here"
		if c.port != nil && c.port.svc.itpLocal {
			why = "with internalTrafficPolicy Local Calico does not program the wildcard, only one frontend per remote node"
		}
		c.notes = append(c.notes, warnf(CodeStaleFrontend, "NodePort %d wildcard of svc %s: %s", r.NodePort, r, why))
	default:
		r := &refs[0]
		set(r.Via, r)
		c.notes = append(c.notes, warnf(CodeStaleFrontend, "%s of svc %s is not expected on %s (count %d)", r.Via, r, v.name, f.Count))
	}
	return c
}
