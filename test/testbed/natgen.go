package testbed

// NAT maps computed from the cluster.
//
// The fixtures' NAT dumps come from a static three-node world, so on a live test bed they
// disagree with the Services and EndpointSlices and `nat --check` reports drift on every node.
// Instead, each node's `nat dump` answer is generated from the live objects the way Calico's
// kube-proxy replacement programs its NAT maps (calico-bpf-formats.md §2.2), then printed in
// the node's Calico version's format (natgen_format.go). A test can then break one node with
// DriftNAT and see only that node's drift.
//
// The rules, per node and address family:
//
//   - Every port of every Service that has a ClusterIP of the family (not ExternalName, not
//     headless) gets one id, shared by all the frontends derived from it. Ids are assigned
//     over the whole cluster: Services sorted by namespace and name, their ports by number,
//     protocol and name, from 1 (0 is bpfNetworkBootstrap's). They are the same on every node
//     and in both families.
//   - Backends are the ready endpoints of the port (EndpointSlice port matched by name and
//     protocol; the slice's port number is the resolved targetPort; an endpoint is its first
//     address; ready = conditions.ready unset or true, and not terminating), deduplicated by
//     address and port, this node's first (endpoint nodeName), each group sorted by address.
//     count is their number, local the number on this node.
//   - Frontends of the port, all with its id, count and local: the ClusterIP; each externalIP
//     and LoadBalancer ingress IP; with a nodePort, the NodePort on each of this node's
//     addresses (InternalIP, ExternalIP, projectcalico.org/IPv4Address and IPv6Address) and on
//     the wildcard 255.255.255.255 (IPv6: all ones).
//   - loadBalancerSourceRanges: an externalIP or LoadBalancer IP gets a blackhole key (count
//     -1, no backends) and one key per source range of the family, with src and the backends.
//   - internalTrafficPolicy Local with a nodePort: no wildcard. Each other node that has ready
//     endpoints of the port gets a frontend on its first address (InternalIP or Calico address,
//     sorted, then ExternalIP) and the nodePort, with its own id and only that node's endpoints
//     (local 0). Those ids follow the service-port ids, one per (service port, node) over all
//     nodes, so they too are the same on every node.
//   - Flags: internal-local on the frontends that share the id of an internalTrafficPolicy
//     Local port; external-local on the externalIP, LoadBalancer and NodePort frontends (and
//     the source-range keys) of an externalTrafficPolicy Local Service. Blackhole keys carry no
//     flags. nat-exclude and maglev are never set: the test bed configures neither.
//
// Not modelled: topology-aware routing (hints; Calico would filter backends per node),
// session affinity (not in the dump), BPFExcludeCIDRsFromNAT, Maglev, and dual-stack Services'
// IPv6 side on the live test bed (only the IPv4 dump is generated there; GenerateNAT does IPv6).

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/kubernetes"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/calico"
	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/model"
	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/parse"
)

// NATObjects are the cluster objects a node's NAT map is computed from.
type NATObjects struct {
	Nodes    []corev1.Node
	Services []corev1.Service
	Slices   []discoveryv1.EndpointSlice
}

// natPort is one Service port as Calico's kube-proxy sees it.
type natPort struct {
	svc *corev1.Service
	sp  corev1.ServicePort
	id  uint32
	eps []*natEP // deduplicated by address and port, sorted
}

type natEP struct {
	ap    netip.AddrPort
	node  string
	ready bool
}

// natPlan is the cluster-wide part of the computation: ports with ids and endpoints, node
// addresses, and the ids of internalTrafficPolicy Local NodePorts on remote nodes.
type natPlan struct {
	ports []*natPort
	// nodeAddrs are each node's addresses, the preferred (InternalIP, Calico's) first.
	nodeAddrs map[string][]netip.Addr
	// remoteIDs maps a port and a node to the id of that port's NodePort on that node.
	remoteIDs map[remoteKey]uint32
}

type remoteKey struct {
	port *natPort
	node string
}

