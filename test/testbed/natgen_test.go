package testbed

import (
	"bytes"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/utils/ptr"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/annotate"
	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/model"
	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/parse"
)

// ---- Hand-built objects ----

func natSvc(nsName, clusterIP string, ports ...corev1.ServicePort) corev1.Service {
	ns, name, _ := strings.Cut(nsName, "/")
	s := corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	s.Spec.Type = corev1.ServiceTypeClusterIP
	s.Spec.ClusterIP = strings.Split(clusterIP, ",")[0]
	s.Spec.ClusterIPs = strings.Split(clusterIP, ",")
	s.Spec.Selector = map[string]string{"app": name}
	s.Spec.Ports = ports
	for _, p := range ports {
		if p.NodePort != 0 {
			s.Spec.Type = corev1.ServiceTypeNodePort
		}
	}
	return s
}

func svcPort(name string, proto corev1.Protocol, port, target, nodePort int32) corev1.ServicePort {
	return corev1.ServicePort{Name: name, Protocol: proto, Port: port, TargetPort: intstr.FromInt32(target), NodePort: nodePort}
}

func epPort(name string, proto corev1.Protocol, port int32) discoveryv1.EndpointPort {
	return discoveryv1.EndpointPort{Name: ptr.To(name), Protocol: ptr.To(proto), Port: ptr.To(port)}
}

type epOpt func(*discoveryv1.Endpoint)

func notReadyEP(e *discoveryv1.Endpoint) { e.Conditions.Ready = ptr.To(false) }

func terminatingEP(e *discoveryv1.Endpoint) {
	e.Conditions.Ready, e.Conditions.Serving, e.Conditions.Terminating = ptr.To(false), ptr.To(true), ptr.To(true)
}

func mkEndpoint(ip, node string, opts ...epOpt) discoveryv1.Endpoint {
	e := discoveryv1.Endpoint{Addresses: []string{ip}, Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(true)}}
	if node != "" {
		e.NodeName = ptr.To(node)
	}
	for _, o := range opts {
		o(&e)
	}
	return e
}

func natSlice(nsName string, ports []discoveryv1.EndpointPort, eps ...discoveryv1.Endpoint) discoveryv1.EndpointSlice {
	ns, name, _ := strings.Cut(nsName, "/")
	at := discoveryv1.AddressTypeIPv4
	if len(eps) > 0 && strings.Contains(eps[0].Addresses[0], ":") {
		at = discoveryv1.AddressTypeIPv6
	}
	return discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Namespace: ns, Name: name + "-" + string(at), Labels: map[string]string{discoveryv1.LabelServiceName: name}},
		AddressType: at, Ports: ports, Endpoints: eps,
	}
}

func natNodes(n int) []corev1.Node {
	var out []corev1.Node
	for k := range n {
		out = append(out, *newNode(k))
	}
	return out
}

// podIP is app a's pod on node k in the hand-built worlds.
func podIP(k, a int) string { return fmt.Sprintf("10.65.%d.%d", k, 10+a) }

// testbedWorld is the test bed's own world (services(), the kubernetes Service, the
// LoadBalancer's status) with every app on every one of n nodes and ready.
func testbedWorld(n int) NATObjects {
	objs := NATObjects{Nodes: natNodes(n)}
	kube := natSvc("default/kubernetes", "10.96.0.1", svcPort("https", corev1.ProtocolTCP, 443, 6443, 0))
	kube.Spec.Selector = nil
	objs.Services = append(objs.Services, kube)
	objs.Slices = append(objs.Slices, natSlice("default/kubernetes",
		[]discoveryv1.EndpointPort{epPort("https", corev1.ProtocolTCP, 6443)}, mkEndpoint("192.168.1.10", "")))
	for _, s := range services() {
		if ip := loadBalancerIngress[s.Namespace+"/"+s.Name]; ip != "" {
			s.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{IP: ip}}
		}
		objs.Services = append(objs.Services, *s)
		var ports []discoveryv1.EndpointPort
		for _, p := range s.Spec.Ports {
			ports = append(ports, epPort(p.Name, p.Protocol, p.TargetPort.IntVal))
		}
		ai := slices.IndexFunc(apps, func(a app) bool {
			return a.Namespace == s.Namespace && reflect.DeepEqual(a.Labels, s.Spec.Selector)
		})
		var eps []discoveryv1.Endpoint
		for k := range n {
			eps = append(eps, mkEndpoint(podIP(k, ai), nodeName(k)))
		}
		objs.Slices = append(objs.Slices, natSlice(s.Namespace+"/"+s.Name, ports, eps...))
	}
	return objs
}

// ---- Generation ----

