package annotate

import (
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

func TestExplainNATAnomalies(t *testing.T) {
	tests := []struct {
		name  string
		world func(*world)
		dump  string // n1's entries; the first is the one under test
		kind  FrontendKind
		warn  []Code
		info  Code   // an info note the first entry must carry
		msg   string // a substring of one of its notes
		names string // its backends' names, space-joined
	}{
		{
			name: "frontend with no Service",
			dump: "10.96.99.9 port 80 proto 6 id 9 count 1 local 1\n- 10.65.0.5:80",
			kind: KindUnknown, warn: []Code{CodeNoService}, names: "default/client@n1",
			msg: "no Service has frontend 10.96.99.9:80/TCP",
		},
		{
			name: "port the Service does not have",
			dump: "10.96.0.10 port 5353 proto 17 id 9 count 0 local 0",
			kind: KindUnknown, warn: []Code{CodeNoService},
			msg: "svc kube-system/kube-dns has this address, but no such port",
		},
		{
			name: "stale backend",
			dump: "10.96.0.10 port 53 proto 17 id 1 count 3 local 1\n- 10.65.0.20:53\n- 10.65.1.21:53\n- 10.65.2.9:53",
			kind: KindClusterIP, warn: []Code{CodeStaleBackend, CodeWrongCount},
			names: "kube-system/coredns-a@n1 kube-system/coredns-b@n2 default/probe@n3",
			msg:   "backend 10.65.2.9:53 (default/probe@n3) is not an endpoint of svc kube-system/kube-dns:dns",
		},
		{
			name: "count disagrees with ready endpoints",
			dump: "10.96.0.10 port 53 proto 17 id 1 count 1 local 1\n- 10.65.0.20:53",
			kind: KindClusterIP, warn: []Code{CodeMissingBackend, CodeWrongCount},
			msg: "count 1, but svc kube-system/kube-dns:dns has 2 ready endpoints",
		},
		{
			name: "backend rows disagree with count",
			dump: "10.96.0.10 port 53 proto 17 id 1 count 2 local 1\n- 10.65.0.20:53",
			kind: KindClusterIP, warn: []Code{CodeBackendLines, CodeMissingBackend},
		},
		{
			name: "missing backend on a frontend without a Service",
			dump: "10.96.99.9 port 80 proto 6 id 9 count 1 local 0\n- missing",
			kind: KindUnknown, warn: []Code{CodeMissingBackend, CodeNoService}, names: "missing",
		},
		{
			name: "local count wrong",
			dump: "10.96.0.10 port 53 proto 17 id 1 count 2 local 0\n- 10.65.0.20:53\n- 10.65.1.21:53",
			kind: KindClusterIP, warn: []Code{CodeWrongLocal},
			msg: "local 0, but 1 of the ready endpoints run on n1",
		},
		{
			name: "local ordinal on another node",
			dump: "10.96.0.10 port 53 proto 17 id 1 count 2 local 1\n- 10.65.1.21:53\n- 10.65.0.20:53",
			kind: KindClusterIP, warn: []Code{CodeWrongLocal, CodeWrongLocal},
			msg: "ordinal 1 (kube-system/coredns-a@n1) runs on n1 but is past the local count 1",
		},
		{
			name: "blackhole where the Service has no source ranges",
			dump: "10.96.0.10 port 53 proto 17 id 1 count -1 local 0",
			kind: KindClusterIP, warn: []Code{CodeUnexpectedBlackhole},
		},
		{
			name: "blackhole of an external IP without source ranges",
			dump: "192.0.2.100 port 8080 proto 6 id 6 count -1 local 0",
			kind: KindExternalIP, warn: []Code{CodeUnexpectedBlackhole},
		},
		{
			name:  "affinity",
			world: func(w *world) { affinity(&w.svcs[3]) },
			dump:  "10.96.0.10 port 53 proto 17 id 1 count 2 local 1\n- 10.65.0.20:53\n- 10.65.1.21:53",
			kind:  KindClusterIP, info: CodeAffinity, msg: "`nat aff`",
		},
		{
			name: "kubernetes bootstrap entry (id 0)",
			dump: "10.96.0.1 port 443 proto 6 id 0 count 1 local 0\n- 192.168.1.100:6443",
			kind: KindBootstrap, info: CodeBootstrap,
			names: "external 192.168.1.100",
			msg:   "bpfNetworkBootstrap",
		},
		{
			name: "derived frontend with its own id",
			dump: "255.255.255.255 port 30080 proto 6 id 9 count 3 local 1 flags external-local\n- 10.65.0.30:8080\n- 10.65.1.30:8080\n- 10.65.2.30:8080\n" +
				"10.96.45.12 port 80 proto 6 id 3 count 3 local 1\n- 10.65.0.30:8080\n- 10.65.1.30:8080\n- 10.65.2.30:8080",
			kind: KindNodePortWildcard, warn: []Code{CodeIDMismatch},
			msg: "id 9, but the ClusterIP frontend of svc default/web:http has id 3",
		},
		{
			name: "no endpoints",
			world: func(w *world) {
				w.slices[3] = mkSlice("kube-system/kube-dns", ports(eport("dns", 53, corev1.ProtocolUDP)))
			},
			dump: "10.96.0.10 port 53 proto 17 id 1 count 0 local 0",
			kind: KindClusterIP, info: CodeNoEndpoints,
		},
		{
			name: "NodePort on another node's address",
			dump: "192.168.1.12 port 30080 proto 6 id 3 count 3 local 1\n- 10.65.0.30:8080\n- 10.65.1.30:8080\n- 10.65.2.30:8080",
			kind: KindNodePort, warn: []Code{CodeStaleFrontend},
			msg: "on node n2's address 192.168.1.12: Calico puts NodePorts only on this node's own addresses",
		},
		{
			name: "not-ready endpoint still programmed",
			world: func(w *world) {
				w.slices[3] = mkSlice("kube-system/kube-dns", ports(eport("dns", 53, corev1.ProtocolUDP)),
					mkEP("10.65.0.20", "kube-system/coredns-a", "n1"), mkEP("10.65.1.21", "kube-system/coredns-b", "n2", notReady))
			},
			dump: "10.96.0.10 port 53 proto 17 id 1 count 2 local 1\n- 10.65.0.20:53\n- 10.65.1.21:53",
			kind: KindClusterIP, warn: []Code{CodeStaleBackend, CodeWrongCount},
			msg: "is not-ready in the EndpointSlices",
		},
		{
			name: "terminating endpoint counted",
			world: func(w *world) {
				w.slices[3] = mkSlice("kube-system/kube-dns", ports(eport("dns", 53, corev1.ProtocolUDP)),
					mkEP("10.65.0.20", "kube-system/coredns-a", "n1"), mkEP("10.65.1.21", "kube-system/coredns-b", "n2", terminating))
			},
			dump: "10.96.0.10 port 53 proto 17 id 1 count 2 local 1\n- 10.65.0.20:53\n- 10.65.1.21:53",
			kind: KindClusterIP, info: CodeTerminating,
		},
		{
			name: "recycled IP behind a backend",
			world: func(w *world) {
				w.pods = append(w.pods, mkPod("other/ghost", "n3", "10.65.1.21"))
			},
			dump: "10.96.0.10 port 53 proto 17 id 1 count 2 local 1\n- 10.65.0.20:53\n- 10.65.1.21:53",
			kind: KindClusterIP, warn: []Code{CodeSharedIP},
			names: "kube-system/coredns-a@n1 kube-system/coredns-b@n2",
			msg:   "2 pods claim 10.65.1.21: kube-system/coredns-b@n2, other/ghost@n3",
		},
		{
			name: "backend of a frontend with no Service, on a recycled IP",
			world: func(w *world) {
				w.pods = append(w.pods, mkPod("other/ghost", "n3", "10.65.1.21"))
			},
			dump: "10.96.99.9 port 53 proto 17 id 9 count 1 local 0\n- 10.65.1.21:53",
			kind: KindUnknown, warn: []Code{CodeNoService, CodeSharedIP},
			names: "kube-system/coredns-b@n2, other/ghost@n3",
		},
		{
			name: "source range no longer allowed",
			dump: "198.51.100.10 port 443 proto 6 id 4 count 2 local 0 src 192.0.2.0/24\n- 10.65.1.40:8443\n- 10.65.2.40:8443",
			kind: KindSourceRange, warn: []Code{CodeStaleSourceRange},
			msg: "src 192.0.2.0/24 is not in the loadBalancerSourceRanges of svc default/secure:https (203.0.113.0/24)",
		},
		{
			name: "plain key of a source-ranged LoadBalancer that is not a blackhole",
			dump: "198.51.100.10 port 443 proto 6 id 4 count 2 local 0\n- 10.65.1.40:8443\n- 10.65.2.40:8443\n" +
				"198.51.100.10 port 443 proto 6 id 4 count 2 local 0 src 203.0.113.0/24\n- 10.65.1.40:8443\n- 10.65.2.40:8443",
			kind: KindBlackhole, warn: []Code{CodeExpectedBlackhole},
		},
		{
			name: "target port by name",
			world: func(w *world) {
				w.svcs[3].Spec.Ports[0].TargetPort.Type = 1
				w.svcs[3].Spec.Ports[0].TargetPort.StrVal = "dns-udp"
			},
			dump: "10.96.0.10 port 53 proto 17 id 1 count 2 local 1\n- 10.65.0.20:53\n- 10.65.1.21:53",
			kind: KindClusterIP, msg: "",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := fixtureWorld()
			if tc.world != nil {
				tc.world(&w)
			}
			ex := ExplainNAT("n1", nil, natDump(t, tc.dump), w.index())
			e := ex[0]
			var names []string
			for _, b := range e.Backends {
				names = append(names, b.Name)
			}
			if e.Kind != tc.kind || !slices.Equal(warnCodes(e.Notes), tc.warn) {
				t.Errorf("got %s %v, want %s %v", e.Kind, warnCodes(e.Notes), tc.kind, tc.warn)
			}
			if tc.names != "" && strings.Join(names, " ") != tc.names {
				t.Errorf("backends %q, want %q", strings.Join(names, " "), tc.names)
			}
			if tc.info != "" && !slices.ContainsFunc(e.Notes, func(n Note) bool { return n.Code == tc.info && n.Severity == Info }) {
				t.Errorf("no info note %s", tc.info)
			}
			if tc.msg != "" && !slices.ContainsFunc(e.Notes, func(n Note) bool { return strings.Contains(n.Message, tc.msg) }) {
				t.Errorf("no note says %q", tc.msg)
			}
			if t.Failed() {
				t.Logf("why: %s", e.Why)
				for _, n := range e.Notes {
					t.Logf("%s %s: %s", n.Severity, n.Code, n.Message)
				}
			}
		})
	}
}

func TestExplainNATBootstrapMismatchIsInfo(t *testing.T) {
	// The bootstrap seed points at the API server's own address; Felix's
	// EndpointSlice view differs until it syncs: not a warning.
	ex := ExplainNAT("n1", nil, natDump(t, "10.96.0.1 port 443 proto 6 id 0 count 1 local 0\n- 192.168.1.100:6443"), fixtureWorld().index())
	if HasWarning(ex[0].Notes) || !slices.ContainsFunc(ex[0].Notes, func(n Note) bool { return n.Code == CodeStaleBackend }) {
		t.Errorf("notes: %+v", ex[0].Notes)
	}
}
