package output

import (
	"net/netip"
	"strings"

	"k8s.io/apimachinery/pkg/util/duration"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/model"
)

// ConntrackView prints `conntrack dump` (pretty or raw, any version): one row per entry, read
// like Calico's pretty line "client -> service -> backend". SERVICE is the address the
// client used when the connection was NATed; IDLE is the time since the last packet (Calico's
// "Active ago"), rounded as kubectl rounds ages. Wide adds the flags (hex and words), the
// tunnel peer of forwarded NodePort traffic, the source before SNAT, the bytes and packets
// of each direction (raw dumps of v3.24+) and the entry's lifetime (up to v3.29).
var ConntrackView View = columns[model.ConntrackEntry]{noun: "conntrack entries", cols: []column[model.ConntrackEntry]{
	{header: "TYPE", cell: func(e model.ConntrackEntry) string { return e.Type.String() }},
	{header: "PROTO", cell: func(e model.ConntrackEntry) string { return e.Proto.String() }},
	{header: "SOURCE", cell: func(e model.ConntrackEntry) string { src, _, _ := conntrackEnds(e); return addrPortOrNone(src) }},
	{header: "SERVICE", cell: func(e model.ConntrackEntry) string { _, svc, _ := conntrackEnds(e); return addrPortOrNone(svc) }},
	{header: "DESTINATION", cell: func(e model.ConntrackEntry) string { _, _, dst := conntrackEnds(e); return addrPortOrNone(dst) }},
	{header: "STATE", cell: func(e model.ConntrackEntry) string { return orNone(e.TCPState.String()) }},
	{header: "IDLE", cell: func(e model.ConntrackEntry) string { return duration.HumanDuration(e.ActiveAgo.Duration) }},
	{header: "FLAGS", wideOnly: true, cell: func(e model.ConntrackEntry) string { return conntrackFlags(e.Flags) }},
	{header: "TUNNEL IP", wideOnly: true, cell: func(e model.ConntrackEntry) string { return addrOrNone(e.TunnelIP) }},
	{header: "ORIG SRC", wideOnly: true, cell: conntrackOrigSrc},
	{header: "SRC->DST", wideOnly: true, cell: func(e model.ConntrackEntry) string { fwd, _ := conntrackLegs(e); return legCell(fwd) }},
	{header: "DST->SRC", wideOnly: true, cell: func(e model.ConntrackEntry) string { _, rev := conntrackLegs(e); return legCell(rev) }},
	{header: "AGE", wideOnly: true, cell: func(e model.ConntrackEntry) string {
		if e.Age.IsZero() {
			return none
		}
		return duration.HumanDuration(e.Age.Duration)
	}},
}}

// conntrackEnds reads an entry as "source -> service -> destination": the service is the
// address the client used when the connection was NATed (the original destination of a NAT
// reverse entry), the destination the backend.
//
// A NAT forward entry keys the client and the service, and its reverse key holds the client
// and the backend: the side the two keys share is the client. That is worked out here rather
// than trusted to Src, because before v3.24 a forward entry has no legs and no B-A flag to tell
// who opened it.
func conntrackEnds(e model.ConntrackEntry) (src, svc, dst netip.AddrPort) {
	if e.Type != model.ConntrackNATForward {
		return e.Src, e.OrigDst, e.Dst
	}
	a, b := netip.AddrPortFrom(e.AddrA, e.PortA), netip.AddrPortFrom(e.AddrB, e.PortB)
	ra, rb := netip.AddrPortFrom(e.RevAddrA, e.RevPortA), netip.AddrPortFrom(e.RevAddrB, e.RevPortB)
	if !e.AddrA.IsValid() || !e.RevAddrA.IsValid() {
		return e.Src, e.Dst, netip.AddrPort{}
	}
	// Match whole endpoints first, then addresses alone (the client's port may have been
	// changed by host-PSNAT).
	for _, same := range []func(x, y netip.AddrPort) bool{
		func(x, y netip.AddrPort) bool { return x == y },
		func(x, y netip.AddrPort) bool { return x.Addr() == y.Addr() },
	} {
		for _, k := range [][2]netip.AddrPort{{a, b}, {b, a}} {
			client, service := k[0], k[1]
			switch {
			case same(client, ra) && !same(service, ra) && !same(service, rb):
				return client, service, rb
			case same(client, rb) && !same(service, ra) && !same(service, rb):
				return client, service, ra
			}
		}
	}
	return e.Src, e.Dst, netip.AddrPort{}
}

