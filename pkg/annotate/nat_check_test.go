package annotate

import (
	"net/netip"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/model"
)

func TestCheckNATClean(t *testing.T) {
	idx := fixtureWorld().index()
	rep := CheckNAT(map[string][]model.NATEntry{
		"n1": natDump(t, cleanN1),
		"n2": natDump(t, cleanN2),
	}, idx, nil)
	if rep.HasDrift() || len(rep.Findings) != 0 {
		for _, f := range rep.Findings {
			t.Errorf("unexpected finding: %s %s", f.Severity, f.Message)
		}
	}
	if rep.Frontends != 22 || !slices.Equal(rep.Nodes, []string{"n1", "n2"}) {
		t.Errorf("compared %d frontends on %v", rep.Frontends, rep.Nodes)
	}
}

// edit applies "old=>new" replacements to a dump; new "" deletes the lines.
func edit(t *testing.T, dump string, repl ...string) string {
	t.Helper()
	for _, r := range repl {
		old, nw, _ := strings.Cut(r, "=>")
		if !strings.Contains(dump, old) {
			t.Fatalf("edit: %q not in dump", old)
		}
		dump = strings.Replace(dump, old, nw, 1)
	}
	return dump
}

func TestCheckNATDrift(t *testing.T) {
	tcp := corev1.ProtocolTCP
	tests := []struct {
		name  string
		world func(*world)
		n2    []string // edits to cleanN2
		want  []string // "node code frontend" of warnings, in report order
		msg   string   // a substring of some finding's message
	}{
		{
			name: "stale backend and wrong count",
			n2: []string{"10.96.0.10 port 53 proto 17 id 10 count 2 local 1\n- 10.65.1.21:53\n- 10.65.0.20:53\n=>" +
				"10.96.0.10 port 53 proto 17 id 10 count 3 local 1\n- 10.65.1.21:53\n- 10.65.0.20:53\n- 10.65.2.99:53\n"},
			want: []string{
				"n2 stale-backend 10.96.0.10:53/UDP",
				"n2 wrong-count 10.96.0.10:53/UDP",
				"* cross-node-backends 10.96.0.10:53/UDP",
			},
			msg: "node n2: svc kube-system/kube-dns:dns: frontend 10.96.0.10:53/UDP: count 3, but svc kube-system/kube-dns:dns has 2 ready endpoints",
		},
		{
			name: "missing backend",
			n2: []string{"10.96.66.6 port 8080 proto 6 id 12 count 2 local 1\n- 10.65.1.60:8080\n- 10.65.2.60:8080\n=>" +
				"10.96.66.6 port 8080 proto 6 id 12 count 2 local 1\n- 10.65.1.60:8080\n- missing\n"},
			want: []string{"n2 missing-backend 10.96.66.6:8080/TCP", "* cross-node-backends 10.96.66.6:8080/TCP"},
			msg:  `ordinal 1 is missing from the backend map ("is missing"); ready endpoint 10.65.2.60:8080 (default/mag-1@n3) is not programmed`,
		},
		{
			name: "missing frontend",
			n2:   []string{"192.0.2.100 port 8080 proto 6 id 12 count 2 local 1 flags maglev\n- 10.65.1.60:8080\n- 10.65.2.60:8080\n=>"},
			want: []string{"n2 missing-frontend 192.0.2.100:8080/TCP", "* cross-node-frontend 192.0.2.100:8080/TCP"},
			msg:  "192.0.2.100:8080/TCP is on n1 but not on n2",
		},
		{
			name: "stale frontend of a deleted Service",
			n2:   []string{"10.96.0.1 port=>10.96.99.9 port 80 proto 6 id 99 count 0 local 0\n10.96.0.1 port"},
			want: []string{"n2 no-service 10.96.99.9:80/TCP", "* cross-node-frontend 10.96.99.9:80/TCP"},
		},
		{
			name: "wrong local count",
			n2:   []string{"10.96.77.7 port 443 proto 6 id 9 count 2 local 1=>10.96.77.7 port 443 proto 6 id 9 count 2 local 0"},
			want: []string{"n2 wrong-local 10.96.77.7:443/TCP"},
			msg:  "local 0, but 1 of the ready endpoints run on n2",
		},
		{
			name: "local ordinals in the wrong order",
			n2: []string{"10.96.88.8 port 9000 proto 6 id 11 count 2 local 1 flags internal-local\n- 10.65.1.50:9000\n- 10.65.0.50:9000\n=>" +
				"10.96.88.8 port 9000 proto 6 id 11 count 2 local 1 flags internal-local\n- 10.65.0.50:9000\n- 10.65.1.50:9000\n"},
			want: []string{"n2 wrong-local 10.96.88.8:9000/TCP", "n2 wrong-local 10.96.88.8:9000/TCP"},
			msg:  "ordinal 0 (default/local-0@n1) is counted as local (local 1) but runs on n1",
		},
		{
			name: "derived frontend with another id",
			n2:   []string{"192.168.1.12 port 30080 proto 6 id 8=>192.168.1.12 port 30080 proto 6 id 13"},
			want: []string{"n2 id-mismatch 192.168.1.12:30080/TCP"},
		},
		{
			name: "blackhole missing: plain key carries backends",
			n2: []string{"198.51.100.10 port 443 proto 6 id 9 count -1 local 0\n=>" +
				"198.51.100.10 port 443 proto 6 id 9 count 2 local 1\n- 10.65.1.40:8443\n- 10.65.2.40:8443\n"},
			want: []string{"n2 expected-blackhole 198.51.100.10:443/TCP", "* cross-node-backends 198.51.100.10:443/TCP"},
		},
		{
			name: "source range no longer allowed",
			n2:   []string{"src 203.0.113.0/24=>src 192.0.2.0/24"},
			want: []string{
				"n2 stale-source-range 198.51.100.10:443/TCP src 192.0.2.0/24",
				"n2 missing-frontend 198.51.100.10:443/TCP src 203.0.113.0/24",
				"* cross-node-frontend 198.51.100.10:443/TCP src 192.0.2.0/24",
				"* cross-node-frontend 198.51.100.10:443/TCP src 203.0.113.0/24",
			},
		},
		{
			name: "endpoint became not ready: the map still has it",
			world: func(w *world) {
				w.slices[4] = mkSlice("default/local", ports(eport("", 9000, tcp)),
					mkEP("10.65.0.50", "default/local-0", "n1"), mkEP("10.65.1.50", "default/local-1", "n2", notReady))
			},
			n2: nil, // n1 and n2 both still program local-1
			want: []string{
				"n1 stale-backend 10.96.88.8:9000/TCP", "n1 wrong-count 10.96.88.8:9000/TCP",
				"n2 stale-backend 10.96.88.8:9000/TCP", "n2 wrong-count 10.96.88.8:9000/TCP", "n2 wrong-local 10.96.88.8:9000/TCP",
			},
			msg: "is not-ready in the EndpointSlices of svc default/local:9000/TCP",
		},
		{
			name: "terminating endpoints counted: info, not drift",
			world: func(w *world) {
				w.slices[4] = mkSlice("default/local", ports(eport("", 9000, tcp)),
					mkEP("10.65.0.50", "default/local-0", "n1"), mkEP("10.65.1.50", "default/local-1", "n2", terminating))
			},
			want: nil, // n2 counts its terminating pod, also as local: tolerated
		},
		{
			name: "node IP not in the NAT map",
			n2:   []string{"192.168.1.12 port 30080 proto 6 id 8 count 3 local 1 flags external-local\n- 10.65.1.30:8080\n- 10.65.0.30:8080\n- 10.65.2.30:8080\n=>"},
			want: []string{"n2 missing-frontend 192.168.1.12:30080/TCP"},
			msg:  "NodePort on node n2's address",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := fixtureWorld()
			if tc.world != nil {
				tc.world(&w)
			}
			n2 := cleanN2
			if len(tc.n2) > 0 {
				n2 = edit(t, cleanN2, tc.n2...)
			}
			rep := CheckNAT(map[string][]model.NATEntry{"n1": natDump(t, cleanN1), "n2": natDump(t, n2)}, w.index(), nil)
			got := findingCodes(rep.Findings)
			if !slices.Equal(got, tc.want) {
				t.Errorf("warnings:\n got %q\nwant %q", got, tc.want)
				for _, f := range rep.Findings {
					t.Logf("%s %s", f.Severity, f.Message)
				}
			}
			if !rep.HasDrift() && len(tc.want) > 0 {
				t.Error("HasDrift() = false")
			}
			if tc.msg != "" && !slices.ContainsFunc(rep.Findings, func(f Finding) bool { return strings.Contains(f.Message, tc.msg) }) {
				t.Errorf("no finding says %q", tc.msg)
				for _, f := range rep.Findings {
					t.Logf("%s %s", f.Severity, f.Message)
				}
			}
		})
	}
}

