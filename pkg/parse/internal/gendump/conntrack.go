package gendump

import (
	"net/netip"
	"time"
)

// ctEntry is one generated connection: a normal entry, or a NAT pair
// (forward + reverse) for a service.
type ctEntry struct {
	typ        int // 0 normal, 1 NAT forward, 2 NAT reverse
	proto      uint64
	a, b       netip.AddrPort // the key, canonical order
	svc        netip.AddrPort // NAT: the service the client used
	flags      uint64
	state      string
	ago, age   time.Duration
	lastSeen   uint64
	created    uint64
	legA, legB leg
}

type leg struct {
	bytes, packets, seq        uint64
	syn, ack, fin, rst, opener bool
	approved, workload         bool
	ifindex                    uint64
}

// ktimeNow is "now" in bpf_ktime_get_ns terms: a node up for 100 days.
const ktimeNow = 100 * 24 * uint64(time.Hour)

func (g *gen) ctEntry(i int) ctEntry {
	var e ctEntry
	client, server := g.ap(g.podIP()), g.ap(g.podIP())
	switch r := g.rng.IntN(10); {
	case r < 7:
		e.proto = 6
	case r < 9:
		e.proto = 17
	default:
		e.proto = 1
		client, server = netip.AddrPortFrom(client.Addr(), 0), netip.AddrPortFrom(server.Addr(), 0)
	}
	e.a, e.b = client, server
	switch i % 10 {
	case 8: // NAT forward: client -> service
		e.typ, e.svc, e.b = 1, g.ap(g.svcIP()), server
	case 9: // NAT reverse: client <-> backend, orig dst the service
		e.typ, e.svc = 2, g.ap(g.svcIP())
	}
	if g.rng.IntN(4) == 0 {
		e.flags |= 0x100 // B-A
	}
	e.ago = time.Duration(g.rng.Int64N(int64(time.Hour)))
	e.age = e.ago + time.Duration(g.rng.Int64N(int64(10*time.Minute)))
	e.lastSeen = ktimeNow - uint64(e.ago)
	e.created = ktimeNow - uint64(e.age)
	e.legA = leg{bytes: uint64(g.rng.IntN(1 << 20)), packets: uint64(g.rng.IntN(1000)), seq: g.rng.Uint64() >> 32, syn: true, ack: true, opener: true, approved: true, workload: true, ifindex: uint64(2 + g.rng.IntN(60))}
	e.legB = leg{bytes: uint64(g.rng.IntN(1 << 20)), packets: uint64(g.rng.IntN(1000)), seq: g.rng.Uint64() >> 32, syn: true, ack: true, approved: true, ifindex: 2}
	e.state = "ESTABLISHED"
	switch r := g.rng.IntN(20); {
	case r == 0:
		e.legB.ack, e.legB.syn, e.state = false, false, "SYN-SENT"
	case r == 1:
		e.legA.fin, e.legB.fin, e.state = true, true, "CLOSED"
	case r == 2:
		e.legB.rst, e.state = true, "RESET"
	}
	if e.proto != 6 {
		e.state = ""
		e.legA.syn, e.legA.ack, e.legB.syn, e.legB.ack, e.legA.seq, e.legB.seq = false, false, false, false, 0, 0
	}
	return e
}

func (g *gen) conntrack(s Style, n int) {
	if s == ConntrackJSON {
		g.str("[\n")
		g.flushLine()
	}
	written := 0
	for i := 0; written < n; i++ {
		e := g.ctEntry(i)
		if e.typ == 1 && (s == ConntrackPrettyV329 || s == ConntrackPrettyV332 || s == ConntrackJSON) {
			continue // pretty forms do not print NAT forward entries
		}
		switch s {
		case ConntrackRawV322, ConntrackRawV332:
			g.ctRaw(e, s == ConntrackRawV332)
		case ConntrackJSON:
			g.ctJSON(e, written == n-1)
		default:
			g.ctPretty(e, s == ConntrackPrettyV332)
		}
		g.flushLine()
		written++
	}
	if s == ConntrackJSON {
		g.str("]\n")
		g.flushLine()
	}
}

func (g *gen) ctKey(proto uint64, a, b netip.AddrPort) {
	g.str("ConntrackKey{proto=")
	g.u(proto)
	g.str(" ")
	g.addrPort(a)
	g.str(" <-> ")
	g.addrPort(b)
	g.str("}")
}

