package model

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Proto is an IP protocol number (6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6, 132 SCTP).
//
// String gives the name; JSON keeps the number, because that is what Calico's
// NAT and NAT-affinity JSON print ("proto": 6). Unmarshalling accepts either a
// number or a name.
type Proto uint8

// Protocol numbers that Calico's dumps name.
const (
	ProtoICMP   Proto = 1
	ProtoTCP    Proto = 6
	ProtoUDP    Proto = 17
	ProtoICMPv6 Proto = 58
	ProtoSCTP   Proto = 132
	// ProtoUnknown stands for Calico's pretty conntrack word "UNKNOWN", which
	// hides the number. 255 is IANA-reserved, so it never collides with a real one.
	ProtoUnknown Proto = 255
)

// Number returns the protocol number.
func (p Proto) Number() uint8 { return uint8(p) }

// String returns the conventional protocol name, or "Proto-N" for protocols
// without one (the spelling Calico's newest conntrack dump uses).
func (p Proto) String() string {
	switch p {
	case ProtoICMP:
		return "ICMP"
	case ProtoTCP:
		return "TCP"
	case ProtoUDP:
		return "UDP"
	case ProtoICMPv6:
		return "ICMPv6"
	case ProtoSCTP:
		return "SCTP"
	case ProtoUnknown:
		return "UNKNOWN"
	}
	return "Proto-" + strconv.Itoa(int(p))
}

// MarshalJSON writes the number.
func (p Proto) MarshalJSON() ([]byte, error) {
	return strconv.AppendUint(nil, uint64(p), 10), nil
}

// UnmarshalJSON accepts a number (6) or a name ("TCP", "tcp", "ICMP6", "Proto-47").
func (p *Proto) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		v, ok := ParseProto(s)
		if !ok {
			return fmt.Errorf("unknown protocol %q", s)
		}
		*p = v
		return nil
	}
	n, err := strconv.ParseUint(string(b), 10, 8)
	if err != nil {
		return fmt.Errorf("decode protocol %s: %w", b, err)
	}
	*p = Proto(n)
	return nil
}

// ParseProto reads a protocol given as a number or a name, in any of the
// spellings Calico and iproute2 use.
func ParseProto(s string) (Proto, bool) {
	switch strings.ToUpper(s) {
	case "ICMP":
		return ProtoICMP, true
	case "TCP":
		return ProtoTCP, true
	case "UDP":
		return ProtoUDP, true
	case "ICMP6", "ICMPV6", "IPV6-ICMP":
		return ProtoICMPv6, true
	case "SCTP":
		return ProtoSCTP, true
	case "UNKNOWN":
		return ProtoUnknown, true
	}
	if rest, ok := strings.CutPrefix(strings.ToUpper(s), "PROTO-"); ok {
		s = rest
	}
	n, err := strconv.ParseUint(s, 10, 8)
	if err != nil {
		return 0, false
	}
	return Proto(n), true
}

// ProtoName is a Proto that marshals as its name, the form of Calico's
// conntrack JSON ("proto": "TCP"). Protocols Calico has no name for marshal as
// "Proto-N" (Calico's newest spelling) so the number survives a round trip.
type ProtoName Proto

// Proto returns the protocol.
func (p ProtoName) Proto() Proto { return Proto(p) }

// String returns the name as Calico prints it ("ICMP6" rather than "ICMPv6").
func (p ProtoName) String() string {
	switch Proto(p) {
	case ProtoICMP, ProtoTCP, ProtoUDP, ProtoUnknown:
		return Proto(p).String()
	case ProtoICMPv6:
		return "ICMP6"
	}
	return "Proto-" + strconv.Itoa(int(p))
}

// MarshalText writes the name.
func (p ProtoName) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// UnmarshalText accepts a name or a number.
func (p *ProtoName) UnmarshalText(b []byte) error {
	v, ok := ParseProto(string(b))
	if !ok {
		return fmt.Errorf("unknown protocol %q", b)
	}
	*p = ProtoName(v)
	return nil
}
