package parse

import (
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/model"
)

func TestInputsIPSets(t *testing.T) {
	eachDump(t, KindIPSets, func(t *testing.T, set fixtureSet, run fixtureRun, in inputsDoc, rows []model.IPSet) {
		want := map[model.SetID][]model.IPSetMember{}
		if isV6Run(run) {
			for _, s := range in.Inputs.IPSets6 {
				id := mustSetID(t, s.SetID)
				for _, m := range s.Members {
					want[id] = append(want[id], v6Member(t, m))
				}
			}
		} else {
			for _, m := range in.Inputs.IPSets4 {
				id := mustSetID(t, m.SetID)
				want[id] = append(want[id], model.IPSetMember{CIDR: netip.MustParsePrefix(m.CIDR), Port: m.Port, Proto: model.Proto(m.Proto)})
			}
		}
		got := map[model.SetID][]model.IPSetMember{}
		for _, r := range rows {
			got[r.ID] = append(got[r.ID], r.Members...)
		}
		if len(got) != len(want) {
			t.Errorf("got %d sets, want %d", len(got), len(want))
		}
		for id, w := range want {
			g := got[id]
			less := func(a, b model.IPSetMember) int { return strings.Compare(a.String(), b.String()) }
			slices.SortFunc(g, less)
			slices.SortFunc(w, less)
			if !slices.Equal(g, w) {
				t.Errorf("set %v (-want +got):\n%s", id, diffValues(w, g))
			}
		}
	})
}

func mustSetID(t *testing.T, s string) model.SetID {
	var id model.SetID
	if err := id.UnmarshalText([]byte(s)); err != nil {
		t.Fatal(err)
	}
	return id
}

// v6Member reads the inputs' "fd00:10:65:1::7 port 8080 proto 6" or a CIDR.
func v6Member(t *testing.T, s string) model.IPSetMember {
	if m := ipset6NamedR.FindStringSubmatch(s); m != nil {
		a := netip.MustParseAddr(m[1])
		port, _ := strconv.Atoi(m[2])
		proto, _ := strconv.Atoi(m[3])
		return model.IPSetMember{CIDR: netip.PrefixFrom(a, 128), Port: uint16(port), Proto: model.Proto(proto)}
	}
	return model.IPSetMember{CIDR: netip.MustParsePrefix(s)}
}

func TestInputsARP(t *testing.T) {
	eachDump(t, KindARP, func(t *testing.T, set fixtureSet, run fixtureRun, in inputsDoc, rows []model.ARPEntry) {
		src := in.Inputs.ARP4
		if isV6Run(run) {
			src = in.Inputs.ARP6
		}
		var want []model.ARPEntry
		for _, a := range src {
			e := model.ARPEntry{IfIndex: a.IfIndex, IP: netip.MustParseAddr(a.IP)}
			if err := e.SrcMAC.UnmarshalText([]byte(a.SrcMAC)); err != nil {
				t.Fatal(err)
			}
			if err := e.DstMAC.UnmarshalText([]byte(a.DstMAC)); err != nil {
				t.Fatal(err)
			}
			want = append(want, e)
		}
		byIP := func(a, b model.ARPEntry) int { return a.IP.Compare(b.IP) }
		slices.SortFunc(want, byIP)
		slices.SortFunc(rows, byIP)
		if !slices.Equal(rows, want) {
			t.Errorf("(-want +got):\n%s", diffValues(want, rows))
		}
	})
}

// calicoIfStateWords decodes the v3.28.1+ interface flag bits into words.
func calicoIfStateWords(hex string) []string {
	v, err := strconv.ParseUint(strings.TrimPrefix(hex, "0x"), 16, 32)
	if err != nil {
		panic(err)
	}
	if v == 0 {
		return []string{"host"}
	}
	names := []string{"workload", "v4Ready", "v6Ready", "host", "bond", "bondslave", "vxlan", "ipip", "wg", "l3", "notmanaged"}
	var out []string
	for i, n := range names {
		if v&(1<<i) != 0 {
			out = append(out, n)
		}
	}
	return out
}

