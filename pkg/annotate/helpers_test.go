package annotate

import (
	"fmt"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/model"
	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/parse"
)

// world is a small cluster: the objects NewIndex takes.
type world struct {
	nodes  []corev1.Node
	pods   []corev1.Pod
	svcs   []corev1.Service
	slices []discoveryv1.EndpointSlice
}

func (w world) index() *Index { return NewIndex(w.nodes, w.pods, w.svcs, w.slices) }

func splitNS(nsName string) (string, string) {
	ns, name, ok := strings.Cut(nsName, "/")
	if !ok {
		return "default", nsName
	}
	return ns, name
}

// mkNode builds a node with an InternalIP, Calico's IPv4Address annotation
// (CIDR form) and the given extra annotations ("key=value").
func mkNode(name, ip, podCIDR string, ann ...string) corev1.Node {
	n := corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Annotations: map[string]string{}}}
	for _, a := range strings.Split(ip, ",") {
		n.Status.Addresses = append(n.Status.Addresses, corev1.NodeAddress{Type: corev1.NodeInternalIP, Address: a})
	}
	n.Status.Addresses = append(n.Status.Addresses, corev1.NodeAddress{Type: corev1.NodeHostName, Address: name})
	n.Annotations["projectcalico.org/IPv4Address"] = strings.Split(ip, ",")[0] + "/24"
	if podCIDR != "" {
		n.Spec.PodCIDR, n.Spec.PodCIDRs = podCIDR, []string{podCIDR}
	}
	for _, kv := range ann {
		k, v, _ := strings.Cut(kv, "=")
		n.Annotations["projectcalico.org/"+k] = v
	}
	return n
}

// mkPod builds a running pod "ns/name" on node with the given IPs.
func mkPod(nsName, node string, ips ...string) corev1.Pod {
	ns, name := splitNS(nsName)
	p := corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	p.Spec.NodeName = node
	p.Status.Phase = corev1.PodRunning
	for _, ip := range ips {
		p.Status.PodIPs = append(p.Status.PodIPs, corev1.PodIP{IP: ip})
	}
	if len(ips) > 0 {
		p.Status.PodIP = ips[0]
	}
	return p
}

func hostNet(p corev1.Pod) corev1.Pod { p.Spec.HostNetwork = true; return p }

func phase(p corev1.Pod, ph corev1.PodPhase) corev1.Pod { p.Status.Phase = ph; return p }

type svcOpt func(*corev1.Service)

// mkSvc builds a Service; clusterIP may be "ip1,ip2" for dual stack.
func mkSvc(nsName, clusterIP string, opts ...svcOpt) corev1.Service {
	ns, name := splitNS(nsName)
	s := corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Annotations: map[string]string{}}}
	s.Spec.Type = corev1.ServiceTypeClusterIP
	s.Spec.ClusterIPs = strings.Split(clusterIP, ",")
	s.Spec.ClusterIP = s.Spec.ClusterIPs[0]
	for _, o := range opts {
		o(&s)
	}
	return s
}

// port adds a port "name port→target/PROTO" with an optional NodePort.
func port(name string, p, target int32, proto corev1.Protocol, nodePort int32) svcOpt {
	return func(s *corev1.Service) {
		s.Spec.Ports = append(s.Spec.Ports, corev1.ServicePort{
			Name: name, Port: p, TargetPort: intstr.FromInt32(target), Protocol: proto, NodePort: nodePort,
		})
		if nodePort != 0 && s.Spec.Type == corev1.ServiceTypeClusterIP {
			s.Spec.Type = corev1.ServiceTypeNodePort
		}
	}
}

func extIPs(ips ...string) svcOpt { return func(s *corev1.Service) { s.Spec.ExternalIPs = ips } }

func lb(ranges []string, ips ...string) svcOpt {
	return func(s *corev1.Service) {
		s.Spec.Type = corev1.ServiceTypeLoadBalancer
		s.Spec.LoadBalancerSourceRanges = ranges
		for _, ip := range ips {
			s.Status.LoadBalancer.Ingress = append(s.Status.LoadBalancer.Ingress, corev1.LoadBalancerIngress{IP: ip})
		}
	}
}

