package annotate

import (
	"encoding/json"
	"net/netip"
	"reflect"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/model"
	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/parse"
)

func ip(s string) netip.Addr { return netip.MustParseAddr(s) }

func ownersOf(os []Owner) string {
	var parts []string
	for _, o := range os {
		parts = append(parts, o.String()+" "+strings.Join(o.Roles, "+"))
	}
	return strings.Join(parts, "; ")
}

func indexWorld() world {
	w := fixtureWorld()
	w.nodes = append(w.nodes, mkNode("n4", "192.168.1.14,fd00::14", "10.65.4.0/24",
		"IPv6Address=fd00::14/64", "IPv6VXLANTunnelAddr=fd00:65:4::1", "IPv4WireguardInterfaceAddr=10.65.4.9"))
	w.pods = append(w.pods,
		mkPod("default/dual", "n4", "10.65.4.7", "fd00:65:4::7"),
		mkPod("default/pending", "n4"),
		phase(mkPod("default/done", "n4", "10.65.4.8"), corev1.PodSucceeded),
		phase(mkPod("default/crashed", "n4", "10.65.4.10"), corev1.PodFailed),
		mkPod("default/old", "n3", "10.65.4.11"),
		mkPod("default/new", "n4", "10.65.4.11"),
		hostNet(mkPod("kube-system/agent", "n4", "10.0.0.14")),
	)
	return w
}

func TestIndexAddr(t *testing.T) {
	idx := indexWorld().index()
	tests := []struct{ addr, want string }{
		{"192.168.1.11", "node n1 IPv4Address+InternalIP+host-network-pod"},
		{"192.168.1.12", "node n2 IPv4Address+InternalIP"},
		{"10.65.0.1", "node n1 IPv4IPIPTunnelAddr"},
		{"10.65.2.1", "node n3 IPv4VXLANTunnelAddr"},
		{"fd00::14", "node n4 IPv6Address+InternalIP"},
		{"fd00:65:4::1", "node n4 IPv6VXLANTunnelAddr"},
		{"10.65.4.9", "node n4 IPv4WireguardInterfaceAddr"},
		{"10.65.4.7", "pod default/dual@n4 pod-ip"},
		{"fd00:65:4::7", "pod default/dual@n4 pod-ip"},
		{"10.65.4.8", ""},  // finished pod
		{"10.65.4.10", ""}, // failed pod
		{"10.65.4.11", "pod default/new@n4 pod-ip; pod default/old@n3 pod-ip"},
		{"10.0.0.14", "node n4 host-network-pod"}, // a host-network pod resolves to its node
		{"10.96.45.12", "svc default/web ClusterIP"},
		{"198.51.100.10", "svc default/secure LoadBalancer"},
		{"192.0.2.100", "svc default/maglev externalIP"},
		{"::ffff:10.65.0.5", "pod default/client@n1 pod-ip"}, // 4in6 unmapped
		{"203.0.113.1", ""},
	}
	for _, tc := range tests {
		if got := ownersOf(idx.Addr(ip(tc.addr))); got != tc.want {
			t.Errorf("Addr(%s) = %q, want %q", tc.addr, got, tc.want)
		}
	}
	notes := idx.AddrNotes(ip("10.65.4.11"))
	if len(notes) != 1 || notes[0].Code != CodeSharedIP || !strings.Contains(notes[0].Message, "default/new@n4, default/old@n3") {
		t.Errorf("recycled IP notes: %+v", notes)
	}
	if n := idx.NodeOf(ip("10.65.4.7")); n != "n4" {
		t.Errorf("NodeOf(pod) = %q", n)
	}
	if n := idx.NodeOf(ip("10.65.4.11")); n != "" {
		t.Errorf("NodeOf(recycled) = %q, want ambiguous", n)
	}
	if got := idx.NodeAddrs("n4"); !slices.Equal(got, []netip.Addr{ip("192.168.1.14"), ip("fd00::14")}) {
		t.Errorf("NodeAddrs(n4) = %v", got)
	}
}