func TestInputsIfState(t *testing.T) {
	eachDump(t, KindIfState, func(t *testing.T, set fixtureSet, run fixtureRun, in inputsDoc, rows []model.IfState) {
		if len(rows) != len(in.Inputs.IfState) {
			t.Fatalf("got %d interfaces, want %d", len(rows), len(in.Inputs.IfState))
		}
		for _, w := range in.Inputs.IfState {
			i := slices.IndexFunc(rows, func(r model.IfState) bool { return r.IfIndex == w.IfIndex })
			if i < 0 {
				t.Errorf("ifindex %d missing", w.IfIndex)
				continue
			}
			p := w.Policies
			exp := model.IfState{
				IfIndex: w.IfIndex, Name: w.Name,
				XDPPolicyV4: model.Index(p[0]), IngressPolicyV4: model.Index(p[1]), EgressPolicyV4: model.Index(p[2]),
				XDPPolicyV6: model.Index(p[3]), IngressPolicyV6: model.Index(p[4]), EgressPolicyV6: model.Index(p[5]),
				TCIngressFilter: model.Index(p[6]), TCEgressFilter: model.Index(p[7]),
			}
			got := rows[i]
			if words := got.Flags.Words(); !slices.Equal(words, calicoIfStateWords(w.FlagsHex)) {
				t.Errorf("ifindex %d: flags %v, want %v (%s)", w.IfIndex, words, calicoIfStateWords(w.FlagsHex), w.FlagsHex)
			}
			got.Flags = 0
			if got != exp {
				t.Errorf("ifindex %d (-want +got):\n%s", w.IfIndex, diffValues(exp, got))
			}
		}
	})
}

func TestInputsCounters(t *testing.T) {
	eachDump(t, KindCounters, func(t *testing.T, set fixtureSet, run fixtureRun, in inputsDoc, rows []model.InterfaceCounters) {
		if len(rows) != 1 || rows[0].Interface != "lo" { // the inputs' ifindex 1
			t.Fatalf("got %d tables (%+v), want one for lo", len(rows), rows)
		}
		get := func(cat, typ string) model.Counter {
			for _, c := range rows[0].Counters {
				if c.Category == cat && c.Type == typ {
					return c
				}
			}
			t.Fatalf("no counter %s/%s", cat, typ)
			return model.Counter{}
		}
		for _, hook := range in.Inputs.Counters {
			for _, c := range []struct {
				cat, typ string
				want     uint64
			}{
				{"Accepted", "by failsafe", hook.AcceptedByFailsafe},
				{"Accepted", "by policy", hook.AcceptedByPolicy},
				{"Dropped", "by policy", hook.DroppedByPolicy},
				{"Dropped", "packets with unknown route", hook.DroppedUnknownRoute},
				{"Total", "packets", hook.Total},
			} {
				got := get(c.cat, c.typ)
				v := got.Ingress
				if hook.Hook == "egress" {
					v = got.Egress
				}
				if v != model.Count(c.want) || got.XDP.Valid {
					t.Errorf("%s %s/%s: %v (xdp %v), want %d", hook.Hook, c.cat, c.typ, v, got.XDP, c.want)
				}
			}
		}
		// Every caption must be whole: wrapped ones are joined, none is left empty.
		for _, c := range rows[0].Counters {
			if c.Type == "" || c.Category == "" || strings.HasSuffix(c.Type, " ") {
				t.Errorf("bad row %+v", c)
			}
		}
	})
}

func TestInputsConntrackStats(t *testing.T) {
	eachDump(t, KindConntrackStats, func(t *testing.T, set fixtureSet, run fixtureRun, in inputsDoc, rows []model.ConntrackStats) {
		var want model.ConntrackStats
		for _, m := range in.Inputs.MapsCreated {
			if strings.HasSuffix(m.Pin, "/cali_v4_ct4") {
				want.MapSize = m.MaxEntries
			}
		}
		for _, c := range in.Inputs.Conntrack4 {
			k := parseInKey(t, c.Key)
			want.TotalEntries++
			if c.typ() == model.ConntrackNATForward {
				want.NATConnections++
				continue
			}
			want.TotalConnections++
			switch k.proto {
			case 6:
				want.TCP++
				switch expectedState(c, k, set, "stats") {
				case model.TCPEstablished:
					want.TCPEstablished++
				case model.TCPClosed:
					want.TCPClosed++
				case model.TCPReset:
					want.TCPReset++
				case model.TCPSynSent:
					want.TCPSynSent++
				}
			case 17:
				want.UDP++
			default:
				want.Others++
			}
		}
		if len(rows) != 1 || rows[0] != want {
			t.Errorf("(-want +got):\n%s", diffValues(want, rows))
		}
	})
}