func TestGenerateNATTestbedWorld(t *testing.T) {
	objs := testbedWorld(3)
	got, err := FormatNATText(GenerateNAT(objs, "node-2", false), "v3.32.1")
	if err != nil {
		t.Fatal(err)
	}
	// ids: default/kubernetes 1, demo/api 2, demo/cache 3, demo/metrics 4, demo/secure 5,
	// demo/web 6, kube-system/kube-dns 53/TCP 7, 53/UDP 8.
	want := `10.96.0.1 port 443 proto 6 id 1 count 1 local 0
	1:0	 192.168.1.10:6443
10.96.0.10 port 53 proto 6 id 7 count 3 local 1
	7:0	 10.65.1.12:53
	7:1	 10.65.0.12:53
	7:2	 10.65.2.12:53
10.96.0.10 port 53 proto 17 id 8 count 3 local 1
	8:0	 10.65.1.12:53
	8:1	 10.65.0.12:53
	8:2	 10.65.2.12:53
10.96.12.34 port 443 proto 6 id 4 count 3 local 1
	4:0	 10.65.1.11:8443
	4:1	 10.65.0.11:8443
	4:2	 10.65.2.11:8443
10.96.45.12 port 80 proto 6 id 6 count 3 local 1
	6:0	 10.65.1.13:8080
	6:1	 10.65.0.13:8080
	6:2	 10.65.2.13:8080
10.96.66.6 port 8080 proto 6 id 3 count 3 local 1
	3:0	 10.65.1.16:8080
	3:1	 10.65.0.16:8080
	3:2	 10.65.2.16:8080
10.96.77.7 port 443 proto 6 id 5 count 3 local 1
	5:0	 10.65.1.15:8443
	5:1	 10.65.0.15:8443
	5:2	 10.65.2.15:8443
10.96.88.8 port 9000 proto 6 id 2 count 3 local 1 flags internal-local
	2:0	 10.65.1.14:9000
	2:1	 10.65.0.14:9000
	2:2	 10.65.2.14:9000
192.0.2.100 port 8080 proto 6 id 3 count 3 local 1
	3:0	 10.65.1.16:8080
	3:1	 10.65.0.16:8080
	3:2	 10.65.2.16:8080
192.168.1.12 port 30080 proto 6 id 6 count 3 local 1 flags external-local
	6:0	 10.65.1.13:8080
	6:1	 10.65.0.13:8080
	6:2	 10.65.2.13:8080
198.51.100.10 port 443 proto 6 id 5 count -1 local 0
198.51.100.10 port 443 proto 6 id 5 count 3 local 1 src 203.0.113.0/24
	5:0	 10.65.1.15:8443
	5:1	 10.65.0.15:8443
	5:2	 10.65.2.15:8443
255.255.255.255 port 30080 proto 6 id 6 count 3 local 1 flags external-local
	6:0	 10.65.1.13:8080
	6:1	 10.65.0.13:8080
	6:2	 10.65.2.13:8080
`
	if string(got) != want {
		t.Errorf("node-2's nat dump:\n%s\nwant:\n%s", got, want)
	}
}

// entryLine is a compact form of an entry for assertions:
// "addr:port/PROTO[ src CIDR] id N count N local N [flags] -> backends".
func entryLine(e model.NATEntry) string {
	s := fmt.Sprintf("%s id %d count %d local %d", natFrontendText(e.Frontend), e.Frontend.ID, e.Frontend.Count, e.Frontend.Local)
	if e.Frontend.Flags != 0 {
		s += " [" + e.Frontend.Flags.String() + "]"
	}
	var bs []string
	for _, b := range e.Backends {
		bs = append(bs, netip.AddrPortFrom(b.Addr, b.Port).String())
	}
	return s + " -> " + strings.Join(bs, " ")
}

func entryLines(es []model.NATEntry) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = entryLine(e)
	}
	return out
}

