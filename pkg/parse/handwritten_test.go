package parse

import (
	"testing"
	"time"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/model"
)

func TestRoutesOlderLayouts(t *testing.T) {
	t.Run("v3.16", func(t *testing.T) {
		checkRows(t, mustDecode(t, Routes, handwritten(t, "routes-v3.16.txt")), []model.Route{
			{Dest: cidr("10.65.0.0/16"), Flags: model.RouteInPool | model.RouteNATOut},
			{Dest: cidr("10.65.0.5/32"), Flags: model.RouteLocal | model.RouteWorkload | model.RouteInPool | model.RouteNATOut, IfIndex: 12},
			{Dest: cidr("10.65.1.0/26"), Flags: model.RouteWorkload | model.RouteInPool | model.RouteNATOut, NextHop: ip("192.168.1.12")},
			{Dest: cidr("192.168.1.11/32"), Flags: model.RouteLocal | model.RouteHost},
			{Dest: cidr("192.168.1.12/32"), Flags: model.RouteHost},
		})
	})
	t.Run("runbook 2021 paste", func(t *testing.T) {
		rows := mustDecode(t, Routes, handwritten(t, "routes-runbook-2021.txt"))
		if len(rows) != 15 {
			t.Fatalf("got %d routes, want 15", len(rows))
		}
		// Longer than the 15-character padding: no leading spaces at all.
		last := rows[13]
		if last.Dest != cidr("10.48.162.128/26") || last.NextHop != ip("10.0.1.31") || !last.Flags.Remote() {
			t.Errorf("row 13: %+v", last)
		}
		if rows[12].IfIndex != 19 {
			t.Errorf("row 12: %+v", rows[12])
		}
	})
	t.Run("words of a newer Calico are kept", func(t *testing.T) {
		checkRows(t, mustDecode(t, Routes, "10.0.0.0/8: remote in-pool warp-drive\n"), []model.Route{
			{Dest: cidr("10.0.0.0/8"), Flags: model.RouteInPool, ExtraFlags: []string{"warp-drive"}},
		})
	})
}

func TestNATOlderLayouts(t *testing.T) {
	t.Run("v3.13-v3.14 without local", func(t *testing.T) {
		checkRows(t, mustDecode(t, NAT, handwritten(t, "nat-v3.14-no-local.txt")), []model.NATEntry{
			{Frontend: model.NATFrontend{Addr: ip("10.96.0.10"), Port: 53, Proto: model.ProtoUDP, ID: 1, Count: 2},
				Backends: []model.NATBackend{{Addr: ip("10.65.0.20"), Port: 53, ID: 1}, {Addr: ip("10.65.1.21"), Port: 53, ID: 1, Ordinal: 1}}},
			{Frontend: model.NATFrontend{Addr: ip("10.96.0.1"), Port: 443, Proto: model.ProtoTCP, ID: 2}},
		})
	})
	t.Run("v3.27.0 ip : port", func(t *testing.T) {
		checkRows(t, mustDecode(t, NAT, handwritten(t, "nat-v3.27.0-spaced-colon.txt")), []model.NATEntry{
			{Frontend: model.NATFrontend{Addr: ip("10.96.45.12"), Port: 80, Proto: model.ProtoTCP, ID: 3, Count: 2, Local: 1},
				Backends: []model.NATBackend{{Addr: ip("10.65.0.30"), Port: 8080, ID: 3}, {ID: 3, Ordinal: 1, Missing: true}}},
			{Frontend: model.NATFrontend{Addr: ip("fd00:10:96::a"), Port: 53, Proto: model.ProtoUDP, ID: 101, Count: 1, Local: 1},
				Backends: []model.NATBackend{{Addr: ip("fd00:10:65::20"), Port: 53, ID: 101}}},
			{Frontend: model.NATFrontend{Addr: ip("198.51.100.10"), Port: 443, Proto: model.ProtoTCP, ID: 4, Count: model.BlackholeCount}},
		})
	})
	t.Run("v3.22 flags with a stray comma", func(t *testing.T) {
		rows := mustDecode(t, NAT, "10.96.88.8 port 9000 proto 6 id 5 count 1 local 1 flags , internal-local\n\t5:0\t 10.65.0.50:9000\n")
		if len(rows) != 1 || rows[0].Frontend.Flags != model.NATInternalLocal || len(rows[0].Frontend.ExtraFlags) > 0 {
			t.Errorf("rows: %+v", rows)
		}
	})
	t.Run("v3.31.5 src and flags together", func(t *testing.T) {
		rows := mustDecode(t, NAT, "198.51.100.10 port 443 proto 6 id 4 count 1 local 0 flags external-local, maglev src 203.0.113.0/24\n\t4:0\t 10.65.1.40:8443\n")
		if len(rows) != 1 || rows[0].Frontend.Flags != model.NATExternalLocal|model.NATMaglev || rows[0].Frontend.SrcCIDR != cidr("203.0.113.0/24") {
			t.Errorf("rows: %+v", rows)
		}
	})
	t.Run("runbook 2021: elisions, tabs turned into spaces", func(t *testing.T) {
		rows := mustDecode(t, NAT, handwritten(t, "nat-runbook-2021.txt"))
		if len(rows) != 6 {
			t.Fatalf("got %d frontends, want 6", len(rows))
		}
		for _, r := range rows {
			if len(r.Backends) != 1 || r.Backends[0].ID != r.Frontend.ID || !r.Backends[0].Addr.IsValid() {
				t.Errorf("entry %+v", r)
			}
		}
		if last := rows[5]; last.Backends[0].Addr != ip("10.48.7.87") || last.Backends[0].Port != 8000 {
			t.Errorf("last: %+v", last)
		}
	})
}