// GenerateNAT computes node's NAT map of one address family: the entries Calico's
// kube-proxy replacement would program from objs, sorted by frontend (address, port,
// protocol, source range). Backends carry their id and ordinal; blackhole and empty
// frontends have nil backends.
func GenerateNAT(objs NATObjects, node string, ipv6 bool) []model.NATEntry {
	return planNAT(objs).entries(node, ipv6)
}

func planNAT(objs NATObjects) *natPlan {
	p := &natPlan{nodeAddrs: map[string][]netip.Addr{}, remoteIDs: map[remoteKey]uint32{}}
	var nodeNames []string
	for i := range objs.Nodes {
		n := &objs.Nodes[i]
		nodeNames = append(nodeNames, n.Name)
		p.nodeAddrs[n.Name] = natNodeAddrs(n)
	}
	slices.Sort(nodeNames)

	svcs := make([]*corev1.Service, 0, len(objs.Services))
	for i := range objs.Services {
		s := &objs.Services[i]
		if s.Spec.Type == corev1.ServiceTypeExternalName || len(clusterIPs(s)) == 0 {
			continue // kube-proxy programs nothing for these (headless included)
		}
		svcs = append(svcs, s)
	}
	slices.SortFunc(svcs, func(a, b *corev1.Service) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
	byName := map[string][]*natPort{}
	for _, s := range svcs {
		var ports []*natPort
		for _, sp := range s.Spec.Ports {
			ports = append(ports, &natPort{svc: s, sp: sp})
		}
		slices.SortStableFunc(ports, func(a, b *natPort) int {
			return cmp.Or(cmp.Compare(a.sp.Port, b.sp.Port), cmp.Compare(protoOf(a.sp.Protocol), protoOf(b.sp.Protocol)), cmp.Compare(a.sp.Name, b.sp.Name))
		})
		p.ports = append(p.ports, ports...)
		byName[s.Namespace+"/"+s.Name] = ports
	}
	for i, port := range p.ports {
		port.id = uint32(i + 1)
	}
	next := uint32(len(p.ports) + 1)
	for _, port := range p.ports {
		if itpLocal(port.svc) && port.sp.NodePort != 0 {
			for _, n := range nodeNames {
				p.remoteIDs[remoteKey{port, n}] = next
				next++
			}
		}
	}

	for i := range objs.Slices {
		sl := &objs.Slices[i]
		if sl.AddressType == discoveryv1.AddressTypeFQDN {
			continue
		}
		for _, slp := range sl.Ports {
			if slp.Port == nil {
				continue
			}
			name := ""
			if slp.Name != nil {
				name = *slp.Name
			}
			proto := corev1.ProtocolTCP
			if slp.Protocol != nil {
				proto = *slp.Protocol
			}
			for _, port := range byName[sl.Namespace+"/"+sl.Labels[discoveryv1.LabelServiceName]] {
				if port.sp.Name != name || protoOf(port.sp.Protocol) != protoOf(proto) {
					continue
				}
				for _, ep := range sl.Endpoints {
					port.addEndpoint(ep, uint16(*slp.Port))
				}
			}
		}
	}
	for _, port := range p.ports {
		slices.SortFunc(port.eps, func(a, b *natEP) int { return a.ap.Compare(b.ap) })
	}
	return p
}

func (port *natPort) addEndpoint(ep discoveryv1.Endpoint, num uint16) {
	if len(ep.Addresses) == 0 {
		return
	}
	a, err := netip.ParseAddr(ep.Addresses[0])
	if err != nil {
		return
	}
	c := ep.Conditions
	rec := &natEP{
		ap:    netip.AddrPortFrom(a.Unmap(), num),
		ready: (c.Ready == nil || *c.Ready) && (c.Terminating == nil || !*c.Terminating),
	}
	if ep.NodeName != nil {
		rec.node = *ep.NodeName
	}
	for _, old := range port.eps {
		if old.ap == rec.ap { // listed by two slices while one replaces the other
			old.ready = old.ready || rec.ready
			old.node = cmp.Or(old.node, rec.node)
			return
		}
	}
	port.eps = append(port.eps, rec)
}

func (p *natPlan) entries(node string, ipv6 bool) []model.NATEntry {
	var out []model.NATEntry
	for _, port := range p.ports {
		out = append(out, p.portEntries(port, node, ipv6)...)
	}
	slices.SortStableFunc(out, func(a, b model.NATEntry) int { return compareNATFrontends(a.Frontend, b.Frontend) })
	return out
}

func (p *natPlan) portEntries(port *natPort, node string, ipv6 bool) []model.NATEntry {
	s := port.svc
	cips := ofFamily(clusterIPs(s), ipv6)
	if len(cips) == 0 {
		return nil
	}
	var local, remote []netip.AddrPort
	for _, e := range port.eps {
		if !e.ready || e.ap.Addr().Is6() != ipv6 {
			continue
		}
		if node != "" && e.node == node {
			local = append(local, e.ap)
		} else {
			remote = append(remote, e.ap)
		}
	}
	backends := natBackends(port.id, append(local, remote...))
	proto := protoOf(port.sp.Protocol)
	svcPort := uint16(port.sp.Port)
	var baseFlags, extFlags model.NATFlags
	if itpLocal(s) {
		baseFlags |= model.NATInternalLocal
	}
	extFlags = baseFlags
	if s.Spec.ExternalTrafficPolicy == corev1.ServiceExternalTrafficPolicyLocal {
		extFlags |= model.NATExternalLocal
	}
	fe := func(addr netip.Addr, num uint16, flags model.NATFlags) model.NATEntry {
		return model.NATEntry{
			Frontend: model.NATFrontend{Addr: addr, Port: num, Proto: proto, ID: port.id,
				Count: int64(len(backends)), Local: uint32(len(local)), Flags: flags},
			Backends: backends,
		}
	}
	out := []model.NATEntry{fe(cips[0], svcPort, baseFlags)}

	ranges := sourceRanges(s)
	for _, a := range ofFamily(externalAddrs(s), ipv6) {
		if len(ranges) == 0 {
			out = append(out, fe(a, svcPort, extFlags))
			continue
		}
		out = append(out, model.NATEntry{Frontend: model.NATFrontend{Addr: a, Port: svcPort, Proto: proto,
			ID: port.id, Count: model.BlackholeCount}})
		for _, r := range ranges {
			if r.Addr().Is6() != ipv6 {
				continue
			}
			e := fe(a, svcPort, extFlags)
			e.Frontend.SrcCIDR = r
			out = append(out, e)
		}
	}

	if port.sp.NodePort == 0 {
		return out
	}
	np := uint16(port.sp.NodePort)
	for _, a := range ofFamily(p.nodeAddrs[node], ipv6) {
		out = append(out, fe(a, np, extFlags))
	}
	if !itpLocal(s) {
		return append(out, fe(natWildcard(ipv6), np, extFlags))
	}
	// internalTrafficPolicy Local: one frontend per other node with ready endpoints, with
	// its own id and only that node's endpoints.
	byNode := map[string][]netip.AddrPort{}
	for _, e := range port.eps {
		if e.ready && e.ap.Addr().Is6() == ipv6 && e.node != "" && e.node != node {
			byNode[e.node] = append(byNode[e.node], e.ap)
		}
	}
	for _, n := range slices.Sorted(maps.Keys(byNode)) {
		addrs := ofFamily(p.nodeAddrs[n], ipv6)
		id, ok := p.remoteIDs[remoteKey{port, n}]
		if len(addrs) == 0 || !ok {
			continue
		}
		bes := natBackends(id, byNode[n])
		out = append(out, model.NATEntry{
			Frontend: model.NATFrontend{Addr: addrs[0], Port: np, Proto: proto, ID: id,
				Count: int64(len(bes)), Flags: extFlags &^ model.NATInternalLocal},
			Backends: bes,
		})
	}
	return out
}

func natBackends(id uint32, aps []netip.AddrPort) []model.NATBackend {
	if len(aps) == 0 {
		return nil
	}
	out := make([]model.NATBackend, len(aps))
	for i, ap := range aps {
		out[i] = model.NATBackend{Addr: ap.Addr(), Port: ap.Port(), ID: id, Ordinal: uint32(i)}
	}
	return out
}

// compareNATFrontends orders frontends by address, port, protocol and source range (none first).
func compareNATFrontends(a, b model.NATFrontend) int {
	return cmp.Or(a.Addr.Compare(b.Addr), cmp.Compare(a.Port, b.Port), cmp.Compare(a.Proto, b.Proto),
		cmp.Compare(srcRank(a.SrcCIDR), srcRank(b.SrcCIDR)),
		a.SrcCIDR.Addr().Compare(b.SrcCIDR.Addr()), cmp.Compare(a.SrcCIDR.Bits(), b.SrcCIDR.Bits()))
}

func srcRank(p netip.Prefix) int {
	if p.IsValid() {
		return 1
	}
	return 0
}

func natWildcard(ipv6 bool) netip.Addr {
	if ipv6 {
		return netip.MustParseAddr("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")
	}
	return netip.MustParseAddr("255.255.255.255")
}

func itpLocal(s *corev1.Service) bool {
	return s.Spec.InternalTrafficPolicy != nil && *s.Spec.InternalTrafficPolicy == corev1.ServiceInternalTrafficPolicyLocal
}

func protoOf(p corev1.Protocol) model.Proto {
	switch p {
	case corev1.ProtocolUDP:
		return model.ProtoUDP
	case corev1.ProtocolSCTP:
		return model.ProtoSCTP
	}
	return model.ProtoTCP
}

// parseNATAddr reads an address, or the address of Calico's "192.168.1.11/24" form.
func parseNATAddr(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	if p, err := netip.ParsePrefix(s); err == nil {
		return p.Addr().Unmap(), true
	}
	a, err := netip.ParseAddr(s)
	return a.Unmap(), err == nil
}

func parseAddrs(list []string) []netip.Addr {
	var out []netip.Addr
	for _, s := range list {
		if a, ok := parseNATAddr(s); ok && !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	return out
}

func clusterIPs(s *corev1.Service) []netip.Addr {
	ips := s.Spec.ClusterIPs
	if len(ips) == 0 {
		ips = []string{s.Spec.ClusterIP}
	}
	return parseAddrs(ips) // "None" and "" do not parse
}

// externalAddrs are the Service's externalIPs and LoadBalancer ingress IPs (one map key
// each, however many ways the Service names it).
func externalAddrs(s *corev1.Service) []netip.Addr {
	ips := slices.Clone(s.Spec.ExternalIPs)
	for _, in := range s.Status.LoadBalancer.Ingress {
		ips = append(ips, in.IP)
	}
	return parseAddrs(ips)
}

func sourceRanges(s *corev1.Service) []netip.Prefix {
	var out []netip.Prefix
	for _, r := range s.Spec.LoadBalancerSourceRanges {
		r = strings.TrimSpace(r)
		if p, err := netip.ParsePrefix(r); err == nil {
			out = append(out, p.Masked())
		} else if a, err := netip.ParseAddr(r); err == nil {
			out = append(out, netip.PrefixFrom(a, a.BitLen()))
		}
	}
	return out
}

func ofFamily(addrs []netip.Addr, ipv6 bool) []netip.Addr {
	var out []netip.Addr
	for _, a := range addrs {
		if a.Is6() == ipv6 {
			out = append(out, a)
		}
	}
	return out
}

// natNodeAddrs lists the addresses Calico puts a node's NodePorts on: InternalIP and Calico's
// IPv4Address/IPv6Address (sorted), then ExternalIP (sorted). The first of a family is the
// one a remote node's internalTrafficPolicy Local NodePort is programmed on.
func natNodeAddrs(n *corev1.Node) []netip.Addr {
	var primary, external []netip.Addr
	add := func(list *[]netip.Addr, s string) {
		if a, ok := parseNATAddr(s); ok && !slices.Contains(primary, a) && !slices.Contains(external, a) {
			*list = append(*list, a)
		}
	}
	for _, na := range n.Status.Addresses {
		if na.Type == corev1.NodeInternalIP {
			add(&primary, na.Address)
		}
	}
	for _, key := range []string{"projectcalico.org/IPv4Address", "projectcalico.org/IPv6Address"} {
		if v, ok := n.Annotations[key]; ok {
			add(&primary, v)
		}
	}
	for _, na := range n.Status.Addresses {
		if na.Type == corev1.NodeExternalIP {
			add(&external, na.Address)
		}
	}
	slices.SortFunc(primary, netip.Addr.Compare)
	slices.SortFunc(external, netip.Addr.Compare)
	return append(primary, external...)
}

// ---- The test bed: writing the nodes' data ----

// NAT data keys the generated maps replace. nat-dump-v6 keeps the fixtures' IPv6 world.
const (
	natKeyText        = "nat-dump"
	natKeyJSON        = "nat-dump-json"
	natKeyGrouped     = "nat-dump-grouped"
	natKeyGroupedJSON = "nat-dump-grouped-json"
)

// natSettleTimeout bounds the wait for EndpointSlices to catch up with the pods before a
// node's map is generated (normally they already have).
const natSettleTimeout = 10 * time.Second

// generateNAT replaces the fixture NAT dumps in a freshly rendered node data dir with maps
// computed from the live objects. It waits (bounded) for every selector Service's
// EndpointSlices to list exactly its ready pods, so that a map is not generated from slices
// the endpoint controller has not updated yet.
func (c *Controller) generateNAT(ctx context.Context, node, version, dir string) error {
	if calico.ParseVersion(version) == nil {
		return nil // not a release ("latest"): keep the fixtures
	}
	objs, settled, err := settledNATObjects(ctx, c.kube, natSettleTimeout)
	if err != nil {
		return err
	}
	if !settled && c.log != nil {
		fmt.Fprintf(c.log, "%s natgen: EndpointSlices differ from the ready pods (waited up to %s); generating node %s's NAT map anyway\n",
			time.Now().Format(time.RFC3339), natSettleTimeout, node)
	}
	return writeNATData(dir, version, GenerateNAT(objs, node, false))
}

// listNATObjects reads the objects GenerateNAT needs.
func listNATObjects(ctx context.Context, kc kubernetes.Interface) (NATObjects, error) {
	var objs NATObjects
	nodes, err := kc.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return objs, fmt.Errorf("list nodes: %w", err)
	}
	svcs, err := kc.CoreV1().Services("").List(ctx, metav1.ListOptions{})
	if err != nil {
		return objs, fmt.Errorf("list services: %w", err)
	}
	sls, err := kc.DiscoveryV1().EndpointSlices("").List(ctx, metav1.ListOptions{})
	if err != nil {
		return objs, fmt.Errorf("list endpointslices: %w", err)
	}
	return NATObjects{Nodes: nodes.Items, Services: svcs.Items, Slices: sls.Items}, nil
}

// natGaveUp is when settledNATObjects last timed out (Unix nanoseconds). Within a minute of
// that it does not wait again, so that a world it misjudges costs one wait, not one per node.
var natGaveUp atomic.Int64

// settledNATObjects lists the objects until the EndpointSlices agree with the pods, or
// until timeout; settled says which.
func settledNATObjects(ctx context.Context, kc kubernetes.Interface, timeout time.Duration) (NATObjects, bool, error) {
	if time.Since(time.Unix(0, natGaveUp.Load())) < time.Minute {
		timeout = 0
	}
	deadline := time.Now().Add(timeout)
	for {
		objs, err := listNATObjects(ctx, kc)
		if err != nil {
			return objs, false, err
		}
		pods, err := kc.CoreV1().Pods("").List(ctx, metav1.ListOptions{})
		if err != nil {
			return objs, false, fmt.Errorf("list pods: %w", err)
		}
		if endpointsSettled(objs, pods.Items) {
			return objs, true, nil
		}
		if !time.Now().Before(deadline) {
			natGaveUp.Store(time.Now().UnixNano())
			return objs, false, nil
		}
		select {
		case <-ctx.Done():
			return objs, false, ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// endpointsSettled reports whether every Service with a selector has, over all its
// EndpointSlices, ready endpoint addresses that are exactly the IPs of its ready pods.
func endpointsSettled(objs NATObjects, pods []corev1.Pod) bool {
	readyEPs := map[string]map[string]bool{}
	for _, sl := range objs.Slices {
		key := sl.Namespace + "/" + sl.Labels[discoveryv1.LabelServiceName]
		for _, ep := range sl.Endpoints {
			c := ep.Conditions
			if len(ep.Addresses) == 0 || (c.Ready != nil && !*c.Ready) || (c.Terminating != nil && *c.Terminating) {
				continue
			}
			if readyEPs[key] == nil {
				readyEPs[key] = map[string]bool{}
			}
			readyEPs[key][ep.Addresses[0]] = true
		}
	}
	for i := range objs.Services {
		s := &objs.Services[i]
		if len(s.Spec.Selector) == 0 || s.Spec.Type == corev1.ServiceTypeExternalName {
			continue
		}
		sel := labels.SelectorFromSet(s.Spec.Selector)
		want := map[string]bool{}
		for j := range pods {
			p := &pods[j]
			if p.Namespace == s.Namespace && p.Status.PodIP != "" && p.DeletionTimestamp == nil &&
				podReady(p) && sel.Matches(labels.Set(p.Labels)) {
				want[p.Status.PodIP] = true
			}
		}
		got := readyEPs[s.Namespace+"/"+s.Name]
		if len(got) != len(want) {
			return false
		}
		for ip := range want {
			if !got[ip] {
				return false
			}
		}
	}
	return true
}

func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// writeNATData writes a node data dir's IPv4 NAT dumps for a Calico version: the text dump,
// and from v3.31.5 the JSON and --group-by-service dumps; a version without -j gets no JSON
// files (the fake refuses -j there anyway).
func writeNATData(dir, version string, entries []model.NATEntry) error {
	f, err := natFormatFor(version)
	if err != nil {
		return err
	}
	path := func(key string) string { return filepath.Join(dir, key+".stdout.txt") }
	if err := os.WriteFile(path(natKeyText), f.text(entries), 0o644); err != nil {
		return err
	}
	if !f.json {
		for _, key := range []string{natKeyJSON, natKeyGrouped, natKeyGroupedJSON} {
			if err := os.Remove(path(key)); err != nil && !os.IsNotExist(err) {
				return err
			}
		}
		return nil
	}
	if err := os.WriteFile(path(natKeyGrouped), f.groupedText(entries), 0o644); err != nil {
		return err
	}
	for _, key := range []string{natKeyJSON, natKeyGroupedJSON} {
		data, err := f.jsonDump(entries, key == natKeyGroupedJSON)
		if err != nil {
			return err
		}
		if err := os.WriteFile(path(key), data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// ---- Tests' handles: refresh and drift ----

// RefreshNAT regenerates the NAT dumps of the given nodes (all nodes when none) in every
// Calico version's data dir they have, from the live objects. Node data is rendered once per
// (node, version), when its calico-node pod is first wired; a test that changes Services or
// endpoints afterwards calls this, as Felix would resync. It also undoes DriftNAT.
func (c *Cluster) RefreshNAT(ctx context.Context, nodes ...string) error {
	objs, _, err := settledNATObjects(ctx, c.Kube, natSettleTimeout)
	if err != nil {
		return err
	}
	if len(nodes) == 0 {
		for _, n := range objs.Nodes {
			nodes = append(nodes, n.Name)
		}
	}
	for _, node := range nodes {
		dirs, err := c.natDirs(node)
		if err != nil {
			return err
		}
		entries := GenerateNAT(objs, node, false)
		for _, d := range dirs {
			if err := writeNATData(d.dir, d.version, entries); err != nil {
				return fmt.Errorf("node %s (%s): %w", node, d.version, err)
			}
		}
	}
	return nil
}

type natDir struct{ dir, version string }

// natDirs lists a node's rendered data dirs that hold a NAT dump, by version.
func (c *Cluster) natDirs(node string) ([]natDir, error) {
	root := filepath.Join(c.Dir, "nodes", node)
	ents, err := os.ReadDir(root)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []natDir
	for _, e := range ents {
		d := filepath.Join(root, e.Name())
		if _, err := os.Stat(filepath.Join(d, natKeyText+".stdout.txt")); e.IsDir() && err == nil {
			out = append(out, natDir{d, e.Name()})
		}
	}
	return out, nil
}

// NATDrift describes what DriftNAT did to a node's NAT map. Frontends are written as
// annotate's Finding.Frontend: "addr:port/PROTO[ src CIDR]".
type NATDrift struct {
	Node string
	// Versions are the Calico versions whose data dirs were rewritten.
	Versions []string
	// Service is "namespace/name:port/PROTO" of the service port that lost a backend, and
	// ServiceID its id.
	Service   string
	ServiceID uint32
	// RemovedBackend was taken out of every frontend with ServiceID (count and, if it was
	// local, local one less): the "missing backend" drift. RemovedLocal says whether it ran
	// on Node.
	RemovedBackend netip.AddrPort
	RemovedLocal   bool
	// Frontends are the frontends that lost it: the ClusterIP first, then the derived ones
	// in dump order. The ClusterIP's count is now one less than the ready endpoints.
	Frontends []string
	// StaleFrontend was added: an address in no Service (Stale in 10.96.0.0/12 when free),
	// port 80/TCP, a fresh id, count 0: a deleted Service Felix did not clean up.
	StaleFrontend string
	StaleID       uint32
}

// DriftNAT breaks one node's NAT map, in all its Calico versions' data dirs: it removes one
// backend from one service port and adds a stale frontend. The service port is the one with
// the lowest id whose ClusterIP frontend has at least two backends (else one), among those
// not of the default/kubernetes Service; the backend is its last ordinal (a remote one when
// the port has any). Calling it twice drifts twice; RefreshNAT heals.
//
// What `nat --check` then reports on that node (annotate codes): wrong-count and
// missing-backend on each frontend in Frontends; cross-node-backends for those of them that
// other nodes also have (all but the node's own NodePort addresses); no-service on
// StaleFrontend and cross-node-frontend for it. RemovedLocal adds wrong-local. Nothing on the
// other nodes.
func (c *Cluster) DriftNAT(ctx context.Context, node string) (*NATDrift, error) {
	dirs, err := c.natDirs(node)
	if err != nil {
		return nil, err
	}
	if len(dirs) == 0 {
		return nil, fmt.Errorf("node %s has no NAT data under %s", node, filepath.Join(c.Dir, "nodes", node))
	}
	objs, err := listNATObjects(ctx, c.Kube)
	if err != nil {
		return nil, err
	}
	// Pick the victim from the generated map, so that every version's dir gets the same.
	entries := GenerateNAT(objs, node, false)
	drift, err := pickNATDrift(planNAT(objs), entries, objs)
	if err != nil {
		return nil, err
	}
	drift.Node = node
	for _, d := range dirs {
		raw, err := os.ReadFile(filepath.Join(d.dir, natKeyText+".stdout.txt"))
		if err != nil {
			return nil, err
		}
		var cur []model.NATEntry
		rep, err := parse.NAT(strings.NewReader(string(raw)), parse.Options{Format: parse.FormatText}, func(e model.NATEntry) error {
			e.Backends = slices.Clone(e.Backends)
			cur = append(cur, e)
			return nil
		})
		if err != nil || len(rep.Warnings) > 0 {
			return nil, fmt.Errorf("node %s (%s): read NAT dump: %v %v", node, d.version, err, rep.Warnings)
		}
		drifted, ok := applyNATDrift(cur, drift)
		if !ok {
			return nil, fmt.Errorf("node %s (%s): the NAT dump has no backend %s under %s; it is older than the cluster's objects (RefreshNAT first)",
				node, d.version, drift.RemovedBackend, drift.Frontends[0])
		}
		if err := writeNATData(d.dir, d.version, drifted); err != nil {
			return nil, err
		}
		drift.Versions = append(drift.Versions, d.version)
	}
	return drift, nil
}

// pickNATDrift chooses the backend to remove and the stale frontend to add.
func pickNATDrift(p *natPlan, entries []model.NATEntry, objs NATObjects) (*NATDrift, error) {
	var victim *model.NATEntry
	var vport *natPort
	maxID := uint32(0)
	for i := range entries {
		maxID = max(maxID, entries[i].Frontend.ID)
	}
	for _, want := range []int64{2, 1} {
		for _, port := range p.ports {
			if port.svc.Namespace+"/"+port.svc.Name == "default/kubernetes" {
				continue
			}
			cips := ofFamily(clusterIPs(port.svc), false)
			if len(cips) == 0 {
				continue
			}
			for i := range entries {
				f := entries[i].Frontend
				if f.ID == port.id && f.Addr == cips[0] && f.Port == uint16(port.sp.Port) && f.Count >= want {
					victim, vport = &entries[i], port
					break
				}
			}
			if victim != nil {
				break
			}
		}
		if victim != nil {
			break
		}
	}
	if victim == nil {
		return nil, fmt.Errorf("no service port with a backend to remove")
	}
	last := victim.Backends[len(victim.Backends)-1]
	d := &NATDrift{
		Service:        fmt.Sprintf("%s/%s:%d/%s", vport.svc.Namespace, vport.svc.Name, vport.sp.Port, protoOf(vport.sp.Protocol)),
		ServiceID:      victim.Frontend.ID,
		RemovedBackend: netip.AddrPortFrom(last.Addr, last.Port),
		RemovedLocal:   last.Ordinal < victim.Frontend.Local,
	}
	d.Frontends = append(d.Frontends, natFrontendText(victim.Frontend))
	for i := range entries {
		if f := entries[i].Frontend; f.ID == d.ServiceID && !f.Blackhole() && &entries[i] != victim {
			d.Frontends = append(d.Frontends, natFrontendText(f))
		}
	}
	used := map[netip.Addr]bool{}
	for i := range objs.Services {
		s := &objs.Services[i]
		for _, a := range append(clusterIPs(s), externalAddrs(s)...) {
			used[a] = true
		}
	}
	for _, e := range entries {
		used[e.Frontend.Addr] = true
	}
	stale := netip.MustParseAddr("10.96.254.254")
	for used[stale] {
		stale = stale.Prev()
	}
	d.StaleID = maxID + 1
	d.StaleFrontend = natFrontendText(model.NATFrontend{Addr: stale, Port: 80, Proto: model.ProtoTCP})
	return d, nil
}

// applyNATDrift removes the backend from the frontends of the service port (found by the
// ClusterIP key, since a dir rendered from older objects may number ids differently) and
// adds the stale frontend. ok is false when the ClusterIP frontend does not have the backend.
func applyNATDrift(entries []model.NATEntry, d *NATDrift) (out []model.NATEntry, ok bool) {
	id := d.ServiceID
	for _, e := range entries {
		if natFrontendText(e.Frontend) == d.Frontends[0] {
			id = e.Frontend.ID
		}
	}
	out = make([]model.NATEntry, 0, len(entries)+1)
	for _, e := range entries {
		if e.Frontend.ID == id && !e.Frontend.Blackhole() {
			var kept []model.NATBackend
			for _, b := range e.Backends {
				if netip.AddrPortFrom(b.Addr, b.Port) == d.RemovedBackend && !b.Missing {
					if b.Ordinal < e.Frontend.Local {
						e.Frontend.Local--
					}
					ok = ok || natFrontendText(e.Frontend) == d.Frontends[0]
					continue
				}
				b.Ordinal = uint32(len(kept))
				kept = append(kept, b)
			}
			e.Backends = kept
			e.Frontend.Count = int64(len(kept))
		}
		out = append(out, e)
	}
	stale, _ := netip.ParseAddrPort(strings.TrimSuffix(d.StaleFrontend, "/TCP"))
	out = append(out, model.NATEntry{Frontend: model.NATFrontend{Addr: stale.Addr(), Port: stale.Port(),
		Proto: model.ProtoTCP, ID: d.StaleID}})
	slices.SortStableFunc(out, func(a, b model.NATEntry) int { return compareNATFrontends(a.Frontend, b.Frontend) })
	return out, ok
}

// natFrontendText is annotate's frontend key text: "addr:port/PROTO[ src CIDR]".
func natFrontendText(f model.NATFrontend) string {
	s := netip.AddrPortFrom(f.Addr, f.Port).String() + "/" + f.Proto.String()
	if f.SrcCIDR.IsValid() && f.SrcCIDR.Bits() > 0 {
		s += " src " + f.SrcCIDR.Masked().String()
	}
	return s
}
