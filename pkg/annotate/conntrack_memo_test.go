package annotate

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/model"
	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/parse"
)

// memoWorld is the fixture world plus a pod on an address another pod claims, so that the
// index has notes on an address.
func memoWorld() world {
	w := fixtureWorld()
	w.pods = append(w.pods, mkPod("default/dup", "n2", "10.65.0.5"))
	return w
}

// memoEntries are every conntrack fixture plus random entries between the world's addresses
// and ports (and strangers), of every type.
func memoEntries(t *testing.T, w world) []model.ConntrackEntry {
	var entries []model.ConntrackEntry
	files, _ := filepath.Glob(filepath.Join("..", "parse", "testdata", "*", "*conntrack-dump*.stdout.txt"))
	for _, f := range files {
		in, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		rows, _, err := parse.Collect(parse.Conntrack, in, parse.Options{})
		in.Close()
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		entries = append(entries, rows...)
	}
	var addrs []netip.Addr
	for _, s := range []string{"255.255.255.255", "8.8.8.8", "203.0.113.50", "10.65.9.9", "::1", "fd00::5"} {
		addrs = append(addrs, netip.MustParseAddr(s))
	}
	for _, n := range w.nodes {
		for _, a := range n.Status.Addresses {
			if ip, err := netip.ParseAddr(a.Address); err == nil {
				addrs = append(addrs, ip)
			}
		}
	}
	for _, p := range w.pods {
		addrs = append(addrs, netip.MustParseAddr(p.Status.PodIP))
	}
	for _, s := range w.svcs {
		for _, ip := range append(s.Spec.ClusterIPs, s.Spec.ExternalIPs...) {
			addrs = append(addrs, netip.MustParseAddr(ip))
		}
		for _, in := range s.Status.LoadBalancer.Ingress {
			addrs = append(addrs, netip.MustParseAddr(in.IP))
		}
	}
	ports := []uint16{0, 53, 80, 443, 6443, 8080, 8443, 9000, 30080, 40000, 51234}
	r := rand.New(rand.NewPCG(5, 6))
	ap := func() netip.AddrPort {
		if r.IntN(8) == 0 {
			return netip.AddrPort{}
		}
		return netip.AddrPortFrom(addrs[r.IntN(len(addrs))], ports[r.IntN(len(ports))])
	}
	for i := 0; i < 5000; i++ {
		e := model.ConntrackEntry{
			Type:  model.ConntrackType(r.IntN(3)),
			Proto: model.ProtoName([]model.Proto{model.ProtoTCP, model.ProtoUDP, model.ProtoICMP}[r.IntN(3)]),
			Src:   ap(), Dst: ap(), OrigDst: ap(),
		}
		if r.IntN(2) == 0 { // a raw entry: the key instead of src and dst
			a, b := ap(), ap()
			e.Src, e.Dst = netip.AddrPort{}, netip.AddrPort{}
			e.AddrA, e.PortA, e.AddrB, e.PortB = a.Addr(), a.Port(), b.Addr(), b.Port()
		}
		if e.Type == model.ConntrackNATForward {
			a, b := ap(), ap()
			e.RevAddrA, e.RevPortA, e.RevAddrB, e.RevPortB = a.Addr(), a.Port(), b.Addr(), b.Port()
		}
		if r.IntN(4) == 0 {
			e.TunnelIP = addrs[r.IntN(len(addrs))]
		}
		entries = append(entries, e)
	}
	return entries
}

// TestConntrackAnnotatorMatchesConntrack: the cached annotator gives what Conntrack gives,
// entry by entry, in any order and with the cache warm or cold.
func TestConntrackAnnotatorMatchesConntrack(t *testing.T) {
	w := memoWorld()
	idx := w.index()
	entries := memoEntries(t, w)
	want := Conntrack(entries, idx)
	c := NewConntrackAnnotator(idx)
	for round := 0; round < 2; round++ {
		for i := range entries {
			if got := c.Annotate(&entries[i]); !reflect.DeepEqual(got, want[i]) {
				t.Fatalf("entry %+v:\n got %s\nwant %s", entries[i], encode(t, got), encode(t, want[i]))
			}
		}
	}
}

// TestAnnotationAppendJSON: the hand-written JSON of annotations is encoding/json's.
func TestAnnotationAppendJSON(t *testing.T) {
	w := memoWorld()
	entries := memoEntries(t, w)
	anns := Conntrack(entries, w.index())
	// Strings that need escaping, and every optional field set.
	odd := ServicePortRef{Namespace: "ns\"q", Name: "a<b>&c", PortName: "p\u2028", Port: -1, Protocol: "TCP",
		NodePort: 30000, TargetPort: "tp\\", Via: KindNodePort, Node: "n\x01"}
	anns = append(anns, ConntrackAnnotation{
		Src: &Name{Text: "t\n", Owners: []Owner{{Kind: OwnerPod, Namespace: "ns", Name: "µ", Node: "n", Roles: []string{"a", "b\t"}}},
			Services: []ServicePortRef{odd, odd}, EndpointOf: []ServicePortRef{odd}, External: true},
		Backend: &Name{}, TunnelNode: "\xff", Service: &odd,
		Notes: []Note{{Severity: Warn, Code: "c", Message: "m \"x\""}, {}},
	}, ConntrackAnnotation{})
	seen := map[string]bool{}
	for _, a := range anns {
		want := encode(t, a)
		if got := a.AppendJSON([]byte("x")); !bytes.Equal(got[1:], want) {
			t.Fatalf("\n got %s\nwant %s", got[1:], want)
		}
		for _, k := range []string{"src_name", "dst_name", "orig_dst_name", "backend_name", "tunnel_node", "service", "notes", "owners", "services", "endpoint_of", "external", "roles", "node", "port_name", "target_port", "via"} {
			if bytes.Contains(want, []byte(`"`+k+`":`)) {
				seen[k] = true
			}
		}
	}
	if len(seen) != 16 {
		t.Errorf("fields never exercised: only %v", seen)
	}
}

func encode(t *testing.T, v any) []byte {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}
