package parse

import (
	"io"
	"net/netip"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/model"
)

// Conntrack decodes `calico-bpf conntrack dump` in every form Calico has
// printed, mixed freely in one input:
//
//   - raw, the only form up to v3.27 and `--raw` after:
//     ConntrackKey{proto=6 A:pa <-> B:pb} -> Entry{Type:0, Created:…, LastSeen:…, Flags: … Data: {A2B:{…} B2A:{…} …}} Age: … Active ago … STATE
//     with every layout of Entry and its legs from v3.13 to v3.32 (Created
//     dropped in v3.30; Whitelisted/Approved; OrigSrc, OrigSPort, Workload;
//     flags as words, decimal, or 0x-hex plus words; "REVKey :" and
//     "REVKey: … NATSPort: n" for NAT forward entries);
//   - pretty (v3.28+): "TCP 10.65.0.5:51000 -> 10.96.0.1:443 -> 192.168.1.10:6443  Age: … Active ago … ESTABLISHED",
//     with Age up to v3.29 and RESET from v3.30;
//   - JSON (v3.31.5+), pretty and raw.
//
// For raw entries Src and Dst are derived from the key, opener first.
//
// A large text dump is parsed on several goroutines (see Performance in
// the package documentation); fn is still called on the caller's goroutine,
// once per row, in input order.
func Conntrack(r io.Reader, opts Options, fn func(model.ConntrackEntry) error) (Report, error) {
	s := newSession(KindConntrack, r, opts)
	return s.finish(s.run(func(first []byte) error {
		return conntrackJSON(s, first, func(e *model.ConntrackEntry) error {
			if e.AddrA.IsValid() && !e.Src.IsValid() {
				deriveDirection(e, true, netip.Addr{}, 0)
			}
			return emit(s, fn, *e)
		})
	}, func() error { return conntrackText(s, fn) }))
}

func conntrackText(s *session, fn func(model.ConntrackEntry) error) error {
	var e model.ConntrackEntry
	var gate parallelGate
	for {
		if gate.ready(s) {
			if err := parallelText(s, &gate, fn, fastConntrack); err != nil {
				return err
			}
		}
		line, num, ok, err := s.next()
		if err != nil || !ok {
			return err
		}
		var parsed bool
		var note string
		// The fast paths take lines exactly as Calico prints them and leave
		// everything else to the general parsers (see conntrack_fast.go).
		if parsed = fastConntrack(line, &e); !parsed {
			if hasLit2(line, 0, "Conntrac", "kKey{") {
				parsed, note = parseConntrackRaw(line, &e)
			} else {
				parsed = parseConntrackPretty(line, &e)
			}
		}
		if !parsed {
			if err := s.other(line, num); err != nil {
				return err
			}
			continue
		}
		if note != "" {
			s.warn(num, line, note)
		}
		if err := emit(s, fn, e); err != nil {
			return err
		}
	}
}

// fastConntrack is the fast path of either form (see conntrack_fast.go).
func fastConntrack(line []byte, e *model.ConntrackEntry) bool {
	if hasLit2(line, 0, "Conntrac", "kKey{") {
		return fastConntrackRaw(line, e)
	}
	return fastConntrackPretty(line, e)
}

// deriveDirection fills Src and Dst of a raw entry from its key: the opener
// first. Dumps that can print the B-A flag (v3.24+: hex flags, OrigSrc or
// Approved in the entry) say so with the flag, as Calico's pretty form
// reads it; older ones only have the legs' Opener bits. For NAT reverse
// entries it also sets OrigDst.
func deriveDirection(e *model.ConntrackEntry, flagKnown bool, origDst netip.Addr, origPort uint16) {
	a := netip.AddrPortFrom(e.AddrA, e.PortA)
	b := netip.AddrPortFrom(e.AddrB, e.PortB)
	bOpened := e.Flags.Has(model.CTSrcDstBA)
	if !flagKnown {
		bOpened = !e.A2B.Opener && e.B2A.Opener
	}
	if bOpened {
		a, b = b, a
	}
	e.Src, e.Dst = a, b
	if e.Type == model.ConntrackNATReverse && usable(origDst) {
		e.OrigDst = netip.AddrPortFrom(origDst, origPort)
	}
}

// usable reports an address that is set: Calico prints 0.0.0.0 and :: for "none".
func usable(a netip.Addr) bool { return a.IsValid() && !a.IsUnspecified() }