// itpWorld has a NodePort Service with internalTrafficPolicy Local and
// endpoints on n1, n2 and n3.
func itpWorld() world {
	w := fixtureWorld()
	tcp := corev1.ProtocolTCP
	w.svcs = []corev1.Service{mkSvc("default/itp", "10.96.9.9", port("http", 80, 8080, tcp, 30090), itpLocal)}
	w.slices = []discoveryv1.EndpointSlice{mkSlice("default/itp", ports(eport("http", 8080, tcp)),
		mkEP("10.65.0.30", "default/web-0", "n1"), mkEP("10.65.1.30", "default/web-1", "n2"), mkEP("10.65.2.30", "default/web-2", "n3"))}
	return w
}

const itpN1 = `
10.96.9.9 port 80 proto 6 id 1 count 3 local 1 flags internal-local
- 10.65.0.30:8080
- 10.65.1.30:8080
- 10.65.2.30:8080
192.168.1.11 port 30090 proto 6 id 1 count 3 local 1 flags internal-local
- 10.65.0.30:8080
- 10.65.1.30:8080
- 10.65.2.30:8080
192.168.1.12 port 30090 proto 6 id 2 count 1 local 0
- 10.65.1.30:8080
192.168.1.13 port 30090 proto 6 id 3 count 1 local 0
- 10.65.2.30:8080
`