func TestNATAffinityForms(t *testing.T) {
	rows := mustDecode(t, NATAffinity, handwritten(t, "nat-aff-v3.23-no-newlines.txt"))
	checkRows(t, rows, []model.NATAffinity{
		{ClientIP: ip("10.65.0.5"), Proto: model.ProtoTCP, Addr: ip("10.96.45.12"), Port: 80,
			Backend: model.NATAffBackend{Addr: ip("10.65.1.30"), Port: 8080}, Timestamp: model.D(2256284094688)},
		{ClientIP: ip("10.65.0.6"), Proto: model.ProtoTCP, Addr: ip("10.96.45.12"), Port: 80,
			Backend: model.NATAffBackend{Addr: ip("10.65.2.30"), Port: 8080}, Timestamp: model.D(2256284094699)},
	})
	v6 := mustDecode(t, NATAffinity, "client fd00::5 svc proto 17 [fd00:96::a]:53 -> [fd00:65::20]:53 ts 1h2m3s\n\n")
	checkRows(t, v6, []model.NATAffinity{{ClientIP: ip("fd00::5"), Proto: model.ProtoUDP, Addr: ip("fd00:96::a"), Port: 53,
		Backend: model.NATAffBackend{Addr: ip("fd00:65::20"), Port: 53}, Timestamp: model.D(time.Hour + 2*time.Minute + 3*time.Second)}})
}

func TestIPSetsRunbook(t *testing.T) {
	rows := mustDecode(t, IPSets, handwritten(t, "ipsets-runbook-2021.txt"))
	checkRows(t, rows, []model.IPSet{
		{ID: 0x100000001, Members: []model.IPSetMember{{CIDR: cidr("10.49.0.10/32"), Port: 53, Proto: model.ProtoUDP}}},
		{ID: 0xa48e493196cddbb, Members: []model.IPSetMember{{CIDR: cidr("10.0.1.20/32")}}},
		{ID: 0x1451213aebb2fe8a, Members: []model.IPSetMember{{CIDR: cidr("10.48.7.69/32")}}},
		{ID: 0x1e69a881cefa300e, Members: []model.IPSetMember{{CIDR: cidr("10.48.162.140/32")}}},
	})
	if rows := mustDecode(t, IPSets, "No IP sets found.\n"); len(rows) != 0 {
		t.Errorf("empty dump gave %v", rows)
	}
}

