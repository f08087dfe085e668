package testbed

// Printing generated NAT maps the way each Calico version's `calico-bpf nat dump` does
// (calico-bpf-formats.md §2.2). Calico prints frontends in random order (it walks a Go map);
// these are printed sorted, which is one of the orders Calico could print.

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"net"
	"slices"
	"strconv"

	k8sversion "k8s.io/apimachinery/pkg/util/version"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/calico"
	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/model"
)

// natFormat is how one Calico version prints `nat dump`.
type natFormat struct {
	// local: " local N" after the count (v3.15+).
	local bool
	// flags: the flag words this version prints (" flags …": v3.22+; nat-exclude v3.27.1+,
	// maglev v3.32+); 0 before v3.22.
	flags model.NATFlags
	// flagsBug: v3.22.0–v3.26.4 put ", " before every word that is not bit 0's, so
	// internal-local alone prints "flags , internal-local".
	flagsBug bool
	// src: " src CIDR" on source-range keys (v3.31.5+).
	src bool
	// minusOne: a blackhole prints "count -1" (v3.27+); before, "count 4294967295".
	minusOne bool
	// spacedColon: v3.27.0 prints backends as "ip : port".
	spacedColon bool
	// json: -j/--json and --group-by-service exist (v3.31.5+, v3.32+).
	json bool
}

// natFormatFor returns the format of a Calico version ("v3.29.7", "3.32.1", "v3.33.0-0.dev").
func natFormatFor(version string) (natFormat, error) {
	v := calico.ParseVersion(version)
	if v == nil {
		return natFormat{}, fmt.Errorf("natgen: %q is not a Calico version", version)
	}
	at := func(s string) bool { return v.AtLeast(k8sversion.MustParseGeneric(s)) }
	f := natFormat{
		local:       at("3.15.0"),
		flagsBug:    at("3.22.0") && !at("3.26.5"),
		src:         at("3.31.5"),
		minusOne:    at("3.27.0"),
		spacedColon: at("3.27.0") && !at("3.27.1"),
		json:        at("3.31.5"),
	}
	if at("3.22.0") {
		f.flags = model.NATExternalLocal | model.NATInternalLocal
	}
	if at("3.27.1") {
		f.flags |= model.NATExclude
	}
	if at("3.32.0") {
		f.flags |= model.NATMaglev
	}
	return f, nil
}

// NATHasJSON reports whether a Calico version's nat dump has -j (v3.31.5+).
func NATHasJSON(version string) bool {
	f, err := natFormatFor(version)
	return err == nil && f.json
}

// FormatNATText prints entries as version's `nat dump`. Backends are printed in ordinal
// order; a blackhole gets no backend lines, also before v3.27, where Calico follows it with
// about 4.29×10⁹ "ID:N is missing" lines (the fake does not reproduce that loop).
func FormatNATText(entries []model.NATEntry, version string) ([]byte, error) {
	f, err := natFormatFor(version)
	if err != nil {
		return nil, err
	}
	return f.text(entries), nil
}

// FormatNATJSON prints entries as version's `nat dump -j` (grouped: --group-by-service -j).
// It fails for versions without -j.
func FormatNATJSON(entries []model.NATEntry, version string, grouped bool) ([]byte, error) {
	f, err := natFormatFor(version)
	if err != nil {
		return nil, err
	}
	if !f.json {
		return nil, fmt.Errorf("natgen: Calico %s has no nat dump -j (v3.31.5+)", version)
	}
	return f.jsonDump(entries, grouped)
}

// FormatNATGroupedText prints entries as version's `nat dump --group-by-service`.
func FormatNATGroupedText(entries []model.NATEntry, version string) ([]byte, error) {
	f, err := natFormatFor(version)
	if err != nil {
		return nil, err
	}
	if !f.json {
		return nil, fmt.Errorf("natgen: Calico %s has no nat dump --group-by-service (v3.31.5+)", version)
	}
	return f.groupedText(entries), nil
}

func (f natFormat) text(entries []model.NATEntry) []byte {
	var b bytes.Buffer
	for _, e := range entries {
		f.frontendLine(&b, e.Frontend, e.Frontend.Count, e.Frontend.Local)
		if !e.Frontend.Blackhole() {
			f.backendLines(&b, e.Frontend.ID, e.Backends)
		}
	}
	return b.Bytes()
}

// frontendLine prints one frontend with the given count and local (a group's, in
// --group-by-service output).
func (f natFormat) frontendLine(b *bytes.Buffer, fe model.NATFrontend, count int64, local uint32) {
	cnt := strconv.FormatInt(count, 10)
	if count == model.BlackholeCount && !f.minusOne {
		cnt = "4294967295" // nat.BlackHoleCount printed as a uint32
	}
	fmt.Fprintf(b, "%s port %d proto %d id %d count %s", fe.Addr, fe.Port, fe.Proto.Number(), fe.ID, cnt)
	if f.local {
		fmt.Fprintf(b, " local %d", local)
	}
	if words := f.flagsText(fe.Flags); words != "" {
		b.WriteString(" flags " + words)
	}
	if f.src && fe.SrcCIDR.IsValid() && fe.SrcCIDR.Bits() > 0 {
		b.WriteString(" src " + fe.SrcCIDR.String())
	}
	b.WriteByte('\n')
}

// flagsText is FlagsAsString: the words joined by ", ", or with the v3.22.0–v3.26.4 bug a
// ", " before each word that is not bit 0's.
func (f natFormat) flagsText(flags model.NATFlags) string {
	flags &= f.flags
	if flags == 0 {
		return ""
	}
	if !f.flagsBug {
		return flags.String()
	}
	s := ""
	for bit := model.NATFlags(1); bit != 0 && bit <= flags; bit <<= 1 {
		if flags&bit == 0 {
			continue
		}
		if bit != 1 {
			s += ", "
		}
		s += bit.String()
	}
	return s
}

