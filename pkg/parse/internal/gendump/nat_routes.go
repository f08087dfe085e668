package gendump

import (
	"net/netip"
)

// nat writes n frontends in v3.32's text: services with 1–8 backends, one
// in 20 backends missing, one in 200 frontends a blackhole (count -1).
func (g *gen) nat(n int) {
	for i := range n {
		id := uint64(i/3 + 1) // about three frontends (ClusterIP, NodePort, LB) per service
		fe := g.svcIP()
		g.addr(fe)
		g.str(" port ")
		g.u(uint64(g.port()))
		g.str(" proto ")
		if g.rng.IntN(5) == 0 {
			g.str("17")
		} else {
			g.str("6")
		}
		g.str(" id ")
		g.u(id)
		if i%200 == 199 {
			g.str(" count -1 local 0\n")
			g.flushLine()
			continue
		}
		count := 1 + g.rng.IntN(8)
		local := g.rng.IntN(count + 1)
		g.str(" count ")
		g.u(uint64(count))
		g.str(" local ")
		g.u(uint64(local))
		if g.rng.IntN(10) == 0 {
			g.str(" flags external-local")
		}
		g.str("\n")
		for ord := range count {
			g.str("\t")
			g.u(id)
			g.str(":")
			g.u(uint64(ord))
			g.str("\t ")
			if g.rng.IntN(20) == 0 {
				g.str("is missing\n")
				continue
			}
			g.addrPort(g.ap(g.podIP()))
			g.str("\n")
		}
		g.flushLine()
	}
}

// routes writes n routes in the text layout: CIDRs right-aligned to 15.
func (g *gen) routes(n int) {
	for i := range n {
		var p netip.Prefix
		var words string
		switch i % 8 {
		case 0:
			p = netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), 0}), 26)
			words = "remote workload in-pool nat-out tunneled nh 192.168." + itoa(i%250) + "." + itoa(i%200+1)
		case 1:
			p = netip.PrefixFrom(netip.AddrFrom4([4]byte{192, 168, byte(i >> 8), byte(i)}), 32)
			words = "remote host"
		default:
			p = netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 64 | byte(i>>16&0x3f), byte(i >> 8), byte(i)}), 32)
			words = "local workload in-pool nat-out idx " + itoa(2+i%1000)
		}
		s := p.String()
		for pad := len(s); pad < 15; pad++ {
			g.str(" ")
		}
		g.str(s)
		g.str(": ")
		g.str(words)
		g.str("\n")
		g.flushLine()
	}
}

func itoa(n int) string {
	var b [20]byte
	i := len(b)
	if n == 0 {
		return "0"
	}
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}
