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

// Index is built once per run from the cluster's Nodes, Pods, Services and
// EndpointSlices and answers "who owns this address" for every row. It is
// read-only after NewIndex and safe for concurrent use.
type Index struct {
	addrs     map[netip.Addr][]Owner
	addrNotes map[netip.Addr][]Note
	nodes     map[string]*nodeRec
	nodeNames []string
	// podAddrs are the IPs of pods with their own network, sorted, for prefix lookups.
	podAddrs []podAddr

	services  []*svcRec
	svcByName map[string]*svcRec
	// frontends maps a ClusterIP, external IP or LoadBalancer IP with its port.
	frontends map[feKey][]feRef
	// nodePorts maps a NodePort and protocol to the service ports that use it.
	nodePorts map[portProto][]*portRec
	// endpoints maps an endpoint address, port and protocol to where it is listed.
	endpoints map[epKey][]epRef
	// epAddrs maps an endpoint address to its records (for naming backends
	// whose pod was not listed).
	epAddrs map[netip.Addr][]*epRec
}

type nodeRec struct {
	name string
	// hostAddrs are the node's own addresses (status and Calico's IPv4Address/IPv6Address).
	hostAddrs []netip.Addr
	// npAddrs are the addresses Calico is expected to put NodePorts on:
	// InternalIP and Calico's IPv4Address/IPv6Address (ExternalIPs are often
	// cloud NAT addresses the host does not have).
	npAddrs  []netip.Addr
	tunnels  []netip.Addr
	podCIDRs []netip.Prefix
	zone     string
}

type podAddr struct {
	addr netip.Addr
	node string
}

type feKey struct {
	addr  netip.Addr
	port  uint16
	proto model.Proto
}

type portProto struct {
	port  uint16
	proto model.Proto
}

type feRef struct {
	port *portRec
	via  FrontendKind
}

type epKey struct {
	ap    netip.AddrPort
	proto model.Proto
}

type epRef struct {
	port *portRec
	ep   *epRec
}

// NewIndex builds the index. Pods that have finished (Succeeded, Failed) or
// have no IP yet are left out; host-network pods resolve to their node. Any
// slice may be nil.
func NewIndex(nodes []corev1.Node, pods []corev1.Pod, services []corev1.Service, epSlices []discoveryv1.EndpointSlice) *Index {
	x := &Index{
		addrs:     map[netip.Addr][]Owner{},
		addrNotes: map[netip.Addr][]Note{},
		nodes:     map[string]*nodeRec{},
		svcByName: map[string]*svcRec{},
		frontends: map[feKey][]feRef{},
		nodePorts: map[portProto][]*portRec{},
		endpoints: map[epKey][]epRef{},
		epAddrs:   map[netip.Addr][]*epRec{},
	}
	for i := range nodes {
		x.addNode(&nodes[i])
	}
	podNode := map[string]string{}
	for i := range pods {
		p := &pods[i]
		podNode[p.Namespace+"/"+p.Name] = p.Spec.NodeName
		x.addPod(p)
	}
	for i := range services {
		x.addService(&services[i])
	}
	x.addSlices(epSlices, podNode)
	x.finish()
	return x
}

func (x *Index) own(a netip.Addr, o Owner) {
	if !a.IsValid() {
		return
	}
	a = a.Unmap()
	x.addrs[a] = addOwner(x.addrs[a], o)
}