func TestIPSetsLargeSetIsSplit(t *testing.T) {
	input := "IP set 0x1\n   10.0.0.1/32\n   10.0.0.2/32\n   10.0.0.3/32\n\nIP set 0x2\n   10.0.0.4/32\n"
	rows, _, err := decodeString(t, IPSets, input, Options{MaxSetMembers: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || rows[0].ID != 1 || rows[1].ID != 1 || len(rows[0].Members) != 2 || len(rows[1].Members) != 1 || rows[2].ID != 2 {
		t.Errorf("rows: %+v", rows)
	}
}

func TestIfStateLayouts(t *testing.T) {
	t.Run("v3.24", func(t *testing.T) {
		checkRows(t, mustDecode(t, IfState, handwritten(t, "ifstate-v3.24.txt")), []model.IfState{
			{IfIndex: 2, Name: "eth0", Flags: model.IfHost},
			{IfIndex: 12, Name: "cali1a2b3c4d5e6", Flags: model.IfReady | model.IfWorkload},
			{IfIndex: 13, Name: "cali0000000001", Flags: model.IfReady | model.IfWorkload},
		})
	})
	t.Run("v3.27", func(t *testing.T) {
		checkRows(t, mustDecode(t, IfState, handwritten(t, "ifstate-v3.27.txt")), []model.IfState{
			{IfIndex: 2, Name: "eth0", Flags: model.IfReady, XDPPolicyV4: model.Index(-1), IngressPolicyV4: model.Index(3), EgressPolicyV4: model.Index(4),
				TCIngressFilter: model.Index(-1), TCEgressFilter: model.Index(-1)},
			{IfIndex: 12, Name: "cali1a2b3c4d5e6", Flags: model.IfWorkload | model.IfReady, XDPPolicyV4: model.Index(-1), IngressPolicyV4: model.Index(7),
				EgressPolicyV4: model.Index(8), TCIngressFilter: model.Index(5), TCEgressFilter: model.Index(-1)},
		})
	})
	t.Run("v3.28.0", func(t *testing.T) {
		checkRows(t, mustDecode(t, IfState, handwritten(t, "ifstate-v3.28.0.txt")), []model.IfState{
			{IfIndex: 12, Name: "cali1a2b3c4d5e6", Flags: model.IfWorkload | model.IfV4Ready | model.IfV6Ready,
				XDPPolicyV4: model.Index(-1), IngressPolicyV4: model.Index(7), EgressPolicyV4: model.Index(8),
				XDPPolicyV6: model.Index(-1), IngressPolicyV6: model.Index(9), EgressPolicyV6: model.Index(10),
				TCIngressFilter: model.Index(-1), TCEgressFilter: model.Index(-1)},
		})
	})
}

func TestCountersV324AndWrappedCaptions(t *testing.T) {
	na := model.CounterValue{}
	checkRows(t, mustDecode(t, Counters, handwritten(t, "counters-v3.24.txt")), []model.InterfaceCounters{
		{Interface: "eth0", Counters: []model.Counter{
			{Category: "Accepted", Type: "by another program", Ingress: model.Count(0), Egress: model.Count(0), XDP: na},
			{Category: "Accepted", Type: "by failsafe", Ingress: model.Count(3), Egress: model.Count(3), XDP: na},
			{Category: "Accepted", Type: "by policy", Ingress: model.Count(990), Egress: model.Count(1990), XDP: na},
			{Category: "Dropped", Type: "by policy", Ingress: model.Count(7), Egress: model.Count(7), XDP: na},
			{Category: "Dropped", Type: "packets with unsupported IP options", Ingress: model.Count(0), Egress: model.Count(0), XDP: na},
			{Category: "Total", Type: "packets", Ingress: model.Count(1000), Egress: model.Count(2000), XDP: na},
		}},
		{Interface: "cali1a2b3c4d5e6", Counters: []model.Counter{
			{Category: "Accepted", Type: "by policy", Ingress: model.Count(5), Egress: model.Count(6), XDP: na},
			{Category: "Total", Type: "packets", Ingress: model.Count(5), Egress: model.Count(6), XDP: na},
		}},
	})
}

func TestConntrackStatsText(t *testing.T) {
	rows := mustDecode(t, ConntrackStats, "Conntrack map size: 512000\nTotal connections: 3\nTotal entries: 4\nNAT connections: 1\n\nTCP : 2\nUDP : 1\nOthers : 0\n\nTCP Established: 1\nTCP Closed: 0\nTCP Reset: 0\nTCP Syn-sent: 1\n")
	checkRows(t, rows, []model.ConntrackStats{{MapSize: 512000, TotalConnections: 3, TotalEntries: 4, NATConnections: 1, TCP: 2, UDP: 1, TCPEstablished: 1, TCPSynSent: 1}})
}