func (g *gen) ctRaw(e ctEntry, v332 bool) {
	state := e.state
	if !v332 && state == "RESET" {
		state = "ESTABLISHED" // raw up to v3.29 ignores RST
	}
	g.ctKey(e.proto, e.a, e.b)
	g.str(" -> Entry{Type:")
	g.u(uint64(e.typ))
	if !v332 {
		g.str(", Created:")
		g.u(e.created)
	}
	g.str(", LastSeen:")
	g.u(e.lastSeen)
	g.str(", Flags: ")
	switch {
	case e.flags == 0:
		g.str("<none>")
	case v332:
		g.str("0x")
		g.b = appendHex(g.b, e.flags)
		g.str(" B-A")
	default:
		g.str("np-fwd") // v3.22 words; B-A did not exist yet
	}
	if e.typ == 1 {
		g.str(" REVKey: ")
		g.ctKey(e.proto, e.a, e.b)
		g.str(" NATSPort: 0}")
	} else {
		g.str(" Data: {A2B:{")
		g.leg(e.legA, v332)
		g.str("} B2A:{")
		g.leg(e.legB, v332)
		g.str("} OrigDst:")
		if e.typ == 2 {
			g.addr(e.svc.Addr())
		} else {
			g.str("0.0.0.0")
		}
		if v332 {
			g.str(" OrigSrc:0.0.0.0")
		}
		g.str(" OrigPort:")
		if e.typ == 2 {
			g.u(uint64(e.svc.Port()))
		} else {
			g.str("0")
		}
		g.str(" OrigSPort:0 TunIP:0.0.0.0}}")
	}
	if !v332 {
		g.str(" Age: ")
		g.dur(e.age)
	}
	g.str(" Active ago ")
	g.dur(e.ago)
	if e.typ != 1 && state != "" {
		g.str(" ")
		g.str(state)
	}
	g.str("\n")
}

func (g *gen) leg(l leg, v332 bool) {
	if v332 {
		g.str("Bytes:")
		g.u(l.bytes)
		g.str(" Packets:")
		g.u(l.packets)
		g.str(" ")
	}
	g.str("Seqno:")
	g.u(l.seq)
	g.str(" SynSeen:")
	g.boolean(l.syn)
	g.str(" AckSeen:")
	g.boolean(l.ack)
	g.str(" FinSeen:")
	g.boolean(l.fin)
	g.str(" RstSeen:")
	g.boolean(l.rst)
	if v332 {
		g.str(" Approved:")
	} else {
		g.str(" Whitelisted:")
	}
	g.boolean(l.approved)
	g.str(" Opener:")
	g.boolean(l.opener)
	if v332 {
		g.str(" Workload:")
		g.boolean(l.workload)
	}
	g.str(" Ifindex:")
	g.u(l.ifindex)
}

// ends returns the endpoints as the pretty form prints them: opener first.
func (e ctEntry) ends() (src, dst netip.AddrPort) {
	if e.flags&0x100 != 0 {
		return e.b, e.a
	}
	return e.a, e.b
}

func (g *gen) ctPretty(e ctEntry, v332 bool) {
	state := e.state
	if !v332 && state == "RESET" {
		state = "CLOSED"
	}
	g.str(protoName(e.proto))
	src, dst := e.ends()
	g.str(" ")
	g.b = append(g.b, src.Addr().String()...)
	g.str(":")
	g.u(uint64(src.Port()))
	if e.typ == 2 {
		g.str(" -> ")
		g.addrPort(e.svc)
	}
	g.str(" -> ")
	g.addrPort(dst)
	g.str(" ")
	if !v332 {
		g.str(" Age: ")
		g.dur(e.age)
	}
	g.str(" Active ago ")
	g.dur(e.ago)
	if state != "" {
		g.str(" ")
		g.str(state)
	}
	g.str("\n")
}

func (g *gen) ctJSON(e ctEntry, last bool) {
	src, dst := e.ends()
	g.str(`  {"type":"`)
	if e.typ == 2 {
		g.str("nat")
	} else {
		g.str("normal")
	}
	g.str(`","proto":"`)
	g.str(protoName(e.proto))
	g.str(`","src":"`)
	g.addrPort(src)
	g.str(`","dst":"`)
	g.addrPort(dst)
	if e.typ == 2 {
		g.str(`","orig_dst":"`)
		g.addrPort(e.svc)
	}
	g.str(`","flags":`)
	if e.flags&0x100 != 0 {
		g.str(`["B-A"]`)
	} else {
		g.str("null")
	}
	g.str(`,"active_ago":"`)
	g.dur(e.ago)
	g.str(`"`)
	if e.state != "" {
		g.str(`,"tcp_state":"`)
		g.str(e.state)
		g.str(`"`)
	}
	g.str("}")
	if !last {
		g.str(",")
	}
	g.str("\n")
}

func protoName(p uint64) string {
	switch p {
	case 6:
		return "TCP"
	case 17:
		return "UDP"
	case 1:
		return "ICMP"
	}
	return "UNKNOWN"
}

func appendHex(b []byte, v uint64) []byte {
	const digits = "0123456789abcdef"
	if v == 0 {
		return append(b, '0')
	}
	var tmp [16]byte
	i := len(tmp)
	for v > 0 {
		i--
		tmp[i] = digits[v&0xf]
		v >>= 4
	}
	return append(b, tmp[i:]...)
}