func TestGenerateNATPolicies(t *testing.T) {
	tcp, udp := corev1.ProtocolTCP, corev1.ProtocolUDP
	local := corev1.ServiceInternalTrafficPolicyLocal

	// etp: NodePort, externalTrafficPolicy Local, an externalIP.
	etp := natSvc("demo/etp", "10.96.1.1", svcPort("http", tcp, 80, 8080, 30001))
	etp.Spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyLocal
	etp.Spec.ExternalIPs = []string{"192.0.2.7"}
	// itp: NodePort, internalTrafficPolicy Local.
	itp := natSvc("demo/itp", "10.96.1.2", svcPort("http", tcp, 80, 8080, 30002))
	itp.Spec.InternalTrafficPolicy = &local
	// lb: LoadBalancer with two source ranges (one IPv6: not in the IPv4 map), no node ports.
	lb := natSvc("demo/lb", "10.96.1.3", svcPort("https", tcp, 443, 8443, 0))
	lb.Spec.Type = corev1.ServiceTypeLoadBalancer
	lb.Spec.LoadBalancerSourceRanges = []string{"203.0.113.0/24", " 198.51.100.7", "2001:db8::/32"}
	lb.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{IP: "198.51.100.10"}, {Hostname: "lb.example"}}
	// multi: two ports, one by name onto a named target; a not-ready and a terminating pod.
	multi := natSvc("demo/multi", "10.96.1.4", svcPort("dns", udp, 53, 5353, 0), svcPort("metrics", tcp, 9153, 9153, 0))
	// Things kube-proxy leaves alone, and a Service without a selector or slices.
	headless := natSvc("demo/headless", "None", svcPort("http", tcp, 80, 80, 0))
	extName := corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "demo", Name: "ext"},
		Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeExternalName, ExternalName: "example.com"}}
	empty := natSvc("demo/empty", "10.96.1.5", svcPort("", tcp, 80, 80, 0))
	empty.Spec.Selector = nil
	// dual: dual-stack; its IPv6 side is only in the IPv6 map.
	dual := natSvc("demo/dual", "10.96.1.6,fd00:10:96::6", svcPort("http", tcp, 80, 80, 0))

	objs := NATObjects{
		Nodes:    natNodes(3),
		Services: []corev1.Service{etp, itp, lb, multi, headless, extName, empty, dual},
		Slices: []discoveryv1.EndpointSlice{
			natSlice("demo/etp", []discoveryv1.EndpointPort{epPort("http", tcp, 8080)},
				mkEndpoint("10.65.2.1", "node-3"), mkEndpoint("10.65.0.1", "node-1")),
			natSlice("demo/itp", []discoveryv1.EndpointPort{epPort("http", tcp, 8080)},
				mkEndpoint("10.65.0.2", "node-1"), mkEndpoint("10.65.1.2", "node-2"), mkEndpoint("10.65.1.3", "node-2"),
				mkEndpoint("10.65.2.2", "node-3", notReadyEP)),
			natSlice("demo/lb", []discoveryv1.EndpointPort{epPort("https", tcp, 8443)},
				mkEndpoint("10.65.1.4", "node-2"), mkEndpoint("10.65.2.4", "node-3")),
			natSlice("demo/multi", []discoveryv1.EndpointPort{epPort("dns", udp, 5353), epPort("metrics", tcp, 9153), epPort("dns", tcp, 5353)},
				mkEndpoint("10.65.0.5", "node-1"), mkEndpoint("10.65.1.5", "node-2", notReadyEP),
				mkEndpoint("10.65.2.5", "node-3", terminatingEP)),
			// The same endpoint in a second slice (a slice being replaced): listed once.
			natSlice("demo/multi", []discoveryv1.EndpointPort{epPort("dns", udp, 5353)}, mkEndpoint("10.65.0.5", "node-1")),
			natSlice("demo/headless", []discoveryv1.EndpointPort{epPort("http", tcp, 80)}, mkEndpoint("10.65.0.9", "node-1")),
			natSlice("demo/dual", []discoveryv1.EndpointPort{epPort("http", tcp, 80)}, mkEndpoint("10.65.0.6", "node-1")),
			natSlice("demo/dual", []discoveryv1.EndpointPort{epPort("http", tcp, 80)}, mkEndpoint("fd00:10:65::6", "node-1")),
			// A slice of a Service that does not exist.
			natSlice("demo/gone", []discoveryv1.EndpointPort{epPort("http", tcp, 80)}, mkEndpoint("10.65.0.8", "node-1")),
		},
	}
	// ids: demo/dual 1, demo/empty 2, demo/etp 3, demo/itp 4, demo/lb 5, demo/multi 53/UDP 6,
	// 9153/TCP 7; then the itp NodePort on node-1, node-2, node-3: 8, 9, 10.
	got := entryLines(GenerateNAT(objs, "node-1", false))
	want := []string{
		"10.96.1.1:80/TCP id 3 count 2 local 1 -> 10.65.0.1:8080 10.65.2.1:8080",
		"10.96.1.2:80/TCP id 4 count 3 local 1 [internal-local] -> 10.65.0.2:8080 10.65.1.2:8080 10.65.1.3:8080",
		"10.96.1.3:443/TCP id 5 count 2 local 0 -> 10.65.1.4:8443 10.65.2.4:8443",
		"10.96.1.4:53/UDP id 6 count 1 local 1 -> 10.65.0.5:5353",
		"10.96.1.4:9153/TCP id 7 count 1 local 1 -> 10.65.0.5:9153",
		"10.96.1.5:80/TCP id 2 count 0 local 0 -> ",
		"10.96.1.6:80/TCP id 1 count 1 local 1 -> 10.65.0.6:80",
		"192.0.2.7:80/TCP id 3 count 2 local 1 [external-local] -> 10.65.0.1:8080 10.65.2.1:8080",
		"192.168.1.11:30001/TCP id 3 count 2 local 1 [external-local] -> 10.65.0.1:8080 10.65.2.1:8080",
		"192.168.1.11:30002/TCP id 4 count 3 local 1 [internal-local] -> 10.65.0.2:8080 10.65.1.2:8080 10.65.1.3:8080",
		"192.168.1.12:30002/TCP id 9 count 2 local 0 -> 10.65.1.2:8080 10.65.1.3:8080",
		"198.51.100.10:443/TCP id 5 count -1 local 0 -> ",
		"198.51.100.10:443/TCP src 198.51.100.7/32 id 5 count 2 local 0 -> 10.65.1.4:8443 10.65.2.4:8443",
		"198.51.100.10:443/TCP src 203.0.113.0/24 id 5 count 2 local 0 -> 10.65.1.4:8443 10.65.2.4:8443",
		"255.255.255.255:30001/TCP id 3 count 2 local 1 [external-local] -> 10.65.0.1:8080 10.65.2.1:8080",
	}
	if !slices.Equal(got, want) {
		t.Errorf("node-1:\n got %s\nwant %s", strings.Join(got, "\n     "), strings.Join(want, "\n     "))
	}

	// node-2: its endpoints first; the itp NodePort of node-1 (id 8), not of node-3 (no
	// ready endpoints there), and not of itself.
	n2 := GenerateNAT(objs, "node-2", false)
	for _, w := range []string{
		"10.96.1.2:80/TCP id 4 count 3 local 2 [internal-local] -> 10.65.1.2:8080 10.65.1.3:8080 10.65.0.2:8080",
		"192.168.1.11:30002/TCP id 8 count 1 local 0 -> 10.65.0.2:8080",
		"192.168.1.12:30002/TCP id 4 count 3 local 2 [internal-local] -> 10.65.1.2:8080 10.65.1.3:8080 10.65.0.2:8080",
	} {
		if !slices.Contains(entryLines(n2), w) {
			t.Errorf("node-2 lacks %s; has\n%s", w, strings.Join(entryLines(n2), "\n"))
		}
	}
	if slices.ContainsFunc(n2, func(e model.NATEntry) bool { return e.Frontend.Addr.String() == "192.168.1.13" }) {
		t.Error("node-2 has a NodePort on node-3, which has no ready endpoints of demo/itp")
	}

	// The IPv6 map: only the dual-stack Service, with its IPv6 endpoint.
	v6 := entryLines(GenerateNAT(objs, "node-1", true))
	if want := []string{"[fd00:10:96::6]:80/TCP id 1 count 1 local 1 -> [fd00:10:65::6]:80"}; !slices.Equal(v6, want) {
		t.Errorf("IPv6 map: %q, want %q", v6, want)
	}
}

