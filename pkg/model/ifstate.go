package model

import (
	"encoding/json"
	"strconv"
	"strings"
)

// IfState is one entry of the interface state map (`ifstate dump`, v3.24+).
//
// The policy and filter fields are jump-map indexes, -1 for none. Versions
// that do not print a field leave it unset (omitted from JSON): v3.24–v3.26
// print none, v3.27 prints IPv4 policies without the V4 suffix.
type IfState struct {
	IfIndex int          `json:"ifindex"`
	Name    string       `json:"name"`
	Flags   IfStateFlags `json:"flags"`

	IngressPolicyV4 PolicyIndex `json:"ingress_policy_v4,omitzero"`
	EgressPolicyV4  PolicyIndex `json:"egress_policy_v4,omitzero"`
	XDPPolicyV4     PolicyIndex `json:"xdp_policy_v4,omitzero"`
	IngressPolicyV6 PolicyIndex `json:"ingress_policy_v6,omitzero"`
	EgressPolicyV6  PolicyIndex `json:"egress_policy_v6,omitzero"`
	XDPPolicyV6     PolicyIndex `json:"xdp_policy_v6,omitzero"`
	TCIngressFilter PolicyIndex `json:"tc_ingress_filter,omitzero"`
	TCEgressFilter  PolicyIndex `json:"tc_egress_filter,omitzero"`
}

// PolicyIndex is a jump-map index that may not have been printed at all.
type PolicyIndex struct {
	Index int32
	Set   bool
}

// Index makes a printed policy index.
func Index(n int32) PolicyIndex { return PolicyIndex{Index: n, Set: true} }

// IsZero reports an index that was not printed.
func (p PolicyIndex) IsZero() bool { return !p.Set }

// MarshalJSON writes the number.
func (p PolicyIndex) MarshalJSON() ([]byte, error) {
	return strconv.AppendInt(nil, int64(p.Index), 10), nil
}

// UnmarshalJSON reads a number.
func (p *PolicyIndex) UnmarshalJSON(b []byte) error {
	var n int32
	if err := json.Unmarshal(b, &n); err != nil {
		return err
	}
	*p = Index(n)
	return nil
}

// IfStateFlags are the interface flags. The bit values are this package's own:
// Calico renamed and renumbered them (v3.24 "ready", v3.28 "v4Ready"/"v6Ready").
type IfStateFlags uint32

// Interface state flags, in Calico's (v3.28.1+) bit order.
const (
	IfWorkload IfStateFlags = 1 << iota
	IfReady                 // v3.24–v3.27: ready (IPv4 only then)
	IfV4Ready
	IfV6Ready
	IfHost
	IfBond
	IfBondSlave
	IfVXLAN
	IfIPIP
	IfWireguard
	IfL3
	IfNotManaged
)

var ifStateWords = []flagWord[IfStateFlags]{
	{IfWorkload, "workload"},
	{IfReady, "ready"},
	{IfV4Ready, "v4Ready"},
	{IfV6Ready, "v6Ready"},
	{IfHost, "host"},
	{IfBond, "bond"},
	{IfBondSlave, "bondslave"},
	{IfVXLAN, "vxlan"},
	{IfIPIP, "ipip"},
	{IfWireguard, "wg"},
	{IfL3, "l3"},
	{IfNotManaged, "notmanaged"},
}

// Has reports whether all bits of f are set.
func (f IfStateFlags) Has(g IfStateFlags) bool { return f&g == g }

// Words lists the flags; like Calico, an interface without flags is "host".
func (f IfStateFlags) Words() []string {
	if f == 0 {
		return []string{"host"}
	}
	return wordsOf(f, ifStateWords)
}

// String joins the words with commas.
func (f IfStateFlags) String() string { return strings.Join(f.Words(), ",") }

// ParseIfStateWord returns the flag of one word.
func ParseIfStateWord(w string) (IfStateFlags, bool) { return bitOf(w, ifStateWords) }

// IfStateWord is ParseIfStateWord for a word in a byte slice, without allocating.
func IfStateWord(w []byte) (IfStateFlags, bool) { return bitOfBytes(w, ifStateWords) }

// MarshalJSON writes the words array.
func (f IfStateFlags) MarshalJSON() ([]byte, error) { return json.Marshal(f.Words()) }

// UnmarshalJSON reads the words array.
func (f *IfStateFlags) UnmarshalJSON(b []byte) error {
	v, err := unmarshalWords(b, ifStateWords, "ifstate")
	if err != nil {
		return err
	}
	*f = v
	return nil
}