func etpLocal(s *corev1.Service) {
	s.Spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyLocal
}

func itpLocal(s *corev1.Service) {
	p := corev1.ServiceInternalTrafficPolicyLocal
	s.Spec.InternalTrafficPolicy = &p
}

func affinity(s *corev1.Service) { s.Spec.SessionAffinity = corev1.ServiceAffinityClientIP }

func annotate(k, v string) svcOpt { return func(s *corev1.Service) { s.Annotations[k] = v } }

// eport is an EndpointSlice port.
func eport(name string, p int32, proto corev1.Protocol) discoveryv1.EndpointPort {
	return discoveryv1.EndpointPort{Name: &name, Port: &p, Protocol: &proto}
}

type epOpt func(*discoveryv1.Endpoint)

func notReady(e *discoveryv1.Endpoint) { f := false; e.Conditions.Ready = &f }

// terminating marks an endpoint terminating but still serving.
func terminating(e *discoveryv1.Endpoint) {
	f, t := false, true
	e.Conditions.Ready, e.Conditions.Serving, e.Conditions.Terminating = &f, &t, &t
}

// mkEP is an endpoint at addr for pod "ns/name" (may be "") on node (may be "").
func mkEP(addr, pod, node string, opts ...epOpt) discoveryv1.Endpoint {
	t := true
	e := discoveryv1.Endpoint{Addresses: []string{addr}, Conditions: discoveryv1.EndpointConditions{Ready: &t}}
	if node != "" {
		e.NodeName = &node
	}
	if pod != "" {
		ns, name := splitNS(pod)
		e.TargetRef = &corev1.ObjectReference{Kind: "Pod", Namespace: ns, Name: name}
	}
	for _, o := range opts {
		o(&e)
	}
	return e
}

var sliceSeq int

// mkSlice is an EndpointSlice of Service "ns/name".
func mkSlice(svc string, ports []discoveryv1.EndpointPort, eps ...discoveryv1.Endpoint) discoveryv1.EndpointSlice {
	ns, name := splitNS(svc)
	sliceSeq++
	at := discoveryv1.AddressTypeIPv4
	if len(eps) > 0 && strings.Contains(eps[0].Addresses[0], ":") {
		at = discoveryv1.AddressTypeIPv6
	}
	return discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: fmt.Sprintf("%s-%d", name, sliceSeq),
			Labels: map[string]string{discoveryv1.LabelServiceName: name}},
		AddressType: at, Ports: ports, Endpoints: eps,
	}
}

func ports(p ...discoveryv1.EndpointPort) []discoveryv1.EndpointPort { return p }

// natDump turns a terse dump into Calico's v3.32 text and decodes it with
// pkg/parse. Frontend lines are Calico's; a backend line is "- ADDR:PORT"
// or "- missing", numbered from the frontend above it.
func natDump(t *testing.T, s string) []model.NATEntry {
	t.Helper()
	var b strings.Builder
	id, ord := "", 0
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "":
		case strings.HasPrefix(line, "- "):
			ep := strings.TrimPrefix(line, "- ")
			if ep == "missing" {
				ep = "is missing"
			}
			fmt.Fprintf(&b, "\t%s:%d\t %s\n", id, ord, ep)
			ord++
		default:
			f := strings.Fields(line)
			for i := range f {
				if f[i] == "id" {
					id = f[i+1]
				}
			}
			ord = 0
			b.WriteString(line + "\n")
		}
	}
	entries, rep, err := parse.Collect(parse.NAT, strings.NewReader(b.String()), parse.Options{})
	if err != nil || len(rep.Warnings) > 0 {
		t.Fatalf("decode nat dump: %v %v\n%s", err, rep.Warnings, b.String())
	}
	return entries
}

