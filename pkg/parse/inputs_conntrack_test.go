package parse

import (
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/model"
)

// inKey is a parsed inputs.json conntrack key.
type inKey struct {
	proto uint8
	a, b  netip.AddrPort
}

func parseInKey(t *testing.T, s string) inKey {
	t.Helper()
	m := ctKeyRE.FindStringSubmatch(s)
	if m == nil {
		t.Fatalf("bad key %q in inputs.json", s)
	}
	p, _ := strconv.Atoi(m[1])
	pa, _ := strconv.Atoi(m[3])
	pb, _ := strconv.Atoi(m[5])
	return inKey{uint8(p), netip.AddrPortFrom(netip.MustParseAddr(m[2]), uint16(pa)), netip.AddrPortFrom(netip.MustParseAddr(m[4]), uint16(pb))}
}

func (c inConntrack) typ() model.ConntrackType {
	if c.Type != nil {
		return model.ConntrackType(*c.Type)
	}
	switch { // the v6 inputs name the type instead
	case strings.HasSuffix(c.Name, "-nat-fwd"):
		return model.ConntrackNATForward
	case strings.HasSuffix(c.Name, "-nat-rev"):
		return model.ConntrackNATReverse
	}
	return model.ConntrackNormal
}

func (c inConntrack) flags() model.ConntrackFlags {
	if c.FlagsHex == "" {
		return 0
	}
	v, err := strconv.ParseUint(strings.TrimPrefix(c.FlagsHex, "0x"), 16, 32)
	if err != nil {
		panic(err)
	}
	return model.ConntrackFlags(v)
}

// lastSeenAgo is the entry's offset from "now" at generation; the v6
// forward/reverse inputs leave it out and share their pair's 4s.
func (c inConntrack) lastSeenAgo() time.Duration {
	s := c.LastSeen
	if s == "" {
		s = c.LastSeen2
	}
	if s == "" {
		s = "4s"
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		panic(err)
	}
	return d
}

// hasCreated: v3.30 dropped Created from the entry.
func hasCreated(set fixtureSet) bool { return minor(set) <= 29 }

// expectedState is the state word Calico prints for an input entry, by the
// rules of tcpStateStr/dumpExtra in each version and form.
func expectedState(c inConntrack, k inKey, set fixtureSet, form string) model.TCPState {
	if k.proto != 6 {
		return model.TCPNone
	}
	if c.typ() == model.ConntrackNATForward {
		if form == "raw-json" {
			return model.TCPSynSent // raw JSON computes a state for forward entries too
		}
		return model.TCPNone
	}
	switch {
	case strings.Contains(c.Name, "syn-sent"):
		return model.TCPSynSent
	case strings.Contains(c.Name, "fins-closed"):
		return model.TCPClosed
	case strings.Contains(c.Name, "rst"):
		switch {
		case minor(set) >= 30:
			return model.TCPReset
		case form == "pretty":
			return model.TCPClosed
		}
		return model.TCPEstablished // raw up to v3.29 ignores RST
	}
	return model.TCPEstablished
}

func TestInputsConntrack(t *testing.T) {
	eachDump(t, KindConntrack, func(t *testing.T, set fixtureSet, run fixtureRun, in inputsDoc, rows []model.ConntrackEntry) {
		want := in.Inputs.Conntrack4
		if isV6Run(run) {
			want = in.Inputs.Conntrack6
		}
		raw := strings.Contains(run.Argv, "--raw") || minor(set) < 28
		isJSON := strings.Contains(run.Argv, "-j")
		form := "pretty"
		switch {
		case raw && isJSON:
			form = "raw-json"
		case raw:
			form = "raw"
		case isJSON:
			form = "pretty-json"
		}
		seen := map[int]bool{}
		for _, row := range rows {
			i := matchConntrack(t, want, row, raw)
			if i < 0 {
				t.Errorf("row %+v matches no input entry", row)
				continue
			}
			if seen[i] {
				t.Errorf("input %s matched twice", want[i].Name)
			}
			seen[i] = true
			checkConntrackRow(t, set, in, want[i], row, form)
		}
		for i, w := range want {
			if !seen[i] && (raw || w.typ() != model.ConntrackNATForward) {
				t.Errorf("input %s not in the dump", w.Name)
			}
		}
	})
}

// matchConntrack finds the input entry a row shows: by key for raw rows,
// by the endpoints for pretty rows (pretty NAT rows show the backend as dst).
func matchConntrack(t *testing.T, want []inConntrack, row model.ConntrackEntry, raw bool) int {
	for i, w := range want {
		k := parseInKey(t, w.Key)
		if raw {
			if row.AddrA == k.a.Addr() && row.PortA == k.a.Port() && row.AddrB == k.b.Addr() && row.PortB == k.b.Port() && uint8(row.Proto) == k.proto {
				return i
			}
			continue
		}
		if w.typ() == model.ConntrackNATForward || uint8(row.Proto) != k.proto {
			continue
		}
		if (row.Src == k.a && row.Dst == k.b) || (row.Src == k.b && row.Dst == k.a) {
			return i
		}
	}
	return -1
}

