package model

import (
	"fmt"
	"net/netip"
)

// ARPEntry is one neighbour cached for NodePort forwarding (`calico-bpf arp dump`).
type ARPEntry struct {
	IfIndex int        `json:"ifindex"`
	IP      netip.Addr `json:"ip"`
	SrcMAC  MAC        `json:"src_mac"`
	DstMAC  MAC        `json:"dst_mac"`
}

// MAC is an Ethernet address that marshals as "52:54:00:aa:bb:01".
type MAC [6]byte

const hexDigits = "0123456789abcdef"

// String writes colon-separated lower-case hex.
func (m MAC) String() string {
	b := make([]byte, 0, 17)
	for i, x := range m {
		if i > 0 {
			b = append(b, ':')
		}
		b = append(b, hexDigits[x>>4], hexDigits[x&0xf])
	}
	return string(b)
}

// MarshalText writes the colon form.
func (m MAC) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// UnmarshalText reads the colon form.
func (m *MAC) UnmarshalText(b []byte) error {
	v, ok := ParseMAC(b)
	if !ok {
		return fmt.Errorf("decode mac address %q", b)
	}
	*m = v
	return nil
}

// ParseMAC reads "aa:bb:cc:dd:ee:ff" (either case, ':' or '-').
func ParseMAC(b []byte) (MAC, bool) {
	var m MAC
	if len(b) != 17 {
		return m, false
	}
	for i := range m {
		hi, ok1 := unhex(b[i*3])
		lo, ok2 := unhex(b[i*3+1])
		if !ok1 || !ok2 || (i < 5 && b[i*3+2] != ':' && b[i*3+2] != '-') {
			return m, false
		}
		m[i] = hi<<4 | lo
	}
	return m, true
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}
