// Package gendump writes large, deterministic dumps in the formats of
// calico-bpf, for benchmarks (pkg/parse) and for timing other tools on the
// same bytes (cmd/gendump). The same seed and size always give the same
// bytes. It imports only the standard library.
package gendump

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"net/netip"
	"strconv"
	"time"
)

// Style is one output format.
type Style string

// Styles.
const (
	ConntrackRawV322    Style = "conntrack-raw-v3.22"    // raw: Created, Whitelisted, flag words, OrigSPort, Age
	ConntrackRawV332    Style = "conntrack-raw-v3.32"    // raw: Bytes/Packets, Approved, Workload, hex flags, no Created, RESET
	ConntrackPrettyV329 Style = "conntrack-pretty-v3.29" // pretty with Age
	ConntrackPrettyV332 Style = "conntrack-pretty-v3.32" // pretty with RESET, no Age
	ConntrackJSON       Style = "conntrack-json"         // v3.32 pretty JSON array
	NATText             Style = "nat"                    // nat dump, v3.32 text
	RoutesText          Style = "routes"                 // routes dump text
)

// Styles lists every style.
func Styles() []Style {
	return []Style{ConntrackRawV322, ConntrackRawV332, ConntrackPrettyV329, ConntrackPrettyV332, ConntrackJSON, NATText, RoutesText}
}

// DefaultSize is the number of entries the benchmarks use for a style: a
// full default-sized map (bpfMapSizeConntrack 512000, NAT frontends 65536,
// routes 262144).
func DefaultSize(s Style) int {
	switch s {
	case NATText:
		return 65536
	case RoutesText:
		return 262144
	}
	return 512000
}

// Write writes n entries of the style to w.
func Write(w io.Writer, s Style, n int) error {
	g := gen{rng: rand.New(rand.NewPCG(0x5eed, uint64(len(s)))), w: bufio.NewWriterSize(w, 256<<10)}
	switch s {
	case ConntrackRawV322, ConntrackRawV332, ConntrackPrettyV329, ConntrackPrettyV332, ConntrackJSON:
		g.conntrack(s, n)
	case NATText:
		g.nat(n)
	case RoutesText:
		g.routes(n)
	default:
		return fmt.Errorf("generate dump: unknown style %q", s)
	}
	if g.err != nil {
		return fmt.Errorf("generate %s dump: %w", s, g.err)
	}
	if err := g.w.Flush(); err != nil {
		return fmt.Errorf("generate %s dump: %w", s, err)
	}
	return nil
}

type gen struct {
	rng *rand.Rand
	w   *bufio.Writer
	b   []byte
	err error
}

func (g *gen) flushLine() {
	if g.err == nil {
		_, g.err = g.w.Write(g.b)
	}
	g.b = g.b[:0]
}

func (g *gen) str(s string) { g.b = append(g.b, s...) }
func (g *gen) u(n uint64)   { g.b = strconv.AppendUint(g.b, n, 10) }
func (g *gen) boolean(v bool) {
	g.b = strconv.AppendBool(g.b, v)
}
func (g *gen) addr(a netip.Addr)         { g.b = a.AppendTo(g.b) }
func (g *gen) addrPort(a netip.AddrPort) { g.b = a.AppendTo(g.b) }
func (g *gen) dur(d time.Duration)       { g.b = append(g.b, d.String()...) }
func (g *gen) podIP() netip.Addr {
	return netip.AddrFrom4([4]byte{10, 65, byte(g.rng.IntN(256)), byte(1 + g.rng.IntN(254))})
}
func (g *gen) svcIP() netip.Addr {
	return netip.AddrFrom4([4]byte{10, 96, byte(g.rng.IntN(256)), byte(1 + g.rng.IntN(254))})
}
func (g *gen) port() uint16                   { return uint16(1024 + g.rng.IntN(64000)) }
func (g *gen) ap(a netip.Addr) netip.AddrPort { return netip.AddrPortFrom(a, g.port()) }
