package model

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"strings"
)

// NATEntry is one NAT frontend with its backends, the row shape of Calico's
// `nat dump --json`: {"frontend": {…}, "backends": […]}.
type NATEntry struct {
	Frontend NATFrontend `json:"frontend"`
	// Backends are in ordinal order; local backends come first. Nil for a
	// blackhole frontend.
	Backends []NATBackend `json:"backends"`
}

// BlackholeCount is the count of a blackhole frontend: a LoadBalancer or
// external IP with loadBalancerSourceRanges, for sources outside the ranges.
// Calico prints it as -1 from v3.27 and as 4294967295 before; both decode to -1.
const BlackholeCount = -1

// NATFrontend is one key of the NAT frontend map.
type NATFrontend struct {
	Addr  netip.Addr `json:"addr"`
	Port  uint16     `json:"port"`
	Proto Proto      `json:"proto"`
	// SrcCIDR is the source range of a loadBalancerSourceRanges key (printed from v3.31.5).
	SrcCIDR netip.Prefix `json:"src_cidr,omitzero"`
	// ID is the service-port id shared by all frontends of one service port.
	ID uint32 `json:"id"`
	// Count is the number of ready backends, or BlackholeCount.
	Count int64 `json:"count"`
	// Local is the number of backends on this node (ordinals 0…Local-1).
	Local uint32   `json:"local"`
	Flags NATFlags `json:"flags,omitzero"`
	// ExtraFlags holds flag words a newer Calico printed that this version does not know.
	ExtraFlags []string `json:"extra_flags,omitempty"`
}

// Blackhole reports a blackhole frontend.
func (f NATFrontend) Blackhole() bool { return f.Count == BlackholeCount }

// NATBackend is one backend of a frontend.
type NATBackend struct {
	Addr netip.Addr
	Port uint16
	// ID and Ordinal are the backend map key (text: "ID:ORDINAL").
	ID      uint32
	Ordinal uint32
	// Missing is set when the backend map has no entry for the ordinal
	// (text "is missing", JSON {"addr": "missing"}).
	Missing bool
}

// natBackendJSON is the wire form: Calico writes a missing backend as
// {"addr": "missing", "port": 0}; id and ordinal are our additions.
type natBackendJSON struct {
	Addr    string `json:"addr"`
	Port    uint16 `json:"port"`
	ID      uint32 `json:"id,omitzero"`
	Ordinal uint32 `json:"ordinal"`
}

// MarshalJSON writes Calico's backend form plus id and ordinal.
func (b NATBackend) MarshalJSON() ([]byte, error) {
	w := natBackendJSON{Port: b.Port, ID: b.ID, Ordinal: b.Ordinal}
	if b.Missing {
		w.Addr = "missing"
	} else if b.Addr.IsValid() {
		w.Addr = b.Addr.String()
	}
	return json.Marshal(w)
}

// UnmarshalJSON reads Calico's backend form.
func (b *NATBackend) UnmarshalJSON(data []byte) error {
	var w natBackendJSON
	if err := json.Unmarshal(data, &w); err != nil {
		return err
	}
	*b = NATBackend{Port: w.Port, ID: w.ID, Ordinal: w.Ordinal}
	switch w.Addr {
	case "missing":
		b.Missing = true
	case "":
	default:
		a, err := netip.ParseAddr(w.Addr)
		if err != nil {
			return fmt.Errorf("decode nat backend: %w", err)
		}
		b.Addr = a
	}
	return nil
}

// NATFlags are the frontend flags (Calico bits; stable across versions).
type NATFlags uint32

// NAT frontend flags.
const (
	NATExternalLocal NATFlags = 0x1 // externalTrafficPolicy: Local
	NATInternalLocal NATFlags = 0x2 // internalTrafficPolicy: Local
	NATExclude       NATFlags = 0x4 // BPFExcludeCIDRsFromNAT (v3.27.1+)
	NATMaglev        NATFlags = 0x8 // Maglev consistent hashing (v3.32+)
)

var natWords = []flagWord[NATFlags]{
	{NATExternalLocal, "external-local"},
	{NATInternalLocal, "internal-local"},
	{NATExclude, "nat-exclude"},
	{NATMaglev, "maglev"},
}

// Words lists the set flags.
func (f NATFlags) Words() []string { return wordsOf(f, natWords) }

// String joins the words the way Calico does: "internal-local, nat-exclude".
func (f NATFlags) String() string { return strings.Join(f.Words(), ", ") }

// ParseNATWord returns the flag a word stands for.
func ParseNATWord(word string) (NATFlags, bool) { return bitOf(word, natWords) }

// NATWord is ParseNATWord for a word in a byte slice, without allocating.
func NATWord(word []byte) (NATFlags, bool) { return bitOfBytes(word, natWords) }

// MarshalText writes Calico's comma-joined string.
func (f NATFlags) MarshalText() ([]byte, error) { return []byte(f.String()), nil }

// UnmarshalText reads a comma-joined string; empty items (the v3.22–v3.26.4
// "flags , internal-local" bug) are ignored.
func (f *NATFlags) UnmarshalText(b []byte) error {
	v, unknown := ParseNATFlags(string(b))
	if len(unknown) > 0 {
		return fmt.Errorf("decode nat flags: unknown words %q", unknown)
	}
	*f = v
	return nil
}

// ParseNATFlags reads Calico's comma-joined flag string and returns the
// words it does not know separately.
func ParseNATFlags(s string) (NATFlags, []string) {
	var v NATFlags
	var unknown []string
	for _, w := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' }) {
		bit, ok := ParseNATWord(w)
		if !ok {
			unknown = append(unknown, w)
			continue
		}
		v |= bit
	}
	return v, unknown
}

// UnmarshalJSON decodes a frontend and keeps flag words it does not know in ExtraFlags.
func (f *NATFrontend) UnmarshalJSON(b []byte) error {
	type plain NATFrontend
	var raw struct {
		plain
		Flags string `json:"flags"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*f = NATFrontend(raw.plain)
	var unknown []string
	f.Flags, unknown = ParseNATFlags(raw.Flags)
	f.ExtraFlags = append(f.ExtraFlags, unknown...)
	return nil
}

// NATAffinity is one entry of the NAT affinity map (`nat aff`, v3.23+).
type NATAffinity struct {
	ClientIP netip.Addr `json:"client_ip"`
	Proto    Proto      `json:"proto"`
	// Addr and Port are the service frontend.
	Addr    netip.Addr    `json:"addr"`
	Port    uint16        `json:"port"`
	Backend NATAffBackend `json:"backend"`
	// Timestamp is bpf_ktime_get_ns of the last use: time since boot, not an age.
	Timestamp Duration `json:"timestamp"`
}

// NATAffBackend is the backend an affinity entry pins the client to.
type NATAffBackend struct {
	Addr netip.Addr `json:"addr"`
	Port uint16     `json:"port"`
}

// MaglevEntry is one slot of a service's Maglev lookup table (`nat maglev`, v3.32.1+).
type MaglevEntry struct {
	SvcID   uint32     `json:"svc_id"`
	Ordinal uint32     `json:"ordinal"`
	Addr    netip.Addr `json:"addr"`
	Port    uint16     `json:"port"`
}
