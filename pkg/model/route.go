package model

import (
	"encoding/json"
	"net/netip"
	"strings"
)

// Route is one entry of the BPF route map (`calico-bpf routes dump`).
type Route struct {
	// Dest is the destination CIDR.
	Dest netip.Prefix `json:"dest"`
	// Flags are the route's type and property flags.
	Flags RouteFlags `json:"flags"`
	// IfIndex is the interface of a local workload route (text: "idx N").
	IfIndex int `json:"ifindex,omitzero"`
	// NextHop is the node that hosts a remote workload route (text: "nh IP").
	NextHop netip.Addr `json:"next_hop,omitzero"`
	// ExtraFlags holds words a newer Calico printed that this version does not know.
	ExtraFlags []string `json:"extra_flags,omitempty"`
}

// RouteFlags is a set of route properties. The bit values are this package's
// own: Calico reused bit 0x800 for "vm" (v3.30) and "skip-ingress-redir"
// (v3.31+), and its text never shows the number, so the words are the truth.
type RouteFlags uint32

// Route flags, in the order Calico prints their words.
const (
	RouteLocal RouteFlags = 1 << iota
	RouteHost
	RouteWorkload
	RouteInPool
	RouteNATOut
	RouteSameSubnet
	RouteNoDSR
	RouteTunneled
	RouteVM
	RouteSkipIngressRedir
	RouteVXLAN
	RouteBlackholeDrop
	RouteBlackholeReject
)

var routeWords = []flagWord[RouteFlags]{
	{RouteLocal, "local"},
	{RouteHost, "host"},
	{RouteWorkload, "workload"},
	{RouteInPool, "in-pool"},
	{RouteNATOut, "nat-out"},
	{RouteSameSubnet, "same-subnet"},
	{RouteNoDSR, "no-dsr"},
	{RouteTunneled, "tunneled"},
	{RouteVXLAN, "vxlan"},
	{RouteVM, "vm"},
	{RouteSkipIngressRedir, "skip-ingress-redir"},
	{RouteBlackholeDrop, "blackhole-drop"},
	{RouteBlackholeReject, "blackhole-reject"},
}

// Has reports whether all bits of f are set.
func (r RouteFlags) Has(f RouteFlags) bool { return r&f == f }

// Local reports a route to this node (host IP or local workload).
func (r RouteFlags) Local() bool { return r&RouteLocal != 0 }

// Blackhole reports a blackhole-drop or blackhole-reject route.
func (r RouteFlags) Blackhole() bool { return r&(RouteBlackholeDrop|RouteBlackholeReject) != 0 }

// Remote reports a route that Calico calls "remote": not local and, since
// v3.27.4, not a blackhole.
func (r RouteFlags) Remote() bool { return !r.Local() && !r.Blackhole() }

// Words lists the flags as Calico's JSON does: "local" or "remote" first.
func (r RouteFlags) Words() []string {
	words := wordsOf(r, routeWords)
	if r.Remote() {
		words = append([]string{"remote"}, words...)
	}
	return words
}

// String joins the words with spaces, as in the text dump.
func (r RouteFlags) String() string { return strings.Join(r.Words(), " ") }

// ParseRouteWord returns the flag a text or JSON word stands for. "remote"
// is a word without a bit (it is the absence of "local"): it returns 0, true.
func ParseRouteWord(word string) (RouteFlags, bool) {
	if word == "remote" {
		return 0, true
	}
	return bitOf(word, routeWords)
}

// RouteWord is ParseRouteWord for a word in a byte slice, without allocating.
func RouteWord(word []byte) (RouteFlags, bool) {
	if string(word) == "remote" {
		return 0, true
	}
	return bitOfBytes(word, routeWords)
}

// MarshalJSON writes the words array.
func (r RouteFlags) MarshalJSON() ([]byte, error) { return marshalWords(r.Words()) }

// UnmarshalJSON reads a words array.
func (r *RouteFlags) UnmarshalJSON(b []byte) error {
	var words []string
	if err := json.Unmarshal(b, &words); err != nil {
		return err
	}
	var v RouteFlags
	for _, w := range words {
		bit, ok := ParseRouteWord(w)
		if !ok {
			// A newer Calico word: keep decoding; Route.UnmarshalJSON keeps it.
			continue
		}
		v |= bit
	}
	*r = v
	return nil
}

// UnmarshalJSON decodes a route and keeps flag words it does not know in ExtraFlags.
func (rt *Route) UnmarshalJSON(b []byte) error {
	type plain Route
	var raw struct {
		plain
		Flags []string `json:"flags"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*rt = Route(raw.plain)
	rt.Flags = 0
	for _, w := range raw.Flags {
		bit, ok := ParseRouteWord(w)
		if !ok {
			rt.ExtraFlags = append(rt.ExtraFlags, w)
			continue
		}
		rt.Flags |= bit
	}
	return nil
}