// fixtureWorld is the cluster behind pkg/parse/testdata/v3.32.1: n1 is
// 192.168.1.11 (the node the fixtures were dumped on), n2 .12, n3 .13.
func fixtureWorld() world {
	tcp, udp := corev1.ProtocolTCP, corev1.ProtocolUDP
	w := world{
		nodes: []corev1.Node{
			mkNode("n1", "192.168.1.11", "10.65.0.0/24", "IPv4IPIPTunnelAddr=10.65.0.1"),
			mkNode("n2", "192.168.1.12", "10.65.1.0/24", "IPv4IPIPTunnelAddr=10.65.1.1"),
			mkNode("n3", "192.168.1.13", "10.65.2.0/24", "IPv4VXLANTunnelAddr=10.65.2.1"),
		},
		pods: []corev1.Pod{
			mkPod("default/client", "n1", "10.65.0.5"),
			mkPod("default/sidecar", "n1", "10.65.0.9"),
			mkPod("default/api-7", "n2", "10.65.1.7"),
			mkPod("default/api-8", "n2", "10.65.1.8"),
			mkPod("default/probe", "n3", "10.65.2.9"),
			mkPod("default/web-0", "n1", "10.65.0.30"),
			mkPod("default/web-1", "n2", "10.65.1.30"),
			mkPod("default/web-2", "n3", "10.65.2.30"),
			mkPod("default/secure-0", "n2", "10.65.1.40"),
			mkPod("default/secure-1", "n3", "10.65.2.40"),
			mkPod("kube-system/coredns-a", "n1", "10.65.0.20"),
			mkPod("kube-system/coredns-b", "n2", "10.65.1.21"),
			mkPod("default/local-0", "n1", "10.65.0.50"),
			mkPod("default/local-1", "n2", "10.65.1.50"),
			mkPod("default/mag-0", "n2", "10.65.1.60"),
			mkPod("default/mag-1", "n3", "10.65.2.60"),
			hostNet(mkPod("calico-system/calico-node-1", "n1", "192.168.1.11")),
		},
		svcs: []corev1.Service{
			mkSvc("default/kubernetes", "10.96.0.1", port("https", 443, 6443, tcp, 0)),
			mkSvc("default/web", "10.96.45.12", port("http", 80, 8080, tcp, 30080), etpLocal),
			mkSvc("default/secure", "10.96.77.7", port("https", 443, 8443, tcp, 0), lb([]string{"203.0.113.0/24"}, "198.51.100.10")),
			mkSvc("kube-system/kube-dns", "10.96.0.10", port("dns", 53, 53, udp, 0)),
			mkSvc("default/local", "10.96.88.8", port("", 9000, 9000, tcp, 0), itpLocal),
			mkSvc("default/maglev", "10.96.66.6", port("http", 8080, 8080, tcp, 0), extIPs("192.0.2.100"),
				annotate("lb.projectcalico.org/external-traffic-strategy", "maglev")),
		},
	}
	w.slices = []discoveryv1.EndpointSlice{
		mkSlice("default/kubernetes", ports(eport("https", 6443, tcp)), mkEP("192.168.1.10", "", "")),
		mkSlice("default/web", ports(eport("http", 8080, tcp)),
			mkEP("10.65.0.30", "default/web-0", "n1"), mkEP("10.65.1.30", "default/web-1", "n2"), mkEP("10.65.2.30", "default/web-2", "n3")),
		mkSlice("default/secure", ports(eport("https", 8443, tcp)),
			mkEP("10.65.1.40", "default/secure-0", "n2"), mkEP("10.65.2.40", "default/secure-1", "n3")),
		mkSlice("kube-system/kube-dns", ports(eport("dns", 53, udp)),
			mkEP("10.65.0.20", "kube-system/coredns-a", "n1"), mkEP("10.65.1.21", "kube-system/coredns-b", "n2")),
		mkSlice("default/local", ports(eport("", 9000, tcp)),
			mkEP("10.65.0.50", "default/local-0", "n1"), mkEP("10.65.1.50", "default/local-1", "n2")),
		mkSlice("default/maglev", ports(eport("http", 8080, tcp)),
			mkEP("10.65.1.60", "default/mag-0", "n2"), mkEP("10.65.2.60", "default/mag-1", "n3")),
	}
	return w
}

