package parse

import "fmt"

// Kind names a dump kind.
type Kind int

// Dump kinds.
const (
	KindRoutes         Kind = iota + 1 // calico-bpf routes dump
	KindNAT                            // calico-bpf nat dump
	KindNATAffinity                    // calico-bpf nat aff
	KindMaglev                         // calico-bpf nat maglev
	KindIPSets                         // calico-bpf ipsets dump
	KindConntrack                      // calico-bpf conntrack dump
	KindConntrackStats                 // calico-bpf conntrack stats
	KindARP                            // calico-bpf arp dump
	KindCounters                       // calico-bpf counters dump
	KindIfState                        // calico-bpf ifstate dump
	KindQdisc                          // tc -s qdisc show
	KindFilter                         // tc filter show dev DEV ingress|egress
	KindFelixLog                       // calico-node log
	KindTrace                          // BPF trace pipe
)

var kindNames = map[Kind]string{
	KindRoutes:         "routes",
	KindNAT:            "nat",
	KindNATAffinity:    "nat-aff",
	KindMaglev:         "maglev",
	KindIPSets:         "ipsets",
	KindConntrack:      "conntrack",
	KindConntrackStats: "conntrack-stats",
	KindARP:            "arp",
	KindCounters:       "counters",
	KindIfState:        "ifstate",
	KindQdisc:          "qdisc",
	KindFilter:         "filter",
	KindFelixLog:       "felixlog",
	KindTrace:          "trace",
}

// Kinds lists every kind in declaration order.
func Kinds() []Kind {
	out := make([]Kind, 0, len(kindNames))
	for k := KindRoutes; k <= KindTrace; k++ {
		out = append(out, k)
	}
	return out
}

// String returns the kind's name ("routes", "nat-aff", …).
func (k Kind) String() string {
	if n, ok := kindNames[k]; ok {
		return n
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// MarshalText writes the name.
func (k Kind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// ParseKind reads a kind name.
func ParseKind(s string) (Kind, error) {
	for k, n := range kindNames {
		if n == s {
			return k, nil
		}
	}
	return 0, fmt.Errorf("parse kind %q: unknown kind", s)
}

// HasJSON reports whether the kind has a JSON form (Calico's -j, or tc -j).
func (k Kind) HasJSON() bool { return k != KindFelixLog && k != KindTrace }

// dumpsOfTool reports kinds whose input is the output of a command (calico-bpf,
// tc, a trace reader), where error log lines mean the command failed. A Felix
// log is full of error lines that are data.
func (k Kind) dumpsOfTool() bool { return k != KindFelixLog }