func (f natFormat) backendLines(b *bytes.Buffer, id uint32, backends []model.NATBackend) {
	for i, be := range backends {
		fmt.Fprintf(b, "\t%d:%d\t ", id, i)
		switch {
		case be.Missing:
			b.WriteString("is missing")
		case f.spacedColon:
			fmt.Fprintf(b, "%s : %d", be.Addr, be.Port)
		default:
			// v3.13–v3.26 print "%s:%d" (IPv4 only); v3.27.1+ bracket IPv6 (JoinHostPort).
			b.WriteString(net.JoinHostPort(be.Addr.String(), strconv.Itoa(int(be.Port))))
		}
		b.WriteByte('\n')
	}
}

// natGroup is one service id's frontends (sorted) and backends, for --group-by-service.
type natGroup struct {
	id        uint32
	frontends []model.NATFrontend
	backends  []model.NATBackend
}

// groups sorts entries by service id, then frontend key (plain keys before source-range
// keys, then address, port, protocol), as --group-by-service prints them.
func natGroups(entries []model.NATEntry) []natGroup {
	byID := map[uint32]*natGroup{}
	var ids []uint32
	for _, e := range entries {
		g := byID[e.Frontend.ID]
		if g == nil {
			g = &natGroup{id: e.Frontend.ID}
			byID[g.id] = g
			ids = append(ids, g.id)
		}
		g.frontends = append(g.frontends, e.Frontend)
		if g.backends == nil && !e.Frontend.Blackhole() {
			g.backends = e.Backends
		}
	}
	slices.Sort(ids)
	out := make([]natGroup, 0, len(ids))
	for _, id := range ids {
		g := byID[id]
		slices.SortStableFunc(g.frontends, func(a, b model.NATFrontend) int {
			return cmp.Or(cmp.Compare(a.SrcCIDR.Bits(), b.SrcCIDR.Bits()), compareNATFrontends(a, b))
		})
		out = append(out, *g)
	}
	return out
}

// groupedText prints every frontend of an id with the first frontend's count and local (a
// blackhole key therefore shows the group's count: Calico's quirk), then the backends once.
func (f natFormat) groupedText(entries []model.NATEntry) []byte {
	var b bytes.Buffer
	for _, g := range natGroups(entries) {
		first := g.frontends[0]
		for _, fe := range g.frontends {
			f.frontendLine(&b, fe, first.Count, first.Local)
		}
		if !first.Blackhole() {
			f.backendLines(&b, g.id, g.backends)
		}
	}
	return b.Bytes()
}

// The JSON shapes of `nat dump -j` (v3.31.5+).
type natJSONFrontendOut struct {
	Addr    string `json:"addr"`
	Port    uint16 `json:"port"`
	Proto   uint8  `json:"proto"`
	SrcCIDR string `json:"src_cidr,omitempty"`
	ID      uint32 `json:"id"`
	Count   int64  `json:"count"`
	Local   uint32 `json:"local"`
	Flags   string `json:"flags,omitempty"`
}

type natJSONBackendOut struct {
	Addr string `json:"addr"`
	Port uint16 `json:"port"`
}

type natJSONRowOut struct {
	Frontend natJSONFrontendOut  `json:"frontend"`
	Backends []natJSONBackendOut `json:"backends"`
}

type natJSONGroupOut struct {
	ID        uint32               `json:"id"`
	Frontends []natJSONFrontendOut `json:"frontends"`
	Backends  []natJSONBackendOut  `json:"backends"`
}

func (f natFormat) jsonFrontend(fe model.NATFrontend) natJSONFrontendOut {
	out := natJSONFrontendOut{Addr: fe.Addr.String(), Port: fe.Port, Proto: fe.Proto.Number(), ID: fe.ID,
		Count: fe.Count, Local: fe.Local, Flags: (fe.Flags & f.flags).String()}
	if fe.SrcCIDR.IsValid() && fe.SrcCIDR.Bits() > 0 {
		out.SrcCIDR = fe.SrcCIDR.String()
	}
	return out
}

// jsonBackends is nil (printed null) for no backends, as Go encodes Calico's empty slices.
func jsonBackends(bes []model.NATBackend) []natJSONBackendOut {
	var out []natJSONBackendOut
	for _, be := range bes {
		if be.Missing {
			out = append(out, natJSONBackendOut{Addr: "missing"})
			continue
		}
		out = append(out, natJSONBackendOut{Addr: be.Addr.String(), Port: be.Port})
	}
	return out
}

// jsonDump prints `nat dump -j` (grouped: with --group-by-service): indented by two spaces,
// a blackhole's backends null, flags one comma-joined string, src_cidr only on source-range
// keys.
func (f natFormat) jsonDump(entries []model.NATEntry, grouped bool) ([]byte, error) {
	var v any
	if grouped {
		var rows []natJSONGroupOut
		for _, g := range natGroups(entries) {
			row := natJSONGroupOut{ID: g.id, Backends: jsonBackends(g.backends)}
			for _, fe := range g.frontends {
				row.Frontends = append(row.Frontends, f.jsonFrontend(fe))
			}
			rows = append(rows, row)
		}
		v = rows
	} else {
		var rows []natJSONRowOut
		for _, e := range entries {
			row := natJSONRowOut{Frontend: f.jsonFrontend(e.Frontend)}
			if !e.Frontend.Blackhole() {
				row.Backends = jsonBackends(e.Backends)
			}
			rows = append(rows, row)
		}
		v = rows
	}
	out, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}