// cleanN1 and cleanN2 are what the fixture world's Services call for on n1
// and n2 (ids are per node and differ on purpose).
const cleanN1 = `
10.96.0.1 port 443 proto 6 id 2 count 1 local 0
- 192.168.1.10:6443
10.96.45.12 port 80 proto 6 id 3 count 3 local 1
- 10.65.0.30:8080
- 10.65.1.30:8080
- 10.65.2.30:8080
255.255.255.255 port 30080 proto 6 id 3 count 3 local 1 flags external-local
- 10.65.0.30:8080
- 10.65.1.30:8080
- 10.65.2.30:8080
192.168.1.11 port 30080 proto 6 id 3 count 3 local 1 flags external-local
- 10.65.0.30:8080
- 10.65.1.30:8080
- 10.65.2.30:8080
10.96.77.7 port 443 proto 6 id 4 count 2 local 0
- 10.65.1.40:8443
- 10.65.2.40:8443
198.51.100.10 port 443 proto 6 id 4 count 2 local 0 src 203.0.113.0/24
- 10.65.1.40:8443
- 10.65.2.40:8443
198.51.100.10 port 443 proto 6 id 4 count -1 local 0
10.96.0.10 port 53 proto 17 id 1 count 2 local 1
- 10.65.0.20:53
- 10.65.1.21:53
10.96.88.8 port 9000 proto 6 id 5 count 2 local 1 flags internal-local
- 10.65.0.50:9000
- 10.65.1.50:9000
10.96.66.6 port 8080 proto 6 id 6 count 2 local 0
- 10.65.1.60:8080
- 10.65.2.60:8080
192.0.2.100 port 8080 proto 6 id 6 count 2 local 0 flags maglev
- 10.65.1.60:8080
- 10.65.2.60:8080
`

const cleanN2 = `
10.96.0.1 port 443 proto 6 id 7 count 1 local 0
- 192.168.1.10:6443
10.96.45.12 port 80 proto 6 id 8 count 3 local 1
- 10.65.1.30:8080
- 10.65.0.30:8080
- 10.65.2.30:8080
255.255.255.255 port 30080 proto 6 id 8 count 3 local 1 flags external-local
- 10.65.1.30:8080
- 10.65.0.30:8080
- 10.65.2.30:8080
192.168.1.12 port 30080 proto 6 id 8 count 3 local 1 flags external-local
- 10.65.1.30:8080
- 10.65.0.30:8080
- 10.65.2.30:8080
10.96.77.7 port 443 proto 6 id 9 count 2 local 1
- 10.65.1.40:8443
- 10.65.2.40:8443
198.51.100.10 port 443 proto 6 id 9 count 2 local 1 src 203.0.113.0/24
- 10.65.1.40:8443
- 10.65.2.40:8443
198.51.100.10 port 443 proto 6 id 9 count -1 local 0
10.96.0.10 port 53 proto 17 id 10 count 2 local 1
- 10.65.1.21:53
- 10.65.0.20:53
10.96.88.8 port 9000 proto 6 id 11 count 2 local 1 flags internal-local
- 10.65.1.50:9000
- 10.65.0.50:9000
10.96.66.6 port 8080 proto 6 id 12 count 2 local 1
- 10.65.1.60:8080
- 10.65.2.60:8080
192.0.2.100 port 8080 proto 6 id 12 count 2 local 1 flags maglev
- 10.65.1.60:8080
- 10.65.2.60:8080
`

// codes lists the codes of warnings in findings or notes, for compact assertions.
func warnCodes(notes []Note) []Code {
	var out []Code
	for _, n := range notes {
		if n.Severity == Warn {
			out = append(out, n.Code)
		}
	}
	return out
}

func findingCodes(fs []Finding) []string {
	var out []string
	for _, f := range fs {
		if f.Severity == Warn {
			node := f.Node
			if node == "" {
				node = "*"
			}
			out = append(out, node+" "+string(f.Code)+" "+f.Frontend)
		}
	}
	return out
}