func TestGenerateNATBackendOrdinals(t *testing.T) {
	for _, e := range GenerateNAT(testbedWorld(4), "node-3", false) {
		if e.Frontend.Blackhole() != (e.Backends == nil && e.Frontend.Count < 0) {
			t.Errorf("%s: blackhole with backends", entryLine(e))
		}
		if !e.Frontend.Blackhole() && int64(len(e.Backends)) != e.Frontend.Count {
			t.Errorf("%s: count disagrees with the backends", entryLine(e))
		}
		for i, b := range e.Backends {
			if b.ID != e.Frontend.ID || b.Ordinal != uint32(i) {
				t.Errorf("%s: backend %d is %d:%d", entryLine(e), i, b.ID, b.Ordinal)
			}
		}
	}
}

// ---- Formats ----

// visibleNAT is what a version's dump shows of entries: no local before v3.15, no flags
// before v3.22, no src in text before v3.31.5.
func visibleNAT(t *testing.T, entries []model.NATEntry, version string, json bool) []model.NATEntry {
	t.Helper()
	f, err := natFormatFor(version)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]model.NATEntry, len(entries))
	for i, e := range entries {
		if !f.local {
			e.Frontend.Local = 0
		}
		e.Frontend.Flags &= f.flags
		if !f.src && !json {
			e.Frontend.SrcCIDR = netip.Prefix{}
		}
		out[i] = e
	}
	return out
}

func decodeNAT(t *testing.T, data []byte, format parse.Format) []model.NATEntry {
	t.Helper()
	var out []model.NATEntry
	rep, err := parse.NAT(bytes.NewReader(data), parse.Options{Format: format}, func(e model.NATEntry) error {
		e.Backends = slices.Clone(e.Backends)
		out = append(out, e)
		return nil
	})
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	if len(rep.Warnings) > 0 || rep.Incomplete || rep.Truncated {
		t.Fatalf("parse warnings %v (incomplete %v, truncated %v) in:\n%s", rep.Warnings, rep.Incomplete, rep.Truncated, data)
	}
	return out
}

// formatWorld has every kind of frontend, flags on bits 0 and 1 alone and together, and a
// blackhole.
func formatWorld() []model.NATEntry {
	objs := testbedWorld(3)
	for i := range objs.Services {
		s := &objs.Services[i]
		if s.Name == "web" { // NodePort with both traffic policies Local: "external-local, internal-local"
			s.Spec.InternalTrafficPolicy = ptr.To(corev1.ServiceInternalTrafficPolicyLocal)
		}
	}
	return GenerateNAT(objs, "node-1", false)
}

var natTestVersions = []string{"v3.14.2", "v3.16.0", "v3.22.5", "v3.26.4", "v3.26.5", "v3.27.0", "v3.27.1",
	"v3.29.7", "v3.31.4", "v3.31.5", "v3.32.1", "v3.33.0", "v3.33.0-0.dev"}

