package output

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/model"
)

func natEntry(addr string, port uint16, id uint32, count int64, local uint32, backends ...string) model.NATEntry {
	e := model.NATEntry{Frontend: model.NATFrontend{Addr: netip.MustParseAddr(addr), Port: port, Proto: model.ProtoTCP, ID: id, Count: count, Local: local}}
	for i, b := range backends {
		ap := netip.MustParseAddrPort(b)
		e.Backends = append(e.Backends, model.NATBackend{Addr: ap.Addr(), Port: ap.Port(), ID: id, Ordinal: uint32(i)})
	}
	return e
}

func explainOne(t *testing.T, entries []model.NATEntry, opts ExplainOptions) []string {
	t.Helper()
	var out []string
	for _, x := range ExplainNAT(entries, opts) {
		out = append(out, x.Text)
	}
	return out
}

func TestExplainNoReadyEndpoints(t *testing.T) {
	got := explainOne(t, []model.NATEntry{natEntry("10.96.0.5", 80, 7, 0, 0)}, ExplainOptions{})
	if len(got) != 1 || !strings.Contains(got[0], "no ready endpoints") {
		t.Errorf("%q", got)
	}
}

func TestExplainBlackholeWithoutSourceRanges(t *testing.T) {
	// Before v3.31.5 the src CIDR is not printed: only the blackhole is recognisable.
	got := explainOne(t, []model.NATEntry{natEntry("198.51.100.1", 443, 4, -1, 0)}, ExplainOptions{})
	if len(got) != 1 || !strings.Contains(got[0], "(id 4): blackhole: no backends; traffic is dropped") ||
		!strings.Contains(got[0], "before v3.31.5") {
		t.Errorf("%q", got)
	}
}

func TestExplainTruncatesBackendsAndNotesInconsistencies(t *testing.T) {
	e := natEntry("10.96.0.9", 80, 0, 5, 2, "10.0.0.1:80", "10.0.0.2:80", "10.0.0.3:80")
	e.Backends = append(e.Backends, model.NATBackend{ID: 0, Ordinal: 3, Missing: true})
	got := explainOne(t, []model.NATEntry{e}, ExplainOptions{MaxBackends: 2})[0]
	for _, want := range []string{
		"5 backends, 2 on this node (ordinals 0..1 are local): 10.0.0.1:80 (local), 10.0.0.2:80 (local) and 2 more",
		"Backend ordinal 3 is missing from the backend map",
		"The dump lists 4 backend lines for count 5",
		"Id 0 is most likely the entry the ebpf-bootstrap init container writes",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in\n%s", want, got)
		}
	}
}

func TestExplainDifferentBackendsInOneID(t *testing.T) {
	// With internalTrafficPolicy Local on a NodePort, frontends of one id can differ.
	got := explainOne(t, []model.NATEntry{
		natEntry("10.96.0.9", 80, 3, 2, 1, "10.0.0.1:80", "10.0.0.2:80"),
		natEntry("255.255.255.255", 30080, 3, 1, 1, "10.0.0.1:80"),
	}, ExplainOptions{})
	if len(got) != 2 || !strings.Contains(got[1], "(same id 3 as 10.96.0.9:80/TCP) with 1 backend, 1 on this node") {
		t.Errorf("%q", got)
	}
}

func TestIsAllOnes(t *testing.T) {
	for s, want := range map[string]bool{"255.255.255.255": true, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff": true, "255.255.255.254": false, "::": false} {
		if got := isAllOnes(netip.MustParseAddr(s)); got != want {
			t.Errorf("isAllOnes(%s) = %v", s, got)
		}
	}
	if isAllOnes(netip.Addr{}) {
		t.Error("the zero address is all ones")
	}
}