// parseAddrOrCIDR reads "192.168.1.11" or "192.168.1.11/24" (Calico's annotation form).
func parseAddrOrCIDR(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	if p, err := netip.ParsePrefix(s); err == nil {
		return p.Addr().Unmap(), true
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}

func appendAddr(list []netip.Addr, a netip.Addr) []netip.Addr {
	if !slices.Contains(list, a) {
		list = append(list, a)
	}
	return list
}

func (x *Index) addNode(n *corev1.Node) {
	rec := x.nodes[n.Name]
	if rec == nil {
		rec = &nodeRec{name: n.Name}
		x.nodes[n.Name] = rec
		x.nodeNames = append(x.nodeNames, n.Name)
	}
	rec.zone = n.Labels[corev1.LabelTopologyZone]
	owner := func(role string) Owner { return Owner{Kind: OwnerNode, Name: n.Name, Roles: []string{role}} }
	for _, na := range n.Status.Addresses {
		if na.Type != corev1.NodeInternalIP && na.Type != corev1.NodeExternalIP {
			continue
		}
		a, ok := parseAddrOrCIDR(na.Address)
		if !ok {
			continue
		}
		x.own(a, owner(string(na.Type)))
		rec.hostAddrs = appendAddr(rec.hostAddrs, a)
		if na.Type == corev1.NodeInternalIP {
			rec.npAddrs = appendAddr(rec.npAddrs, a)
		}
	}
	for _, key := range calicoAddrAnnotations {
		v, ok := n.Annotations[key]
		if !ok {
			continue
		}
		a, ok := parseAddrOrCIDR(v)
		if !ok {
			continue
		}
		role := strings.TrimPrefix(key, "projectcalico.org/")
		x.own(a, owner(role))
		if strings.HasSuffix(role, "Address") {
			rec.hostAddrs = appendAddr(rec.hostAddrs, a)
			rec.npAddrs = appendAddr(rec.npAddrs, a)
		} else {
			rec.tunnels = appendAddr(rec.tunnels, a)
		}
	}
	cidrs := n.Spec.PodCIDRs
	if len(cidrs) == 0 && n.Spec.PodCIDR != "" {
		cidrs = []string{n.Spec.PodCIDR}
	}
	for _, c := range cidrs {
		if p, err := netip.ParsePrefix(c); err == nil {
			rec.podCIDRs = append(rec.podCIDRs, p.Masked())
		}
	}
}

func podIPs(p *corev1.Pod) []netip.Addr {
	var out []netip.Addr
	for _, ip := range p.Status.PodIPs {
		if a, ok := parseAddrOrCIDR(ip.IP); ok {
			out = appendAddr(out, a)
		}
	}
	if a, ok := parseAddrOrCIDR(p.Status.PodIP); ok {
		out = appendAddr(out, a)
	}
	return out
}

func (x *Index) addPod(p *corev1.Pod) {
	if p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
		return // finished: its IP is released and may already be someone else's
	}
	for _, a := range podIPs(p) {
		if p.Spec.HostNetwork {
			if p.Spec.NodeName != "" {
				x.own(a, Owner{Kind: OwnerNode, Name: p.Spec.NodeName, Roles: []string{RoleHostNetwork}})
			}
			continue
		}
		x.own(a, Owner{Kind: OwnerPod, Namespace: p.Namespace, Name: p.Name, Node: p.Spec.NodeName, Roles: []string{RolePodIP}})
		x.podAddrs = append(x.podAddrs, podAddr{addr: a, node: p.Spec.NodeName})
	}
}

func (x *Index) finish() {
	slices.Sort(x.nodeNames)
	for _, n := range x.nodes {
		slices.SortFunc(n.hostAddrs, netip.Addr.Compare)
		slices.SortFunc(n.npAddrs, netip.Addr.Compare)
		slices.SortFunc(n.tunnels, netip.Addr.Compare)
	}
	slices.SortFunc(x.podAddrs, func(a, b podAddr) int {
		return cmp.Or(a.addr.Compare(b.addr), cmp.Compare(a.node, b.node))
	})
	for a, owners := range x.addrs {
		slices.SortFunc(owners, compareOwners)
		var pods []string
		for _, o := range owners {
			if o.Kind == OwnerPod {
				pods = append(pods, o.Namespace+"/"+o.Name+"@"+o.Node)
			}
		}
		if len(pods) > 1 {
			x.addrNotes[a] = append(x.addrNotes[a], warnf(CodeSharedIP,
				"%d pods claim %s: %s (a recycled IP, or a pod object the API has not cleaned up)",
				len(pods), a, strings.Join(pods, ", ")))
		}
	}
	slices.SortFunc(x.services, func(a, b *svcRec) int {
		return cmp.Or(cmp.Compare(a.ns, b.ns), cmp.Compare(a.name, b.name))
	})
	for k, refs := range x.frontends {
		slices.SortFunc(refs, func(a, b feRef) int { return compareRefs(a.port.ref(), b.port.ref()) })
		x.frontends[k] = refs
	}
	for k, refs := range x.endpoints {
		slices.SortFunc(refs, func(a, b epRef) int { return compareRefs(a.port.ref(), b.port.ref()) })
		x.endpoints[k] = refs
	}
}
