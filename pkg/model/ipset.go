package model

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// IPSet is one BPF IP set (`calico-bpf ipsets dump`). Very large sets may be
// split over several rows with the same ID (see the parse package).
type IPSet struct {
	ID      SetID         `json:"set_id"`
	Members []IPSetMember `json:"members"`
}

// SetID is the 64-bit set id (a hash; the name is not in the dataplane).
// It marshals as Calico writes it: "0x1c2d3e4f5a6b7c8d".
type SetID uint64

// String writes 0x-prefixed lower-case hex without padding.
func (id SetID) String() string { return "0x" + strconv.FormatUint(uint64(id), 16) }

// MarshalText writes the hex form.
func (id SetID) MarshalText() ([]byte, error) { return []byte(id.String()), nil }

// UnmarshalText reads "0x…" (or plain hex).
func (id *SetID) UnmarshalText(b []byte) error {
	s := strings.TrimPrefix(strings.TrimPrefix(string(b), "0x"), "0X")
	n, err := strconv.ParseUint(s, 16, 64)
	if err != nil {
		return fmt.Errorf("decode ip set id %q: %w", b, err)
	}
	*id = SetID(n)
	return nil
}

// IPSetMember is a CIDR, or for named-port sets an address, port and protocol.
// It marshals as Calico's member string: "10.65.0.5/32" or "10.65.1.7:8080 (proto 6)".
type IPSetMember struct {
	// CIDR is the member's network; for a named-port member it is the single address.
	CIDR  netip.Prefix
	Port  uint16
	Proto Proto
}

// NamedPort reports an ip:port/proto member.
func (m IPSetMember) NamedPort() bool { return m.Proto != 0 || m.Port != 0 }

// String writes Calico's member form (IPv6 named-port members unbracketed, as Calico prints them).
func (m IPSetMember) String() string {
	if m.NamedPort() {
		return m.CIDR.Addr().String() + ":" + strconv.Itoa(int(m.Port)) + " (proto " + strconv.Itoa(int(m.Proto)) + ")"
	}
	return m.CIDR.String()
}

// MarshalText writes the member string.
func (m IPSetMember) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// UnmarshalText reads the member string.
func (m *IPSetMember) UnmarshalText(b []byte) error {
	v, err := ParseIPSetMember(string(b))
	if err != nil {
		return err
	}
	*m = v
	return nil
}

// ParseIPSetMember reads "CIDR" or "ADDR:PORT (proto N)"; IPv6 addresses may be
// bracketed or not (Calico does not bracket them).
func ParseIPSetMember(s string) (IPSetMember, error) {
	s = strings.TrimSpace(s)
	head, protoPart, named := strings.Cut(s, " (proto ")
	if !named {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return IPSetMember{}, fmt.Errorf("decode ip set member %q: %w", s, err)
		}
		return IPSetMember{CIDR: p}, nil
	}
	protoStr, ok := strings.CutSuffix(protoPart, ")")
	if !ok {
		return IPSetMember{}, fmt.Errorf("decode ip set member %q: no closing parenthesis", s)
	}
	proto, err := strconv.ParseUint(protoStr, 10, 8)
	if err != nil {
		return IPSetMember{}, fmt.Errorf("decode ip set member %q: %w", s, err)
	}
	i := strings.LastIndexByte(head, ':')
	if i < 0 {
		return IPSetMember{}, fmt.Errorf("decode ip set member %q: no port", s)
	}
	addr, err := netip.ParseAddr(strings.Trim(head[:i], "[]"))
	if err != nil {
		return IPSetMember{}, fmt.Errorf("decode ip set member %q: %w", s, err)
	}
	port, err := strconv.ParseUint(head[i+1:], 10, 16)
	if err != nil {
		return IPSetMember{}, fmt.Errorf("decode ip set member %q: %w", s, err)
	}
	return IPSetMember{CIDR: netip.PrefixFrom(addr, addr.BitLen()), Port: uint16(port), Proto: Proto(proto)}, nil
}