func TestCheckNATInternalTrafficPolicyLocal(t *testing.T) {
	idx := itpWorld().index()
	t.Run("clean", func(t *testing.T) {
		rep := CheckNAT(map[string][]model.NATEntry{"n1": natDump(t, itpN1)}, idx, nil)
		if len(rep.Findings) != 0 {
			t.Errorf("findings: %+v", rep.Findings)
		}
		ex := ExplainNAT("n1", nil, natDump(t, itpN1), idx)
		if ex[2].Kind != KindNodePortRemote || ex[2].Node != "n2" || ex[3].Node != "n3" {
			t.Errorf("remote NodePorts explained as %s %s, %s %s", ex[2].Kind, ex[2].Node, ex[3].Kind, ex[3].Node)
		}
		if !strings.Contains(ex[2].Why, "internalTrafficPolicy Local: its own id and only n2's endpoints") {
			t.Errorf("why: %s", ex[2].Why)
		}
	})
	t.Run("wildcard programmed, remote frontend missing, wrong node's endpoint", func(t *testing.T) {
		dump := edit(t, itpN1,
			"192.168.1.13 port 30090 proto 6 id 3 count 1 local 0\n- 10.65.2.30:8080\n=>255.255.255.255 port 30090 proto 6 id 1 count 3 local 1\n- 10.65.0.30:8080\n- 10.65.1.30:8080\n- 10.65.2.30:8080\n",
			"192.168.1.12 port 30090 proto 6 id 2 count 1 local 0\n- 10.65.1.30:8080=>192.168.1.12 port 30090 proto 6 id 2 count 1 local 0\n- 10.65.2.30:8080")
		rep := CheckNAT(map[string][]model.NATEntry{"n1": natDump(t, dump)}, idx, nil)
		want := []string{
			"n1 missing-backend 192.168.1.12:30090/TCP",
			"n1 stale-backend 192.168.1.12:30090/TCP",
			"n1 missing-frontend 192.168.1.13:30090/TCP",
			"n1 stale-frontend 255.255.255.255:30090/TCP",
		}
		if got := findingCodes(rep.Findings); !slices.Equal(got, want) {
			t.Errorf("got %q\nwant %q", got, want)
			for _, f := range rep.Findings {
				t.Log(f.Message)
			}
		}
	})
}

