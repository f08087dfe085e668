package annotate

import (
	"cmp"
	"net/netip"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/model"
)

// svcRec is a Service as Calico's kube-proxy sees it.
type svcRec struct {
	ns, name     string
	clusterIPs   []netip.Addr
	externalIPs  []netip.Addr
	lbIPs        []netip.Addr
	sourceRanges []netip.Prefix
	etpLocal     bool
	itpLocal     bool
	affinity     bool
	// topology is set for topology-aware routing (hints), which makes the
	// backends node-specific.
	topology bool
	ports    []*portRec
}

// portRec is one port of a Service with its endpoints.
type portRec struct {
	svc *svcRec
	sp  corev1.ServicePort
	// eps are the endpoints of this port from all the Service's slices,
	// deduplicated by address and port, sorted; byAP indexes them.
	eps  []*epRec
	byAP map[netip.AddrPort]*epRec
}

// epRec is one endpoint of a Service port.
type epRec struct {
	ap          netip.AddrPort
	ready       bool
	serving     bool
	terminating bool
	node        string
	pod         string // "ns/name" from targetRef
}

func (s *svcRec) key() string { return s.ns + "/" + s.name }

func (p *portRec) proto() model.Proto { return k8sProto(p.sp.Protocol) }

func (p *portRec) ref() ServicePortRef {
	r := ServicePortRef{
		Namespace: p.svc.ns,
		Name:      p.svc.name,
		PortName:  p.sp.Name,
		Port:      p.sp.Port,
		Protocol:  string(cmp.Or(p.sp.Protocol, corev1.ProtocolTCP)),
		NodePort:  p.sp.NodePort,
	}
	if p.sp.TargetPort.String() != "0" {
		r.TargetPort = p.sp.TargetPort.String()
	}
	return r
}

func (p *portRec) refVia(via FrontendKind, node string) ServicePortRef {
	r := p.ref()
	r.Via, r.Node = via, node
	return r
}

// readyIn returns the ready endpoints of one address family (4 or 6).
func (p *portRec) readyIn(is6 bool) []*epRec {
	var out []*epRec
	for _, e := range p.eps {
		if e.ready && e.ap.Addr().Is6() == is6 {
			out = append(out, e)
		}
	}
	return out
}

func (p *portRec) endpoint(ap netip.AddrPort) *epRec {
	if p == nil {
		return nil
	}
	return p.byAP[netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())]
}

func k8sProto(p corev1.Protocol) model.Proto {
	switch p {
	case corev1.ProtocolUDP:
		return model.ProtoUDP
	case corev1.ProtocolSCTP:
		return model.ProtoSCTP
	}
	return model.ProtoTCP
}

func topologyAware(s *corev1.Service) bool {
	for _, k := range []string{"service.kubernetes.io/topology-mode", "service.kubernetes.io/topology-aware-hints"} {
		if v := s.Annotations[k]; v != "" && !strings.EqualFold(v, "disabled") {
			return true
		}
	}
	return s.Spec.TrafficDistribution != nil && *s.Spec.TrafficDistribution != ""
}

func (x *Index) addService(s *corev1.Service) {
	if s.Spec.Type == corev1.ServiceTypeExternalName {
		return
	}
	rec := &svcRec{
		ns:       s.Namespace,
		name:     s.Name,
		etpLocal: s.Spec.ExternalTrafficPolicy == corev1.ServiceExternalTrafficPolicyLocal,
		itpLocal: s.Spec.InternalTrafficPolicy != nil && *s.Spec.InternalTrafficPolicy == corev1.ServiceInternalTrafficPolicyLocal,
		affinity: s.Spec.SessionAffinity == corev1.ServiceAffinityClientIP,
		topology: topologyAware(s),
	}
	ips := s.Spec.ClusterIPs
	if len(ips) == 0 {
		ips = []string{s.Spec.ClusterIP}
	}
	for _, ip := range ips {
		if a, ok := parseAddrOrCIDR(ip); ok {
			rec.clusterIPs = appendAddr(rec.clusterIPs, a)
		}
	}
	for _, ip := range s.Spec.ExternalIPs {
		if a, ok := parseAddrOrCIDR(ip); ok {
			rec.externalIPs = appendAddr(rec.externalIPs, a)
		}
	}
	for _, in := range s.Status.LoadBalancer.Ingress {
		if a, ok := parseAddrOrCIDR(in.IP); ok {
			rec.lbIPs = appendAddr(rec.lbIPs, a)
		}
	}
	for _, r := range s.Spec.LoadBalancerSourceRanges {
		r = strings.TrimSpace(r)
		if p, err := netip.ParsePrefix(r); err == nil {
			rec.sourceRanges = append(rec.sourceRanges, p.Masked())
		} else if a, err := netip.ParseAddr(r); err == nil {
			rec.sourceRanges = append(rec.sourceRanges, netip.PrefixFrom(a, a.BitLen()))
		}
	}
	for i := range s.Spec.Ports {
		rec.ports = append(rec.ports, &portRec{svc: rec, sp: s.Spec.Ports[i], byAP: map[netip.AddrPort]*epRec{}})
	}
	x.services = append(x.services, rec)
	x.svcByName[rec.key()] = rec

	owner := func(role string) Owner {
		return Owner{Kind: OwnerService, Namespace: s.Namespace, Name: s.Name, Roles: []string{role}}
	}
	for _, p := range rec.ports {
		port, proto := uint16(p.sp.Port), p.proto()
		for _, a := range rec.clusterIPs {
			x.frontends[feKey{a, port, proto}] = append(x.frontends[feKey{a, port, proto}], feRef{p, KindClusterIP})
		}
		for _, a := range rec.externalIPs {
			x.frontends[feKey{a, port, proto}] = append(x.frontends[feKey{a, port, proto}], feRef{p, KindExternalIP})
		}
		for _, a := range rec.lbIPs {
			x.frontends[feKey{a, port, proto}] = append(x.frontends[feKey{a, port, proto}], feRef{p, KindLoadBalancer})
		}
		if p.sp.NodePort != 0 {
			k := portProto{uint16(p.sp.NodePort), proto}
			x.nodePorts[k] = append(x.nodePorts[k], p)
		}
	}
	for _, a := range rec.clusterIPs {
		x.own(a, owner(RoleClusterIP))
	}
	for _, a := range rec.externalIPs {
		x.own(a, owner(RoleServiceExtIP))
	}
	for _, a := range rec.lbIPs {
		x.own(a, owner(RoleLoadBalancer))
	}
}

