package model

import (
	"net/netip"
)

// ConntrackEntry is one conntrack entry, from any of Calico's forms: the raw
// `ConntrackKey{…} -> Entry{…}` line (the only form up to v3.27, `--raw`
// after), the pretty line of v3.28+ (with Age up to v3.29, with RESET from
// v3.30), or the pretty and raw JSON of v3.31.5+. Fields a form does not
// carry stay zero and are omitted from JSON.
//
// Field names follow Calico's JSON: the pretty JSON's src/dst/orig_dst/
// tunnel_ip/orig_src_port and the raw JSON's addr_a…port_b and rev_*. One
// difference: Calico's pretty JSON calls a NAT reverse entry "nat"; here the
// type is always one of "normal", "nat-forward", "nat-reverse" (the raw
// JSON's words). Select NAT entries with `startswith("nat")` to match both.
type ConntrackEntry struct {
	Type  ConntrackType `json:"type"`
	Proto ProtoName     `json:"proto"`

	// Src and Dst are the connection as opened: opener first. For a NAT
	// reverse entry Dst is the backend and OrigDst the service address the
	// client used. For raw entries they are derived from the key and the
	// B-A flag (or, before v3.24, the legs' Opener bits).
	Src     netip.AddrPort `json:"src,omitzero"`
	Dst     netip.AddrPort `json:"dst,omitzero"`
	OrigDst netip.AddrPort `json:"orig_dst,omitzero"`
	// TunnelIP is the other node of a forwarded NodePort connection
	// ("external client, service forwarded to/from IP").
	TunnelIP netip.Addr `json:"tunnel_ip,omitzero"`
	// OrigSrcPort is the client port before host-PSNAT ("source port changed from N").
	OrigSrcPort uint16 `json:"orig_src_port,omitzero"`

	Flags ConntrackFlags `json:"flags"`
	// ActiveAgo is the time since the entry last saw a packet ("Active ago").
	ActiveAgo Duration `json:"active_ago"`
	// TCPState is set for TCP entries that print a state.
	TCPState TCPState `json:"tcp_state,omitzero"`

	// The raw key, in Calico's canonical order. Empty for pretty rows.
	AddrA netip.Addr `json:"addr_a,omitzero"`
	PortA uint16     `json:"port_a,omitzero"`
	AddrB netip.Addr `json:"addr_b,omitzero"`
	PortB uint16     `json:"port_b,omitzero"`

	// The reverse key of a NAT forward entry ("REVKey").
	RevProto ProtoName  `json:"rev_proto,omitzero"`
	RevAddrA netip.Addr `json:"rev_addr_a,omitzero"`
	RevPortA uint16     `json:"rev_port_a,omitzero"`
	RevAddrB netip.Addr `json:"rev_addr_b,omitzero"`
	RevPortB uint16     `json:"rev_port_b,omitzero"`
	// NATSPort is the forward entry's source port after NAT (v3.21+).
	NATSPort uint16 `json:"nat_sport,omitzero"`

	// Age is the lifetime of the entry (printed up to v3.29).
	Age Duration `json:"age,omitzero"`
	// Created and LastSeen are the raw bpf_ktime_get_ns values (CLOCK_MONOTONIC
	// nanoseconds since boot). Created is printed up to v3.29.
	Created  uint64 `json:"created,omitzero"`
	LastSeen uint64 `json:"last_seen,omitzero"`
	// OrigSrc is the original source of an SNATed entry (v3.24+).
	OrigSrc netip.Addr `json:"orig_src,omitzero"`
	// A2B and B2A are the two legs of a normal or NAT reverse raw entry.
	A2B Leg `json:"a2b,omitzero"`
	B2A Leg `json:"b2a,omitzero"`
}