// conntrackFlags writes Calico's hex value and the words: "0x104 np-fwd,B-A".
func conntrackFlags(f model.ConntrackFlags) string {
	if f == 0 {
		return none
	}
	return f.Hex() + " " + strings.Join(f.Words(), ",")
}

// conntrackOrigSrc is the source before SNAT: the raw form's OrigSrc address, the pretty
// form's "source port changed from N".
func conntrackOrigSrc(e model.ConntrackEntry) string {
	switch {
	case e.OrigSrc.IsValid() && !e.OrigSrc.IsUnspecified():
		if e.OrigSrcPort != 0 {
			return hostPort(e.OrigSrc, e.OrigSrcPort)
		}
		return e.OrigSrc.String()
	case e.OrigSrcPort != 0:
		return "port " + itoa(e.OrigSrcPort)
	}
	return none
}

// conntrackLegs orders the raw entry's legs as the connection runs: the leg from the source
// first. The key is in Calico's canonical order (A, B), and the source is whichever side
// opened the connection.
func conntrackLegs(e model.ConntrackEntry) (fwd, rev model.Leg) {
	if e.AddrB.IsValid() && netip.AddrPortFrom(e.AddrB, e.PortB) == e.Src && netip.AddrPortFrom(e.AddrA, e.PortA) != e.Src {
		return e.B2A, e.A2B
	}
	return e.A2B, e.B2A
}

// legCell writes a leg's traffic, "15230B 21pkt", or <none> when the form has no leg data.
func legCell(l model.Leg) string {
	if l == (model.Leg{}) {
		return none
	}
	return utoa(l.Bytes) + "B " + utoa(l.Packets) + "pkt"
}

// ConntrackStatsView prints `conntrack stats` (v3.30+) as one row; wide adds the TCP states.
var ConntrackStatsView View = columns[model.ConntrackStats]{noun: "conntrack statistics", cols: []column[model.ConntrackStats]{
	{header: "MAP SIZE", cell: func(s model.ConntrackStats) string { return utoa(s.MapSize) }},
	{header: "CONNECTIONS", cell: func(s model.ConntrackStats) string { return utoa(s.TotalConnections) }},
	{header: "ENTRIES", cell: func(s model.ConntrackStats) string { return utoa(s.TotalEntries) }},
	{header: "NAT", cell: func(s model.ConntrackStats) string { return utoa(s.NATConnections) }},
	{header: "TCP", cell: func(s model.ConntrackStats) string { return utoa(s.TCP) }},
	{header: "UDP", cell: func(s model.ConntrackStats) string { return utoa(s.UDP) }},
	{header: "OTHER", cell: func(s model.ConntrackStats) string { return utoa(s.Others) }},
	{header: "ESTABLISHED", wideOnly: true, cell: func(s model.ConntrackStats) string { return utoa(s.TCPEstablished) }},
	{header: "SYN-SENT", wideOnly: true, cell: func(s model.ConntrackStats) string { return utoa(s.TCPSynSent) }},
	{header: "CLOSED", wideOnly: true, cell: func(s model.ConntrackStats) string { return utoa(s.TCPClosed) }},
	{header: "RESET", wideOnly: true, cell: func(s model.ConntrackStats) string { return utoa(s.TCPReset) }},
}}