func checkConntrackRow(t *testing.T, set fixtureSet, in inputsDoc, w inConntrack, row model.ConntrackEntry, form string) {
	t.Helper()
	k := parseInKey(t, w.Key)
	name := w.Name
	if row.Type != w.typ() {
		t.Errorf("%s: type %v, want %v", name, row.Type, w.typ())
	}
	if form != "pretty" && w.FlagsHex != "" && row.Flags != w.flags() { // pretty text prints no flags
		t.Errorf("%s: flags %s, want %s", name, row.Flags.Hex(), w.FlagsHex)
	}
	// The opener comes first: B when the B-A flag is set.
	wantSrc, wantDst := k.a, k.b
	if w.flags().Has(model.CTSrcDstBA) {
		wantSrc, wantDst = k.b, k.a
	}
	if row.Src != wantSrc || row.Dst != wantDst {
		t.Errorf("%s: %v -> %v, want %v -> %v", name, row.Src, row.Dst, wantSrc, wantDst)
	}
	if st := expectedState(w, k, set, form); row.TCPState != st {
		t.Errorf("%s: state %q, want %q", name, row.TCPState, st)
	}
	// Active ago is the input offset plus the time until the dump ran.
	ago := w.lastSeenAgo()
	if d := row.ActiveAgo.Duration - ago; d < 0 || d > 5*time.Second {
		t.Errorf("%s: active ago %v, input offset %v", name, row.ActiveAgo, ago)
	}
	if form == "raw-json" {
		if w.RevKey != "" {
			rk := parseInKey(t, w.RevKey)
			if row.RevAddrA != rk.a.Addr() || row.RevPortA != rk.a.Port() || row.RevAddrB != rk.b.Addr() || row.RevPortB != rk.b.Port() {
				t.Errorf("%s: rev key %v:%d <-> %v:%d, want %s", name, row.RevAddrA, row.RevPortA, row.RevAddrB, row.RevPortB, w.RevKey)
			}
		}
		return
	}
	if w.OrigDst != "" && row.OrigDst != netip.MustParseAddrPort(w.OrigDst) {
		t.Errorf("%s: orig dst %v, want %s", name, row.OrigDst, w.OrigDst)
	}
	if w.OrigDst == "" && w.typ() != model.ConntrackNATReverse && row.OrigDst.IsValid() {
		t.Errorf("%s: orig dst %v, want none", name, row.OrigDst)
	}
	if got, want := row.TunnelIP.String(), w.TunIP; (want == "") != !row.TunnelIP.IsValid() || (want != "" && got != want) {
		t.Errorf("%s: tunnel ip %v, want %q", name, row.TunnelIP, want)
	}
	if row.OrigSrcPort != w.OrigSport {
		t.Errorf("%s: orig src port %d, want %d", name, row.OrigSrcPort, w.OrigSport)
	}
	if form != "raw" {
		return
	}
	// Raw text: the kernel timestamps are exact.
	lastSeen := in.KtimeAtGeneration - uint64(ago)
	if row.LastSeen != lastSeen {
		t.Errorf("%s: LastSeen %d, want %d", name, row.LastSeen, lastSeen)
	}
	if hasCreated(set) {
		if row.Created != lastSeen-uint64(60*time.Second) {
			t.Errorf("%s: Created %d, want LastSeen-60s", name, row.Created)
		}
		if d := row.Age.Duration - row.ActiveAgo.Duration - 60*time.Second; d < -time.Millisecond || d > time.Millisecond {
			t.Errorf("%s: age %v - active ago %v is not 60s", name, row.Age, row.ActiveAgo)
		}
	} else if row.Created != 0 || !row.Age.IsZero() {
		t.Errorf("%s: Created/Age printed by v3.30+? %d %v", name, row.Created, row.Age)
	}
	if w.RevKey != "" {
		rk := parseInKey(t, w.RevKey)
		if row.RevAddrA != rk.a.Addr() || row.RevPortA != rk.a.Port() || row.RevAddrB != rk.b.Addr() || row.RevPortB != rk.b.Port() || uint8(row.RevProto) != rk.proto {
			t.Errorf("%s: rev key %v:%d <-> %v:%d, want %s", name, row.RevAddrA, row.RevPortA, row.RevAddrB, row.RevPortB, w.RevKey)
		}
	}
	if w.Legs != "" {
		checkLegs(t, name, w.Legs, row)
	}
}

// checkLegs compares "A2B syn+ack+opener+approved, B2A syn+ack+approved".
func checkLegs(t *testing.T, name, desc string, row model.ConntrackEntry) {
	t.Helper()
	m := legsRE.FindStringSubmatch(desc)
	if m == nil {
		t.Fatalf("%s: bad legs %q in inputs.json", name, desc)
	}
	for i, leg := range []model.Leg{row.A2B, row.B2A} {
		set := map[string]bool{}
		for _, w := range strings.Split(m[i+1], "+") {
			set[w] = true
		}
		got := map[string]bool{"syn": leg.SynSeen, "ack": leg.AckSeen, "fin": leg.FinSeen, "rst": leg.RstSeen, "opener": leg.Opener, "approved": leg.Approved}
		for w, v := range got {
			if set[w] != v {
				t.Errorf("%s: leg %d %s = %v, inputs say %q", name, i, w, v, m[i+1])
			}
		}
	}
}