// Leg is one direction of a conntrack entry.
type Leg struct {
	Bytes   uint64 `json:"bytes,omitzero"`   // v3.24+
	Packets uint64 `json:"packets,omitzero"` // v3.24+
	Seqno   uint32 `json:"seqno"`
	SynSeen bool   `json:"syn_seen"`
	AckSeen bool   `json:"ack_seen"`
	FinSeen bool   `json:"fin_seen"`
	RstSeen bool   `json:"rst_seen"`
	// Approved is policy's verdict for this direction ("Whitelisted" before v3.25).
	Approved bool `json:"approved"`
	// Opener is set on the leg of the side that opened the connection.
	Opener bool `json:"opener"`
	// Workload is set when this side is a local workload (v3.30+).
	Workload bool `json:"workload"`
	IfIndex  int  `json:"ifindex"`
}

// ConntrackType is the entry type.
type ConntrackType uint8

// Conntrack entry types, Calico's numbers.
const (
	ConntrackNormal     ConntrackType = 0
	ConntrackNATForward ConntrackType = 1
	ConntrackNATReverse ConntrackType = 2
)

// String returns "normal", "nat-forward", "nat-reverse", or "type-N".
func (t ConntrackType) String() string {
	switch t {
	case ConntrackNormal:
		return "normal"
	case ConntrackNATForward:
		return "nat-forward"
	case ConntrackNATReverse:
		return "nat-reverse"
	}
	return "type-" + itoa(int(t))
}

// MarshalText writes the word.
func (t ConntrackType) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// UnmarshalText reads the word; the pretty JSON's "nat" is a NAT reverse entry.
func (t *ConntrackType) UnmarshalText(b []byte) error {
	switch string(b) {
	case "normal":
		*t = ConntrackNormal
	case "nat-forward":
		*t = ConntrackNATForward
	case "nat", "nat-reverse":
		*t = ConntrackNATReverse
	default:
		n, ok := cutIntPrefix(string(b), "type-")
		if !ok || n < 0 || n > 255 {
			return errorf("decode conntrack type %q", b)
		}
		*t = ConntrackType(n)
	}
	return nil
}

// TCPState is the state word Calico prints for TCP entries.
type TCPState uint8

// TCP states; TCPNone means no state was printed.
const (
	TCPNone TCPState = iota
	TCPSynSent
	TCPEstablished
	TCPClosed
	TCPReset
)

// String returns Calico's word.
func (s TCPState) String() string {
	switch s {
	case TCPSynSent:
		return "SYN-SENT"
	case TCPEstablished:
		return "ESTABLISHED"
	case TCPClosed:
		return "CLOSED"
	case TCPReset:
		return "RESET"
	}
	return ""
}

// ParseTCPState reads Calico's word.
func ParseTCPState(s string) (TCPState, bool) {
	switch s {
	case "SYN-SENT":
		return TCPSynSent, true
	case "ESTABLISHED":
		return TCPEstablished, true
	case "CLOSED":
		return TCPClosed, true
	case "RESET":
		return TCPReset, true
	}
	return TCPNone, false
}

// MarshalText writes the word.
func (s TCPState) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads the word.
func (s *TCPState) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*s = TCPNone
		return nil
	}
	v, ok := ParseTCPState(string(b))
	if !ok {
		return errorf("decode tcp state %q", b)
	}
	*s = v
	return nil
}

// ConntrackStats is `calico-bpf conntrack stats` (v3.30+).
type ConntrackStats struct {
	MapSize          uint64 `json:"map_size"`
	TotalConnections uint64 `json:"total_connections"`
	TotalEntries     uint64 `json:"total_entries"`
	NATConnections   uint64 `json:"nat_connections"`
	TCP              uint64 `json:"tcp"`
	UDP              uint64 `json:"udp"`
	Others           uint64 `json:"others"`
	TCPEstablished   uint64 `json:"tcp_established"`
	TCPClosed        uint64 `json:"tcp_closed"`
	TCPReset         uint64 `json:"tcp_reset"`
	TCPSynSent       uint64 `json:"tcp_syn_sent"`
}