func TestCheckNATSourceRangesBeforeSrcWasPrinted(t *testing.T) {
	// Before v3.31.5 the src key prints like a duplicate of the blackhole.
	dump := edit(t, cleanN1, " src 203.0.113.0/24=>")
	rep := CheckNAT(map[string][]model.NATEntry{"n1": natDump(t, dump)}, fixtureWorld().index(), nil)
	if len(rep.Findings) != 0 {
		t.Errorf("findings: %+v", rep.Findings)
	}
	ex := ExplainNAT("n1", nil, natDump(t, dump), fixtureWorld().index())
	i := slices.IndexFunc(ex, func(e FrontendExplanation) bool { return e.Kind == KindSourceRange })
	if i < 0 || !strings.Contains(ex[i].Why, "one of 203.0.113.0/24 (the dump does not print src before v3.31.5)") {
		t.Errorf("source-range key not recognised: %+v", ex)
	}
}

func TestCheckNATExtraNodeAddress(t *testing.T) {
	// The host has an address the Node object does not list: info, not drift.
	dump := cleanN1 + "10.0.0.11 port 30080 proto 6 id 3 count 3 local 1 flags external-local\n- 10.65.0.30:8080\n- 10.65.1.30:8080\n- 10.65.2.30:8080\n"
	rep := CheckNAT(map[string][]model.NATEntry{"n1": natDump(t, dump)}, fixtureWorld().index(), nil)
	if rep.HasDrift() || len(rep.Findings) != 1 || rep.Findings[0].Code != CodeExtraNodePort {
		t.Errorf("findings: %+v", rep.Findings)
	}
	// Told the node's addresses, the same frontend is still accepted, and
	// 192.168.1.11 is now the only required NodePort address.
	info := map[string]NodeInfo{"n1": {IPs: []netip.Addr{netip.MustParseAddr("192.168.1.11"), netip.MustParseAddr("10.0.0.11")}}}
	rep = CheckNAT(map[string][]model.NATEntry{"n1": natDump(t, dump)}, fixtureWorld().index(), info)
	if len(rep.Findings) != 0 {
		t.Errorf("findings with NodeInfo: %+v", rep.Findings)
	}
}

func TestCheckNATCrossNodeOnly(t *testing.T) {
	// A frontend no Service explains, on n1 and n2 with different backends:
	// both are stale, and the nodes disagree.
	extra := "10.96.50.50 port 80 proto 6 id 50 count 1 local 0\n- 10.65.%s:80\n"
	n1 := cleanN1 + strings.Replace(extra, "%s", "2.1", 1)
	n2 := cleanN2 + strings.Replace(extra, "%s", "2.2", 1)
	rep := CheckNAT(map[string][]model.NATEntry{"n1": natDump(t, n1), "n2": natDump(t, n2), "n3": natDump(t, "")}, fixtureWorld().index(), nil)
	got := findingCodes(rep.Findings)
	if !slices.Contains(got, "* cross-node-backends 10.96.50.50:80/TCP") || !slices.Contains(got, "n1 no-service 10.96.50.50:80/TCP") {
		t.Errorf("got %q", got)
	}
	// n3's map is empty: every frontend is missing there, and absent on it.
	var missing, cross int
	for _, f := range rep.Findings {
		switch {
		case f.Node == "n3" && f.Code == CodeMissingFrontend:
			missing++
		case f.Code == CodeCrossNodeFrontend && slices.Equal(f.Absent, []string{"n3"}):
			cross++
		}
	}
	if missing != 11 || cross != 11 { // 12 frontends each, minus the node's own NodePort
		t.Errorf("n3: %d missing, %d cross-node", missing, cross)
	}
}