// addSlices attaches every EndpointSlice's endpoints to the Service ports
// they serve. As in kube-proxy, a slice port belongs to the Service port with
// the same name and protocol, and an endpoint is its first address.
func (x *Index) addSlices(epSlices []discoveryv1.EndpointSlice, podNode map[string]string) {
	for i := range epSlices {
		sl := &epSlices[i]
		if sl.AddressType == discoveryv1.AddressTypeFQDN {
			continue
		}
		svc := x.svcByName[sl.Namespace+"/"+sl.Labels[discoveryv1.LabelServiceName]]
		if svc == nil {
			continue
		}
		for _, sp := range sl.Ports {
			if sp.Port == nil {
				continue
			}
			name := ""
			if sp.Name != nil {
				name = *sp.Name
			}
			proto := corev1.ProtocolTCP
			if sp.Protocol != nil {
				proto = *sp.Protocol
			}
			for _, p := range svc.ports {
				if p.sp.Name != name || cmp.Or(p.sp.Protocol, corev1.ProtocolTCP) != proto {
					continue
				}
				for _, ep := range sl.Endpoints {
					x.addEndpoint(p, sl.Namespace, ep, uint16(*sp.Port), podNode)
				}
			}
		}
	}
	for _, s := range x.services {
		for _, p := range s.ports {
			slices.SortFunc(p.eps, func(a, b *epRec) int { return cmp.Or(a.ap.Compare(b.ap), cmp.Compare(a.pod, b.pod)) })
			for _, e := range p.eps {
				k := epKey{e.ap, p.proto()}
				x.endpoints[k] = append(x.endpoints[k], epRef{p, e})
				if !slices.Contains(x.epAddrs[e.ap.Addr()], e) {
					x.epAddrs[e.ap.Addr()] = append(x.epAddrs[e.ap.Addr()], e)
				}
			}
		}
	}
}

func (x *Index) addEndpoint(p *portRec, ns string, ep discoveryv1.Endpoint, port uint16, podNode map[string]string) {
	if len(ep.Addresses) == 0 {
		return
	}
	a, ok := parseAddrOrCIDR(ep.Addresses[0])
	if !ok {
		return
	}
	c := ep.Conditions
	rec := &epRec{
		ap:          netip.AddrPortFrom(a, port),
		ready:       c.Ready == nil || *c.Ready,
		terminating: c.Terminating != nil && *c.Terminating,
	}
	rec.serving = rec.ready
	if rec.terminating {
		rec.ready = false // Calico never counts a terminating endpoint
	}
	if c.Serving != nil {
		rec.serving = *c.Serving
	}
	if ep.TargetRef != nil && ep.TargetRef.Kind == "Pod" {
		podNS := cmp.Or(ep.TargetRef.Namespace, ns)
		rec.pod = podNS + "/" + ep.TargetRef.Name
		rec.node = podNode[rec.pod]
	}
	if ep.NodeName != nil && *ep.NodeName != "" {
		rec.node = *ep.NodeName
	}
	if old := p.endpoint(rec.ap); old != nil {
		// The same endpoint in two slices (a slice being replaced): ready wins.
		old.ready = old.ready || rec.ready
		old.serving = old.serving || rec.serving
		old.terminating = old.terminating && rec.terminating
		old.node = cmp.Or(old.node, rec.node)
		old.pod = cmp.Or(old.pod, rec.pod)
		return
	}
	p.eps = append(p.eps, rec)
	p.byAP[rec.ap] = rec
}