func TestFormatNATRoundTrips(t *testing.T) {
	entries := formatWorld()
	for _, v := range natTestVersions {
		t.Run(v, func(t *testing.T) {
			text, err := FormatNATText(entries, v)
			if err != nil {
				t.Fatal(err)
			}
			want := visibleNAT(t, entries, v, false)
			if got := decodeNAT(t, text, parse.FormatText); !reflect.DeepEqual(got, want) {
				t.Errorf("text decodes to\n%s\nwant\n%s", strings.Join(entryLines(got), "\n"), strings.Join(entryLines(want), "\n"))
			}
			if !NATHasJSON(v) {
				if _, err := FormatNATJSON(entries, v, false); err == nil {
					t.Error("JSON for a version without -j")
				}
				return
			}
			js, err := FormatNATJSON(entries, v, false)
			if err != nil {
				t.Fatal(err)
			}
			want = visibleNAT(t, entries, v, true)
			if got := decodeNAT(t, js, parse.FormatJSON); !reflect.DeepEqual(got, want) {
				t.Errorf("JSON decodes to\n%s\nwant\n%s", strings.Join(entryLines(got), "\n"), strings.Join(entryLines(want), "\n"))
			}
			// Grouped: the JSON keeps every frontend's own count; compare as sets of lines.
			gjs, err := FormatNATJSON(entries, v, true)
			if err != nil {
				t.Fatal(err)
			}
			got := entryLines(decodeNAT(t, gjs, parse.FormatJSON))
			slices.Sort(got)
			wantLines := entryLines(want)
			slices.Sort(wantLines)
			if !slices.Equal(got, wantLines) {
				t.Errorf("grouped JSON decodes to\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(wantLines, "\n"))
			}
			gtext, err := FormatNATGroupedText(entries, v)
			if err != nil {
				t.Fatal(err)
			}
			decodeNAT(t, gtext, parse.FormatText) // parses cleanly; counts follow the group's first key
		})
	}
}

func TestFormatNATLinesPerVersion(t *testing.T) {
	entries := formatWorld()
	tests := []struct {
		version string
		has     []string
		hasNot  []string
	}{
		{"v3.14.2", []string{"10.96.88.8 port 9000 proto 6 id 2 count 3\n", "198.51.100.10 port 443 proto 6 id 5 count 4294967295\n"}, []string{"local", "flags", "src"}},
		{"v3.16.0", []string{"10.96.88.8 port 9000 proto 6 id 2 count 3 local 1\n\t2:0\t 10.65.0.14:9000\n"}, []string{"flags", "src"}},
		{"v3.22.5", []string{
			"10.96.88.8 port 9000 proto 6 id 2 count 3 local 1 flags , internal-local\n",
			"192.168.1.11 port 30080 proto 6 id 6 count 3 local 1 flags external-local, internal-local\n",
			"198.51.100.10 port 443 proto 6 id 5 count 4294967295 local 0\n198.51.100.10 port 443 proto 6 id 5 count 3 local 1\n",
		}, []string{"src", " : "}},
		{"v3.26.4", []string{"flags , internal-local\n"}, nil},
		{"v3.26.5", []string{"10.96.88.8 port 9000 proto 6 id 2 count 3 local 1 flags internal-local\n", "count 4294967295 local 0\n"}, []string{"flags , "}},
		{"v3.27.0", []string{"\t2:0\t 10.65.0.14 : 9000\n", "198.51.100.10 port 443 proto 6 id 5 count -1 local 0\n"}, []string{"4294967295"}},
		{"v3.29.7", []string{"\t2:0\t 10.65.0.14:9000\n", "count -1 local 0\n198.51.100.10 port 443 proto 6 id 5 count 3 local 1\n"}, []string{" : ", "src"}},
		{"v3.31.5", []string{"198.51.100.10 port 443 proto 6 id 5 count 3 local 1 src 203.0.113.0/24\n"}, nil},
	}
	for _, tc := range tests {
		out, err := FormatNATText(entries, tc.version)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range tc.has {
			if !strings.Contains(string(out), s) {
				t.Errorf("%s: no %q in\n%s", tc.version, s, out)
			}
		}
		for _, s := range tc.hasNot {
			if strings.Contains(string(out), s) {
				t.Errorf("%s: %q in\n%s", tc.version, s, out)
			}
		}
	}
}

func TestFormatNATJSONShape(t *testing.T) {
	entries := formatWorld()
	js, err := FormatNATJSON(entries, "v3.32.1", false)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{
		"[\n  {\n    \"frontend\": {\n      \"addr\": \"10.96.0.1\",\n      \"port\": 443,\n      \"proto\": 6,\n      \"id\": 1,\n      \"count\": 1,\n      \"local\": 0\n    },\n    \"backends\": [\n      {\n        \"addr\": \"192.168.1.10\",\n        \"port\": 6443\n      }\n    ]\n  },",
		"\"proto\": 6,\n      \"id\": 5,\n      \"count\": -1,\n      \"local\": 0\n    },\n    \"backends\": null\n",
		"\"proto\": 6,\n      \"src_cidr\": \"203.0.113.0/24\",\n      \"id\": 5,",
		"\"local\": 1,\n      \"flags\": \"external-local, internal-local\"\n",
	} {
		if !strings.Contains(string(js), s) {
			t.Errorf("no %q in\n%s", s, js)
		}
	}
	if !bytes.HasSuffix(js, []byte("}\n]\n")) {
		t.Errorf("JSON does not end like Calico's: %q", js[len(js)-20:])
	}
	g, err := FormatNATGroupedText(entries, "v3.32.1")
	if err != nil {
		t.Fatal(err)
	}
	// The blackhole shows its group's count (Calico's quirk); backends once per group.
	want := "10.96.77.7 port 443 proto 6 id 5 count 3 local 1\n" +
		"198.51.100.10 port 443 proto 6 id 5 count 3 local 1\n" +
		"198.51.100.10 port 443 proto 6 id 5 count 3 local 1 src 203.0.113.0/24\n" +
		"\t5:0\t 10.65.0.15:8443\n\t5:1\t 10.65.1.15:8443\n\t5:2\t 10.65.2.15:8443\n"
	if !strings.Contains(string(g), want) {
		t.Errorf("grouped text lacks\n%s\nin\n%s", want, g)
	}
}

// ---- What nat --check says ----

// checkNodes formats each node's generated map for version (text, or JSON), decodes it as
// the plugin would and runs annotate.CheckNAT over all nodes.
func checkNodes(t *testing.T, objs NATObjects, version string, json bool, edit func(node string, es []model.NATEntry) []model.NATEntry) annotate.Report {
	t.Helper()
	maps := map[string][]model.NATEntry{}
	for _, n := range objs.Nodes {
		es := GenerateNAT(objs, n.Name, false)
		if edit != nil {
			es = edit(n.Name, es)
		}
		var data []byte
		var err error
		format := parse.FormatText
		if json {
			data, err = FormatNATJSON(es, version, false)
			format = parse.FormatJSON
		} else {
			data, err = FormatNATText(es, version)
		}
		if err != nil {
			t.Fatal(err)
		}
		maps[n.Name] = decodeNAT(t, data, format)
	}
	idx := annotate.NewIndex(objs.Nodes, nil, objs.Services, objs.Slices)
	return annotate.CheckNAT(maps, idx, nil)
}

func TestGeneratedMapsPassCheckNAT(t *testing.T) {
	for _, n := range []int{3, 4} {
		objs := testbedWorld(n)
		// Not v3.13–v3.14: their dump has no local count, which CheckNAT reads as 0 (wrong-local).
		for _, v := range []string{"v3.18.0", "v3.22.5", "v3.26.5", "v3.27.0", "v3.29.7", "v3.31.4", "v3.32.1", "v3.33.0"} {
			for _, json := range []bool{false, true} {
				if json && !NATHasJSON(v) {
					continue
				}
				rep := checkNodes(t, objs, v, json, nil)
				if len(rep.Findings) > 0 || rep.Frontends == 0 {
					t.Errorf("%d nodes, %s (json %v): %d frontends, findings:", n, v, json, rep.Frontends)
					for _, f := range rep.Findings {
						t.Logf("  %s %s %s", f.Severity, f.Code, f.Message)
					}
				}
			}
		}
	}
}

func TestGeneratedPolicyMapsPassCheckNAT(t *testing.T) {
	// ETP/ITP Local, source ranges, externalIPs, multi-port, not-ready and terminating
	// endpoints, an empty Service: no finding at all, on any node.
	tcp := corev1.ProtocolTCP
	objs := testbedWorld(3)
	multi := natSvc("demo/multi", "10.96.1.4", svcPort("dns", corev1.ProtocolUDP, 53, 5353, 0), svcPort("metrics", tcp, 9153, 9153, 0))
	empty := natSvc("demo/empty", "10.96.1.5", svcPort("", tcp, 80, 80, 0))
	empty.Spec.Selector = nil
	lb := natSvc("demo/lb", "10.96.1.3", svcPort("https", tcp, 443, 8443, 31443))
	lb.Spec.Type = corev1.ServiceTypeLoadBalancer
	lb.Spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyLocal
	lb.Spec.LoadBalancerSourceRanges = []string{"203.0.113.0/24", "198.51.100.7/32"}
	lb.Spec.ExternalIPs = []string{"192.0.2.8"}
	lb.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{IP: "198.51.100.11"}}
	objs.Services = append(objs.Services, multi, empty, lb)
	objs.Slices = append(objs.Slices,
		natSlice("demo/multi", []discoveryv1.EndpointPort{epPort("dns", corev1.ProtocolUDP, 5353), epPort("metrics", tcp, 9153)},
			mkEndpoint("10.65.0.5", "node-1"), mkEndpoint("10.65.1.5", "node-2", notReadyEP), mkEndpoint("10.65.2.5", "node-3", terminatingEP)),
		natSlice("demo/lb", []discoveryv1.EndpointPort{epPort("https", tcp, 8443)},
			mkEndpoint("10.65.1.4", "node-2"), mkEndpoint("10.65.2.4", "node-3")))
	for _, v := range []string{"v3.22.5", "v3.29.7", "v3.32.1"} {
		rep := checkNodes(t, objs, v, false, nil)
		if len(rep.Findings) > 0 {
			t.Errorf("%s: findings:", v)
		}
		for _, f := range rep.Findings {
			t.Logf("  %s %s %s", f.Severity, f.Code, f.Message)
		}
	}
}

