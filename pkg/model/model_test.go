package model

import (
	"encoding/json"
	"net/netip"
	"reflect"
	"testing"
	"time"
)

func TestProto(t *testing.T) {
	for p, name := range map[Proto]string{6: "TCP", 17: "UDP", 1: "ICMP", 58: "ICMPv6", 132: "SCTP", 47: "Proto-47", ProtoUnknown: "UNKNOWN"} {
		if p.String() != name {
			t.Errorf("%d: %q, want %q", p, p.String(), name)
		}
		b, _ := json.Marshal(p)
		var back Proto
		if err := json.Unmarshal(b, &back); err != nil || back != p || string(b) != itoa(int(p)) {
			t.Errorf("%d: JSON %s decodes to %d (%v)", p, b, back, err)
		}
	}
	for _, s := range []string{`"tcp"`, `"TCP"`, `6`, `"Proto-6"`} {
		var p Proto
		if err := json.Unmarshal([]byte(s), &p); err != nil || p != ProtoTCP {
			t.Errorf("%s: %d %v", s, p, err)
		}
	}
	var p Proto
	if err := json.Unmarshal([]byte(`"GRE"`), &p); err == nil {
		t.Error("GRE decoded")
	}
}

func TestProtoNameSpellsLikeCalico(t *testing.T) {
	for p, want := range map[Proto]string{ProtoICMPv6: `"ICMP6"`, ProtoTCP: `"TCP"`, ProtoSCTP: `"Proto-132"`} {
		b, _ := json.Marshal(ProtoName(p))
		var back ProtoName
		if string(b) != want || json.Unmarshal(b, &back) != nil || back.Proto() != p {
			t.Errorf("%d: %s (back %d), want %s", p, b, back, want)
		}
	}
}

// roundTrip marshals v, checks the JSON, and decodes it into a new value of the same type.
func roundTrip[T any](t *testing.T, v T, wantJSON string) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != wantJSON {
		t.Errorf("marshal %+v: %s, want %s", v, b, wantJSON)
	}
	var back T
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatalf("unmarshal %s: %v", b, err)
	}
	if !reflect.DeepEqual(back, v) {
		t.Errorf("round trip of %s: %+v, want %+v", b, back, v)
	}
}

func TestJSONForms(t *testing.T) {
	roundTrip(t, D(64*time.Second+112775410), `"1m4.11277541s"`)
	roundTrip(t, CTNPFwd|CTSrcDstBA, `["np-fwd","B-A"]`)
	roundTrip(t, ConntrackFlags(0), `null`)
	roundTrip(t, ConntrackFlags(0x30), `["0x30"]`) // bits without a word survive
	roundTrip(t, RouteLocal|RouteWorkload|RouteInPool, `["local","workload","in-pool"]`)
	roundTrip(t, RouteWorkload|RouteTunneled|RouteVXLAN, `["remote","workload","tunneled","vxlan"]`)
	roundTrip(t, RouteInPool|RouteBlackholeDrop, `["in-pool","blackhole-drop"]`)
	roundTrip(t, NATInternalLocal|NATExclude, `"internal-local, nat-exclude"`)
	roundTrip(t, NATBackend{ID: 5, Ordinal: 1, Missing: true}, `{"addr":"missing","port":0,"id":5,"ordinal":1}`)
	roundTrip(t, NATBackend{Addr: netip.MustParseAddr("10.65.0.50"), Port: 9000, ID: 5}, `{"addr":"10.65.0.50","port":9000,"id":5,"ordinal":0}`)
	roundTrip(t, SetID(0xa4e9b3f00c1d2e7), `"0xa4e9b3f00c1d2e7"`)
	roundTrip(t, IPSetMember{CIDR: netip.MustParsePrefix("10.65.1.7/32"), Port: 8080, Proto: ProtoTCP}, `"10.65.1.7:8080 (proto 6)"`)
	roundTrip(t, IPSetMember{CIDR: netip.MustParsePrefix("fd00:10:65:1::7/128"), Port: 8080, Proto: ProtoTCP}, `"fd00:10:65:1::7:8080 (proto 6)"`)
	roundTrip(t, IPSetMember{CIDR: netip.MustParsePrefix("fd00:10:65::/64")}, `"fd00:10:65::/64"`)
	roundTrip(t, MAC{0x52, 0x54, 0, 0xaa, 0xbb, 1}, `"52:54:00:aa:bb:01"`)
	roundTrip(t, CounterValue{}, `null`)
	roundTrip(t, Count(7), `7`)
	roundTrip(t, IfV4Ready|IfHost, `["v4Ready","host"]`)
	roundTrip(t, ConntrackNATReverse, `"nat-reverse"`)
	roundTrip(t, TCPReset, `"RESET"`)
	roundTrip(t, IfState{IfIndex: 2, Name: "eth0", Flags: IfHost, IngressPolicyV4: Index(-1)},
		`{"ifindex":2,"name":"eth0","flags":["host"],"ingress_policy_v4":-1}`)
}

func TestCalicoSpellingsDecode(t *testing.T) {
	var ct ConntrackType
	if err := json.Unmarshal([]byte(`"nat"`), &ct); err != nil || ct != ConntrackNATReverse {
		t.Errorf(`"nat" decodes to %v (%v)`, ct, err)
	}
	var f ConntrackFlags
	if err := json.Unmarshal([]byte(`["cluster-external"]`), &f); err != nil || f != CTDSCP {
		t.Errorf("cluster-external: %v %v", f, err)
	}
	var nf NATFlags
	if err := nf.UnmarshalText([]byte(", internal-local")); err != nil || nf != NATInternalLocal {
		t.Errorf("stray comma: %v %v", nf, err)
	}
	var fe NATFrontend
	if err := json.Unmarshal([]byte(`{"addr":"10.0.0.1","port":1,"proto":6,"id":1,"count":-1,"local":0,"flags":"maglev, hyperdrive"}`), &fe); err != nil ||
		fe.Flags != NATMaglev || !reflect.DeepEqual(fe.ExtraFlags, []string{"hyperdrive"}) || !fe.Blackhole() {
		t.Errorf("frontend %+v %v", fe, err)
	}
	var rt Route
	if err := json.Unmarshal([]byte(`{"dest":"10.0.0.0/8","flags":["remote","in-pool","teleport"]}`), &rt); err != nil ||
		rt.Flags != RouteInPool || !reflect.DeepEqual(rt.ExtraFlags, []string{"teleport"}) {
		t.Errorf("route %+v %v", rt, err)
	}
	var d Duration
	if err := json.Unmarshal([]byte(`1500`), &d); err != nil || d.Duration != 1500 {
		t.Errorf("nanoseconds: %v %v", d, err)
	}
}

func TestFlagHelpers(t *testing.T) {
	if !(RouteFlags(0).Remote()) || (RouteBlackholeDrop).Remote() || !(RouteLocal | RouteHost).Local() {
		t.Error("route local/remote/blackhole")
	}
	if IfStateFlags(0).String() != "host" {
		t.Error("no interface flags should read host")
	}
	if (CTNPFwd | CTSrcDstBA).Hex() != "0x104" {
		t.Error("hex")
	}
	if (TCFilter{ProgName: "cali_tc_preambl"}).IsCalico() != true || (TCFilter{Name: "foo.o:[bar]"}).IsCalico() {
		t.Error("IsCalico")
	}
}