func TestIndexPrefix(t *testing.T) {
	idx := indexWorld().index()
	tests := []struct{ cidr, want string }{
		{"10.65.1.0/26", "node n2 IPv4IPIPTunnelAddr+podCIDR+pods"},
		{"10.65.1.64/26", "node n2 podCIDR"},
		{"10.65.4.0/26", "node n3 pods; node n4 IPv4WireguardInterfaceAddr+podCIDR+pods"}, // n3's pod borrowed an n4 address
		{"10.65.0.5/32", "pod default/client@n1 pod-ip"},
		{"10.66.0.0/16", ""},
		{"fd00:65:4::/64", "node n4 IPv6VXLANTunnelAddr+pods"},
	}
	for _, tc := range tests {
		if got := ownersOf(idx.Prefix(netip.MustParsePrefix(tc.cidr))); got != tc.want {
			t.Errorf("Prefix(%s) = %q, want %q", tc.cidr, got, tc.want)
		}
	}
	if got := idx.Prefix(netip.MustParsePrefix("10.65.0.0/16")); len(got) != 4 {
		t.Errorf("pool covers %d nodes: %s", len(got), ownersOf(got))
	}
}

func TestIndexFrontendsAndEndpoints(t *testing.T) {
	idx := indexWorld().index()
	refs := func(rs []ServicePortRef) string {
		var s []string
		for _, r := range rs {
			s = append(s, r.String()+" "+string(r.Via)+" "+r.Node)
		}
		return strings.Join(s, "; ")
	}
	tests := []struct {
		addr  string
		port  uint16
		proto model.Proto
		want  string
	}{
		{"10.96.45.12", 80, model.ProtoTCP, "default/web:http ClusterIP "},
		{"10.96.45.12", 80, model.ProtoUDP, ""},
		{"10.96.0.10", 53, model.ProtoUDP, "kube-system/kube-dns:dns ClusterIP "},
		{"192.168.1.12", 30080, model.ProtoTCP, "default/web:http NodePort n2"},
		{"255.255.255.255", 30080, model.ProtoTCP, "default/web:http NodePortWildcard "},
		{"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 30080, model.ProtoTCP, "default/web:http NodePortWildcard "},
		{"10.65.0.30", 30080, model.ProtoTCP, ""}, // a pod address is not a NodePort address
		{"198.51.100.10", 443, model.ProtoTCP, "default/secure:https LoadBalancer "},
		{"192.0.2.100", 8080, model.ProtoTCP, "default/maglev:http ExternalIP "},
	}
	for _, tc := range tests {
		if got := refs(idx.Frontends(ip(tc.addr), tc.port, tc.proto)); got != tc.want {
			t.Errorf("Frontends(%s, %d, %s) = %q, want %q", tc.addr, tc.port, tc.proto, got, tc.want)
		}
	}
	if got := refs(idx.EndpointOf(netip.MustParseAddrPort("10.65.1.21:53"), model.ProtoUDP)); got != "kube-system/kube-dns:dns  " {
		t.Errorf("EndpointOf = %q", got)
	}
	n := idx.NameAddrPort(netip.MustParseAddrPort("10.65.0.30:8080"), model.ProtoTCP)
	if n.Text != "pod default/web-0@n1" || len(n.EndpointOf) != 1 || n.EndpointOf[0].TargetPort != "8080" {
		t.Errorf("NameAddrPort = %+v", n)
	}
	if n := idx.Name(ip("8.8.8.8")); !n.External || n.Text != "external" {
		t.Errorf("Name(external) = %+v", n)
	}
}

func TestIndexDeterministic(t *testing.T) {
	w := indexWorld()
	a := w.index()
	slices.Reverse(w.nodes)
	slices.Reverse(w.pods)
	slices.Reverse(w.svcs)
	slices.Reverse(w.slices)
	b := w.index()
	for _, s := range []string{"10.65.4.11", "192.168.1.11", "10.65.1.21"} {
		if !reflect.DeepEqual(a.Addr(ip(s)), b.Addr(ip(s))) || !reflect.DeepEqual(a.AddrNotes(ip(s)), b.AddrNotes(ip(s))) {
			t.Errorf("%s depends on input order", s)
		}
	}
	entries := natDump(t, cleanN1)
	ea, eb := ExplainNAT("n1", nil, entries, a), ExplainNAT("n1", nil, entries, b)
	ja, _ := json.Marshal(ea)
	jb, _ := json.Marshal(eb)
	if string(ja) != string(jb) {
		t.Error("ExplainNAT depends on input order")
	}
}

func TestIndexEmpty(t *testing.T) {
	idx := NewIndex(nil, nil, nil, nil)
	if len(idx.Addr(ip("10.0.0.1"))) != 0 || len(idx.Nodes()) != 0 {
		t.Error("empty index has owners")
	}
	rep := CheckNAT(map[string][]model.NATEntry{"n1": natDump(t, "10.96.0.1 port 443 proto 6 id 1 count 0 local 0")}, idx, nil)
	if got := findingCodes(rep.Findings); !slices.Equal(got, []string{"n1 no-service 10.96.0.1:443/TCP"}) {
		t.Errorf("got %q", got)
	}
}

func TestRoutesAnomalies(t *testing.T) {
	routes, _, err := parse.Collect(parse.Routes, strings.NewReader(`
   10.65.1.30/32: local workload in-pool idx 7
   10.65.0.30/32: remote workload in-pool nh 192.168.1.11
   10.65.2.0/26: remote workload in-pool nh 192.168.1.12
   10.65.7.0/26: remote workload in-pool nh 192.168.9.9
   10.99.0.1/32: remote host
`), parse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ann := Routes("n1", routes, fixtureWorld().index())
	want := [][]Code{
		{CodeRouteElsewhere},  // local route to n2's pod
		{CodeRouteElsewhere},  // remote route to this node's pod
		{CodeNextHopMismatch}, // block of n3 via n2
		{CodeUnknownNextHop},  // next hop of no node
		nil,                   // unknown host: info only
	}
	for i, a := range ann {
		if got := warnCodes(a.Notes); !slices.Equal(got, want[i]) {
			t.Errorf("%s: %v, want %v (%+v)", routes[i].Dest, got, want[i], a.Notes)
		}
	}
	if n := ann[4].Notes; len(n) != 1 || n[0].Code != CodeNoOwner || n[0].Message != "no Kubernetes object owns this address" {
		t.Errorf("unknown host: %+v", n)
	}
}

func TestIPSetsARPAffinity(t *testing.T) {
	idx := fixtureWorld().index()
	sets := readFixture(t, parse.IPSets, "ipsets-dump.stdout.txt")
	ann := IPSets(sets, idx)
	var got []string
	for _, a := range ann {
		for _, m := range a.Members {
			got = append(got, m.Text)
		}
	}
	want := []string{"pod default/api-7@n2", "pod default/probe@n3", "pod default/client@n1", "pod default/api-7@n2", "node n1, node n2, node n3"}
	if !slices.Equal(got, want) {
		t.Errorf("ipset members %q, want %q", got, want)
	}

	arp := readFixture(t, parse.ARP, "arp-dump.stdout.txt")
	aa := ARP(append(arp, model.ARPEntry{IP: ip("192.168.1.99")}), idx)
	if aa[0].Node != "n2" || aa[1].Node != "n3" || len(aa[0].Notes) != 0 || aa[2].Notes[0].Code != CodeNotANode {
		t.Errorf("arp: %+v", aa)
	}

	aff := readFixture(t, parse.NATAffinity, "nat-aff.stdout.txt")
	fa := Affinity(aff, idx)
	if fa[0].Client.Text != "pod default/client@n1" || fa[0].Service == nil || fa[0].Service.String() != "default/web:http" ||
		fa[0].Backend.Text != "pod default/web-1@n2" || len(fa[0].Notes) != 0 {
		t.Errorf("affinity: %+v", fa[0])
	}
}