// TestITPNodePortAcrossNodes: for an internalTrafficPolicy Local NodePort, node A's frontend
// on node B's address carries only B's endpoints (KindNodePortRemote, the doc's
// svcTypeNodePortRemote), while B's frontend on its own address carries all of them. Both are
// right for their node, so a cluster-consistent map has no findings, per node or across nodes.
func TestITPNodePortAcrossNodes(t *testing.T) {
	tcp := corev1.ProtocolTCP
	itp := natSvc("demo/itp", "10.96.1.2", svcPort("http", tcp, 80, 8080, 30002))
	itp.Spec.InternalTrafficPolicy = ptr.To(corev1.ServiceInternalTrafficPolicyLocal)
	objs := NATObjects{Nodes: natNodes(3), Services: []corev1.Service{itp}, Slices: []discoveryv1.EndpointSlice{
		natSlice("demo/itp", []discoveryv1.EndpointPort{epPort("http", tcp, 8080)},
			mkEndpoint("10.65.0.2", "node-1"), mkEndpoint("10.65.1.2", "node-2"), mkEndpoint("10.65.2.2", "node-3")),
	}}
	rep := checkNodes(t, objs, "v3.32.1", false, nil)
	var got []string
	for _, f := range rep.Findings {
		if f.Severity == annotate.Warn {
			got = append(got, string(f.Code)+" "+f.Frontend)
		}
		if f.Node != "" {
			t.Errorf("per-node finding: %s %s %s", f.Severity, f.Code, f.Message)
		}
	}
	if len(got) != 0 {
		t.Errorf("warnings on a cluster-consistent map: %q", got)
		for _, f := range rep.Findings {
			t.Logf("  %s %s %s", f.Severity, f.Code, f.Message)
		}
	}
}

// TestMixedSrcVisibility: before v3.31.5 a LoadBalancer source-range key prints without its
// src, like a second copy of the blackhole key. Next to a v3.31.5+ node, which prints both
// keys, CheckNAT must still see every node as consistent with the cluster and with the others.
func TestMixedSrcVisibility(t *testing.T) {
	objs := testbedWorld(3)
	maps := map[string][]model.NATEntry{}
	for _, n := range objs.Nodes {
		v := "v3.29.7"
		if n.Name == "node-2" {
			v = "v3.32.1"
		}
		text, err := FormatNATText(GenerateNAT(objs, n.Name, false), v)
		if err != nil {
			t.Fatal(err)
		}
		maps[n.Name] = decodeNAT(t, text, parse.FormatText)
	}
	rep := annotate.CheckNAT(maps, annotate.NewIndex(objs.Nodes, nil, objs.Services, objs.Slices), nil)
	var got []string
	for _, f := range rep.Findings {
		got = append(got, fmt.Sprintf("%s %s %s %s present %v absent %v", cmpOr(f.Node, "*"), f.Severity, f.Code, f.Frontend, f.Present, f.Absent))
	}
	if len(got) != 0 {
		t.Errorf("a cluster-consistent mix of v3.29 and v3.32 nodes has findings:\n%q", got)
	}
}

// ---- Drift ----

