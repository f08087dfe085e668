package annotate

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/model"
	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/parse"
)

func readFixture[T any](t *testing.T, dec parse.Decoder[T], name string) []T {
	t.Helper()
	f, err := os.Open("../parse/testdata/v3.32.1/" + name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, rep, err := parse.Collect(dec, f, parse.Options{})
	if err != nil || len(rep.Warnings) > 0 {
		t.Fatalf("decode %s: %v %v", name, err, rep.Warnings)
	}
	return rows
}

// TestFixtureNAT explains and checks the real v3.32.1 NAT dump of n1 against
// the objects of its world.
func TestFixtureNAT(t *testing.T) {
	entries := readFixture(t, parse.NAT, "nat-dump.stdout.txt")
	idx := fixtureWorld().index()
	ex := ExplainNAT("n1", nil, entries, idx)
	if len(ex) != len(entries) {
		t.Fatalf("%d explanations for %d entries", len(ex), len(entries))
	}
	type want struct {
		kind     FrontendKind
		svc      string
		node     string
		backends string
		warn     []Code
		why      string
	}
	wants := map[string]want{
		"10.96.0.1:443/TCP": {KindClusterIP, "default/kubernetes:https", "", "external 192.168.1.10", nil, "ClusterIP of svc default/kubernetes:https (443/TCP → 6443)"},
		"10.96.45.12:80/TCP": {KindClusterIP, "default/web:http", "",
			"default/web-0@n1* default/web-1@n2 default/web-2@n3", nil, ""},
		"10.96.77.7:443/TCP": {KindClusterIP, "default/secure:https", "", "default/secure-0@n2 default/secure-1@n3", nil, ""},
		"255.255.255.255:30080/TCP": {KindNodePortWildcard, "default/web:http", "",
			"default/web-0@n1* default/web-1@n2 default/web-2@n3", nil, "on any address of this node (255.255.255.255 wildcard); external-local"},
		"10.96.0.10:53/UDP": {KindClusterIP, "kube-system/kube-dns:dns", "", "kube-system/coredns-a@n1* kube-system/coredns-b@n2", nil, ""},
		"10.96.88.8:9000/TCP": {KindClusterIP, "default/local:9000/TCP", "", "default/local-0@n1* missing",
			[]Code{CodeMissingBackend}, "internal-local: internalTrafficPolicy Local"},
		"192.0.2.100:8080/TCP": {KindExternalIP, "default/maglev:http", "", "default/mag-0@n2 default/mag-1@n3", nil, "externalIP 192.0.2.100 of svc default/maglev:http (8080/TCP → 8080); maglev"},
		"192.168.1.11:30080/TCP": {KindNodePort, "default/web:http", "n1",
			"default/web-0@n1* default/web-1@n2 default/web-2@n3", nil, "NodePort 30080 of svc default/web:http (80/TCP → 8080) on node n1's address 192.168.1.11"},
		"198.51.100.10:443/TCP src 203.0.113.0/24": {KindSourceRange, "default/secure:https", "", "default/secure-0@n2 default/secure-1@n3", nil, "for clients in 203.0.113.0/24"},
		"198.51.100.10:443/TCP":                    {KindBlackhole, "default/secure:https", "", "", nil, "blackhole for LoadBalancer IP 198.51.100.10"},
	}
	for i, e := range ex {
		k := keyOf(entries[i].Frontend).String()
		w, ok := wants[k]
		if !ok {
			t.Errorf("unexpected frontend %s", k)
			continue
		}
		delete(wants, k)
		var bs []string
		for _, b := range e.Backends {
			s := b.Name
			if b.Local {
				s += "*"
			}
			bs = append(bs, s)
		}
		svc := ""
		if e.Service != nil {
			svc = e.Service.String()
		}
		if e.Kind != w.kind || svc != w.svc || e.Node != w.node || strings.Join(bs, " ") != w.backends ||
			!slices.Equal(warnCodes(e.Notes), w.warn) || !strings.Contains(e.Why, w.why) {
			t.Errorf("%s:\n got %s %q %q [%s] %v %q\nwant %s %q %q [%s] %v …%q…", k,
				e.Kind, svc, e.Node, strings.Join(bs, " "), warnCodes(e.Notes), e.Why,
				w.kind, w.svc, w.node, w.backends, w.warn, w.why)
		}
		if k == "198.51.100.10:443/TCP" && !slices.ContainsFunc(e.Notes, func(n Note) bool {
			return n.Code == CodeBlackhole && strings.Contains(n.Message, "allows only 203.0.113.0/24")
		}) {
			t.Errorf("blackhole not explained: %+v", e.Notes)
		}
		if k == "10.96.88.8:9000/TCP" && !strings.Contains(e.Notes[0].Message, "ordinal 1 is missing from the backend map (\"is missing\"); ready endpoint 10.65.1.50:9000 (default/local-1@n2) is not programmed") {
			t.Errorf("missing backend: %+v", e.Notes)
		}
	}
	if len(wants) > 0 {
		t.Errorf("not in the fixture: %v", wants)
	}

	// The check finds what this dump really lacks: the backend behind
	// ordinal 1 of 10.96.88.8, and the ClusterIP frontend of the maglev
	// Service (the fixture programs only its external IP).
	rep := CheckNAT(map[string][]model.NATEntry{"n1": entries}, idx, nil)
	got := findingCodes(rep.Findings)
	wantCodes := []string{"n1 missing-frontend 10.96.66.6:8080/TCP", "n1 missing-backend 10.96.88.8:9000/TCP"}
	if !slices.Equal(got, wantCodes) || !rep.HasDrift() {
		t.Errorf("got %q\nwant %q", got, wantCodes)
	}
	for _, f := range rep.Findings {
		if !strings.HasPrefix(f.Message, "node n1: svc default/") {
			t.Errorf("message does not name node and Service: %s", f.Message)
		}
	}
	if _, err := json.Marshal(ex); err != nil {
		t.Fatal(err)
	}
}

func TestFixtureRoutes(t *testing.T) {
	routes := readFixture(t, parse.Routes, "routes-dump.stdout.txt")
	ann := Routes("n1", routes, fixtureWorld().index())
	want := map[string]string{
		"10.65.0.0/16":    "|pool-route",
		"10.65.0.1/32":    "node n1|",
		"10.65.0.5/32":    "pod default/client@n1|",
		"10.65.0.9/32":    "pod default/sidecar@n1|",
		"10.65.1.0/26":    "node n2|nh=n2",
		"10.65.1.1/32":    "node n2|",
		"10.65.2.0/26":    "node n3|nh=n3",
		"10.65.9.0/26":    "|blackhole-route",
		"10.65.9.64/26":   "|blackhole-route",
		"192.168.1.11/32": "node n1|",
		"192.168.1.12/32": "node n2|",
		"203.0.113.0/24":  "|no-dsr-route",
	}
	for i, a := range ann {
		var codes []string
		for _, n := range a.Notes {
			codes = append(codes, string(n.Code))
		}
		got := a.Owner + "|" + strings.Join(codes, ",")
		if a.NextHopNode != "" {
			got += "nh=" + a.NextHopNode
		}
		if w := want[routes[i].Dest.String()]; got != w {
			t.Errorf("%s: got %q, want %q", routes[i].Dest, got, w)
		}
	}
	if r := ann[4].Owners[0]; !slices.Equal(r.Roles, []string{"IPv4IPIPTunnelAddr", RolePodCIDR, RolePods}) {
		t.Errorf("block roles: %v", r.Roles)
	}
}

func TestFixtureConntrack(t *testing.T) {
	entries := readFixture(t, parse.Conntrack, "conntrack-dump.stdout.txt")
	ann := Conntrack(entries, fixtureWorld().index())
	text := func(n *Name) string {
		if n == nil {
			return "-"
		}
		return n.Text
	}
	var got []string
	for _, a := range ann {
		s := text(a.Src) + " -> " + text(a.Dst)
		if a.OrigDst != nil {
			s += " via " + text(a.OrigDst)
		}
		if a.TunnelNode != "" {
			s += " from " + a.TunnelNode
		}
		for _, n := range a.Notes {
			s += " [" + string(n.Code) + "]"
		}
		got = append(got, s)
	}
	want := []string{
		"pod default/client@n1 -> pod default/probe@n3",
		// The NodePort of default/web, forwarded from n2 to a pod that is not
		// (or no longer) one of its endpoints.
		"external -> pod default/probe@n3 via svc default/web:http (NodePort) from n2 [stale-backend]",
		"pod default/client@n1 -> external (endpoint of svc default/kubernetes:https) via svc default/kubernetes:https",
		"pod default/client@n1 -> pod default/api-7@n2",
		"pod default/client@n1 -> pod default/api-7@n2",
		"pod default/client@n1 -> external",
		"pod default/client@n1 -> pod default/api-7@n2",
		"pod default/probe@n3 -> pod default/client@n1",
		"node n1 -> pod default/api-8@n2 via external [no-service]",
		"pod default/client@n1 -> pod default/api-7@n2",
	}
	if !slices.Equal(got, want) {
		t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if s := ann[2].Service; s == nil || s.String() != "default/kubernetes:https" {
		t.Errorf("service of the NAT entry: %+v", s)
	}
}
