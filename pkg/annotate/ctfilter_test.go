package annotate

import (
	"net/netip"
	"testing"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/model"
)

func TestConntrackFilter(t *testing.T) {
	web := model.ConntrackEntry{
		Type: model.ConntrackNATReverse, Proto: model.ProtoName(model.ProtoTCP), TCPState: model.TCPEstablished,
		Src: netip.MustParseAddrPort("10.65.0.5:51000"), OrigDst: netip.MustParseAddrPort("10.96.45.12:80"),
		Dst: netip.MustParseAddrPort("10.65.1.30:8080"),
	}
	dns := model.ConntrackEntry{
		Type: model.ConntrackNormal, Proto: model.ProtoName(model.ProtoUDP),
		Src: netip.MustParseAddrPort("10.65.0.5:5353"), Dst: netip.MustParseAddrPort("10.65.2.9:53"),
	}
	idx := fixtureWorld().index()
	cases := []struct {
		name     string
		f        ConntrackFilter
		web, dns bool
	}{
		{"empty", ConntrackFilter{}, true, true},
		{"proto udp", ConntrackFilter{Proto: model.ProtoUDP, HasProto: true}, false, true},
		{"ip on either side", ConntrackFilter{IP: netip.MustParseAddr("10.65.1.30")}, true, false},
		{"original destination", ConntrackFilter{IP: netip.MustParseAddr("10.96.45.12")}, true, false},
		{"port", ConntrackFilter{Port: 53}, false, true},
		{"state is TCP only", ConntrackFilter{State: model.TCPEstablished, HasState: true}, true, false},
		{"service by ClusterIP", ConntrackFilter{Service: "default/web"}, true, false},
		{"service nobody uses", ConntrackFilter{Service: "default/nope"}, false, false},
	}
	for _, c := range cases {
		if got := c.f.Match(web, idx); got != c.web {
			t.Errorf("%s: web entry matched %v, want %v", c.name, got, c.web)
		}
		if got := c.f.Match(dns, idx); got != c.dns {
			t.Errorf("%s: dns entry matched %v, want %v", c.name, got, c.dns)
		}
	}
}