func TestDriftNATShowsOnOneNode(t *testing.T) {
	objs := testbedWorld(3)
	node := "node-2"
	entries := GenerateNAT(objs, node, false)
	d, err := pickNATDrift(planNAT(objs), entries, objs)
	if err != nil {
		t.Fatal(err)
	}
	// demo/api (id 2, internalTrafficPolicy Local, a ClusterIP only) is the first port with
	// two backends; its last ordinal is node-3's pod.
	if d.Service != "demo/api:9000/TCP" || d.ServiceID != 2 || d.RemovedBackend.String() != "10.65.2.14:9000" || d.RemovedLocal ||
		!slices.Equal(d.Frontends, []string{"10.96.88.8:9000/TCP"}) || d.StaleFrontend != "10.96.254.254:80/TCP" || d.StaleID != 9 {
		t.Errorf("drift %+v", d)
	}
	for _, v := range []string{"v3.22.5", "v3.29.7", "v3.32.1"} {
		rep := checkNodes(t, objs, v, false, func(n string, es []model.NATEntry) []model.NATEntry {
			if n != node {
				return es
			}
			out, ok := applyNATDrift(es, d)
			if !ok {
				t.Fatal("applyNATDrift removed nothing")
			}
			return out
		})
		var got []string
		for _, f := range rep.Drift() {
			got = append(got, fmt.Sprintf("%s %s %s", cmpOr(f.Node, "*"), f.Code, f.Frontend))
		}
		want := []string{
			"node-2 missing-backend 10.96.88.8:9000/TCP",
			"node-2 wrong-count 10.96.88.8:9000/TCP",
			"node-2 no-service 10.96.254.254:80/TCP",
			"* cross-node-backends 10.96.88.8:9000/TCP",
			"* cross-node-frontend 10.96.254.254:80/TCP",
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: drift\n got %q\nwant %q", v, got, want)
		}
	}
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// TestWriteAndDriftNATData runs DriftNAT's file handling: every version dir of the node is
// rewritten, JSON where the version has it, and the result still parses cleanly.
func TestWriteAndDriftNATData(t *testing.T) {
	objs := testbedWorld(3)
	root := t.TempDir()
	entries := GenerateNAT(objs, "node-1", false)
	d, err := pickNATDrift(planNAT(objs), entries, objs)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"v3.22.5", "v3.32.1"} {
		dir := filepath.Join(root, v)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, key := range []string{natKeyJSON, natKeyGrouped, natKeyGroupedJSON} { // stray fixture files
			if err := os.WriteFile(filepath.Join(dir, key+".stdout.txt"), []byte("[]\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if err := writeNATData(dir, v, entries); err != nil {
			t.Fatal(err)
		}
		for _, key := range []string{natKeyJSON, natKeyGrouped, natKeyGroupedJSON} {
			_, err := os.Stat(filepath.Join(dir, key+".stdout.txt"))
			if exists := err == nil; exists != NATHasJSON(v) {
				t.Errorf("%s: %s exists: %v", v, key, exists)
			}
		}
		// DriftNAT's per-dir step: parse the text dump, drift, write back.
		raw, _ := os.ReadFile(filepath.Join(dir, natKeyText+".stdout.txt"))
		cur := decodeNAT(t, raw, parse.FormatText)
		drifted, ok := applyNATDrift(cur, d)
		if !ok {
			t.Fatalf("%s: applyNATDrift removed nothing", v)
		}
		if err := writeNATData(dir, v, drifted); err != nil {
			t.Fatal(err)
		}
		raw, _ = os.ReadFile(filepath.Join(dir, natKeyText+".stdout.txt"))
		after := decodeNAT(t, raw, parse.FormatText)
		if len(after) != len(entries)+1 {
			t.Errorf("%s: %d entries after drift, want %d", v, len(after), len(entries)+1)
		}
		if NATHasJSON(v) {
			js, _ := os.ReadFile(filepath.Join(dir, natKeyJSON+".stdout.txt"))
			if got := decodeNAT(t, js, parse.FormatJSON); !reflect.DeepEqual(entryLines(got), entryLines(after)) {
				t.Errorf("%s: JSON and text disagree after drift", v)
			}
		}
	}
}

func TestEndpointsSettled(t *testing.T) {
	objs := testbedWorld(2)
	var pods []corev1.Pod
	for _, s := range objs.Services {
		if len(s.Spec.Selector) == 0 {
			continue
		}
		ai := slices.IndexFunc(apps, func(a app) bool { return reflect.DeepEqual(a.Labels, s.Spec.Selector) })
		for k := range 2 {
			p := corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: s.Namespace, Name: fmt.Sprintf("%s-%d", s.Name, k), Labels: s.Spec.Selector}}
			p.Status.PodIP = podIP(k, ai)
			p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}
			pods = append(pods, p)
		}
	}
	if !endpointsSettled(objs, pods) {
		t.Error("a consistent world is not settled")
	}
	// A pod the endpoint controller has not listed yet.
	extra := pods[0]
	extra.Name, extra.Status.PodIP = "late", "10.65.9.9"
	if endpointsSettled(objs, append(pods, extra)) {
		t.Error("a ready pod missing from the slices counts as settled")
	}
	// A pod that went away but is still listed ready.
	if endpointsSettled(objs, pods[1:]) {
		t.Error("a slice listing a gone pod counts as settled")
	}
}