func TestCheckNATTopologyIsNotDrift(t *testing.T) {
	w := fixtureWorld()
	w.svcs[3] = mkSvc("kube-system/kube-dns", "10.96.0.10", port("dns", 53, 53, corev1.ProtocolUDP, 0),
		annotate("service.kubernetes.io/topology-mode", "Auto"))
	n2 := edit(t, cleanN2, "10.96.0.10 port 53 proto 17 id 10 count 2 local 1\n- 10.65.1.21:53\n- 10.65.0.20:53\n=>10.96.0.10 port 53 proto 17 id 10 count 1 local 1\n- 10.65.1.21:53\n")
	rep := CheckNAT(map[string][]model.NATEntry{"n1": natDump(t, cleanN1), "n2": natDump(t, n2)}, w.index(), nil)
	if rep.HasDrift() || len(rep.Findings) == 0 {
		t.Errorf("want info findings only: %+v", rep.Findings)
	}
}

func TestCheckNATDualStack(t *testing.T) {
	tcp := corev1.ProtocolTCP
	w := world{
		nodes: []corev1.Node{mkNode("n1", "192.168.1.11,fd00::11", "10.65.0.0/24")},
		pods:  []corev1.Pod{mkPod("default/ds-0", "n1", "10.65.0.7", "fd00:65::7")},
		svcs:  []corev1.Service{mkSvc("default/ds", "10.96.1.1,fd00:96::1", port("http", 80, 8080, tcp, 30001))},
		slices: []discoveryv1.EndpointSlice{
			mkSlice("default/ds", ports(eport("http", 8080, tcp)), mkEP("10.65.0.7", "default/ds-0", "n1")),
			mkSlice("default/ds", ports(eport("http", 8080, tcp)), mkEP("fd00:65::7", "default/ds-0", "n1")),
		},
	}
	v4 := `
10.96.1.1 port 80 proto 6 id 1 count 1 local 1
- 10.65.0.7:8080
192.168.1.11 port 30001 proto 6 id 1 count 1 local 1
- 10.65.0.7:8080
255.255.255.255 port 30001 proto 6 id 1 count 1 local 1
- 10.65.0.7:8080
`
	v6 := `
fd00:96::1 port 80 proto 6 id 1 count 1 local 1
- [fd00:65::7]:8080
fd00::11 port 30001 proto 6 id 1 count 1 local 1
- [fd00:65::7]:8080
ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff port 30001 proto 6 id 1 count 1 local 1
- [fd00:65::7]:8080
`
	idx := w.index()
	// IPv4 only dumped: the IPv6 frontends are not expected.
	if rep := CheckNAT(map[string][]model.NATEntry{"n1": natDump(t, v4)}, idx, nil); len(rep.Findings) != 0 {
		t.Errorf("v4 findings: %+v", rep.Findings)
	}
	all := append(natDump(t, v4), natDump(t, v6)...)
	if rep := CheckNAT(map[string][]model.NATEntry{"n1": all}, idx, nil); len(rep.Findings) != 0 {
		t.Errorf("dual-stack findings: %+v", rep.Findings)
	}
	// Told both maps were dumped, a missing IPv6 map is drift.
	rep := CheckNAT(map[string][]model.NATEntry{"n1": natDump(t, v4)}, idx, map[string]NodeInfo{"n1": {IPv4: true, IPv6: true}})
	if got := findingCodes(rep.Findings); len(got) != 3 || got[0] != "n1 missing-frontend [fd00::11]:30001/TCP" {
		t.Errorf("got %q", got)
	}
	ex := ExplainNAT("n1", nil, all, idx)
	if ex[5].Kind != KindNodePortWildcard || ex[5].Backends[0].Name != "default/ds-0@n1" || !ex[5].Backends[0].Local {
		t.Errorf("IPv6 wildcard: %+v", ex[5])
	}
	if ex[4].Kind != KindNodePort || ex[4].Node != "n1" {
		t.Errorf("IPv6 NodePort: %+v", ex[4])
	}
}