// testbedPods are the ready pods behind testbedWorld(n)'s endpoints.
func testbedPods(objs NATObjects, n int) []corev1.Pod {
	var pods []corev1.Pod
	for _, s := range objs.Services {
		if len(s.Spec.Selector) == 0 {
			continue
		}
		ai := slices.IndexFunc(apps, func(a app) bool { return reflect.DeepEqual(a.Labels, s.Spec.Selector) })
		for k := range n {
			p := corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: s.Namespace, Name: fmt.Sprintf("%s-%d", s.Name, k), Labels: s.Spec.Selector}}
			p.Spec.NodeName = nodeName(k)
			p.Status.PodIP = podIP(k, ai)
			p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}
			pods = append(pods, p)
		}
	}
	return pods
}

// TestNATDataLifecycle runs the wiring hook, DriftNAT and RefreshNAT against a fake API:
// three nodes, node-2 with two versions' data dirs; nat --check over the files finds nothing,
// then only node-2's drift, then nothing again.
func TestNATDataLifecycle(t *testing.T) {
	ctx := t.Context()
	objs := testbedWorld(3)
	var runtimeObjs []runtime.Object
	for i := range objs.Nodes {
		runtimeObjs = append(runtimeObjs, &objs.Nodes[i])
	}
	for i := range objs.Services {
		runtimeObjs = append(runtimeObjs, &objs.Services[i])
	}
	for i := range objs.Slices {
		runtimeObjs = append(runtimeObjs, &objs.Slices[i])
	}
	pods := testbedPods(objs, 3)
	for i := range pods {
		runtimeObjs = append(runtimeObjs, &pods[i])
	}
	kc := fake.NewClientset(runtimeObjs...)
	root := t.TempDir()
	ctrl := &Controller{kube: kc, log: io.Discard}
	cl := &Cluster{Dir: root, Kube: kc}
	// Each node has an old (text, no src) and a new (JSON) version's dir; nat --check reads
	// every node at the same kind of version (see TestMixedSrcVisibility for why).
	dirs := map[string][]string{"node-1": {"v3.29.7", "v3.32.1"}, "node-2": {"v3.22.5", "v3.32.1"}, "node-3": {"v3.26.5", "v3.33.0"}}
	for node, versions := range dirs {
		for _, v := range versions {
			dir := filepath.Join(root, "nodes", node, v)
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			if err := ctrl.generateNAT(ctx, node, v, dir); err != nil {
				t.Fatal(err)
			}
			if time.Since(start) > 5*time.Second {
				t.Errorf("generateNAT waited %s on a settled world", time.Since(start))
			}
		}
	}
	idx := annotate.NewIndex(objs.Nodes, pods, objs.Services, objs.Slices)
	// check reads each node's files as the plugin would get them: its old (0) or new (1)
	// version's, as text or, where the version has it, JSON.
	check := func(which int) annotate.Report {
		maps := map[string][]model.NATEntry{}
		for node, versions := range dirs {
			v := versions[which]
			key, format := natKeyText, parse.FormatText
			if NATHasJSON(v) {
				key, format = natKeyJSON, parse.FormatJSON
			}
			raw, err := os.ReadFile(filepath.Join(root, "nodes", node, v, key+".stdout.txt"))
			if err != nil {
				t.Fatal(err)
			}
			maps[node] = decodeNAT(t, raw, format)
		}
		return annotate.CheckNAT(maps, idx, nil)
	}
	for which := range 2 {
		if rep := check(which); len(rep.Findings) > 0 || rep.Frontends == 0 {
			t.Errorf("generated (versions %d): %d frontends, findings %v", which, rep.Frontends, rep.Findings)
		}
	}

	d, err := cl.DriftNAT(ctx, "node-2")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(d.Versions, []string{"v3.22.5", "v3.32.1"}) || d.Node != "node-2" {
		t.Errorf("drift %+v", d)
	}
	for which := range 2 {
		var got []string
		for _, f := range check(which).Drift() {
			got = append(got, fmt.Sprintf("%s %s %s", cmpOr(f.Node, "*"), f.Code, f.Frontend))
		}
		want := []string{
			"node-2 missing-backend " + d.Frontends[0],
			"node-2 wrong-count " + d.Frontends[0],
			"node-2 no-service " + d.StaleFrontend,
			"* cross-node-backends " + d.Frontends[0],
			"* cross-node-frontend " + d.StaleFrontend,
		}
		if !slices.Equal(got, want) {
			t.Errorf("after DriftNAT (versions %d):\n got %q\nwant %q", which, got, want)
		}
	}

	if err := cl.RefreshNAT(ctx, "node-2"); err != nil {
		t.Fatal(err)
	}
	for which := range 2 {
		if rep := check(which); len(rep.Findings) > 0 {
			t.Errorf("after RefreshNAT (versions %d): findings %v", which, rep.Findings)
		}
	}
}

func TestSettledNATObjectsGivesUpOnce(t *testing.T) {
	objs := testbedWorld(1)
	var rt []runtime.Object
	for i := range objs.Services {
		rt = append(rt, &objs.Services[i])
	}
	for i := range objs.Slices {
		rt = append(rt, &objs.Slices[i])
	}
	kc := fake.NewClientset(rt...) // no pods: the slices list endpoints no ready pod backs
	defer natGaveUp.Store(0)
	start := time.Now()
	got, settled, err := settledNATObjects(t.Context(), kc, 300*time.Millisecond)
	if err != nil || settled || len(got.Services) != len(objs.Services) {
		t.Fatalf("settled %v, err %v, %d services", settled, err, len(got.Services))
	}
	if d := time.Since(start); d < 300*time.Millisecond {
		t.Errorf("gave up after %s, before the timeout", d)
	}
	start = time.Now()
	if _, settled, _ := settledNATObjects(t.Context(), kc, 5*time.Second); settled || time.Since(start) > time.Second {
		t.Errorf("second call: settled %v after %s; want an immediate answer", settled, time.Since(start))
	}
}
