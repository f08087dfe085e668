package parse

import (
	"bytes"
	"net/netip"
)

// Byte-level scanners for the hot paths. They take []byte and do not
// allocate (except IPv6 addresses, which go through netip.ParseAddr), so a
// 512,000-entry conntrack dump parses without a string per line.

// parseUint reads a decimal number that fills b.
func parseUint(b []byte) (uint64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	var n uint64
	if len(b) < 20 { // up to 19 digits cannot overflow
		for _, c := range b {
			d := c - '0'
			if d > 9 {
				return 0, false
			}
			n = n*10 + uint64(d)
		}
		return n, true
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := uint64(c - '0')
		if n > (1<<64-1-d)/10 {
			return 0, false
		}
		n = n*10 + d
	}
	return n, true
}

// parseUintMax reads a decimal number no larger than limit.
func parseUintMax(b []byte, limit uint64) (uint64, bool) {
	n, ok := parseUint(b)
	return n, ok && n <= limit
}

// parseInt reads an optionally negative decimal number that fills b.
func parseInt(b []byte) (int64, bool) {
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	n, ok := parseUint(b)
	if !ok || n > 1<<63 || (!neg && n == 1<<63) {
		return 0, false
	}
	if neg {
		return -int64(n), true
	}
	return int64(n), true
}

// parseHex reads hex digits (no 0x) that fill b.
func parseHex(b []byte) (uint64, bool) {
	if len(b) == 0 || len(b) > 16 {
		return 0, false
	}
	var n uint64
	for _, c := range b {
		var d byte
		switch {
		case '0' <= c && c <= '9':
			d = c - '0'
		case 'a' <= c && c <= 'f':
			d = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			d = c - 'A' + 10
		default:
			return 0, false
		}
		n = n<<4 | uint64(d)
	}
	return n, true
}

// parseAddr reads an IPv4 or IPv6 address.
func parseAddr(b []byte) (netip.Addr, bool) {
	if a, ok := parseIPv4(b); ok {
		return a, true
	}
	if bytes.IndexByte(b, ':') < 0 {
		return netip.Addr{}, false
	}
	a, err := netip.ParseAddr(string(b))
	return a, err == nil
}

// parseIPv4 reads a dotted quad without leading zeros, as netip does.
func parseIPv4(b []byte) (netip.Addr, bool) {
	var ip [4]byte
	part, val, digits := 0, 0, 0
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case '0' <= c && c <= '9':
			if digits == 1 && val == 0 {
				return netip.Addr{}, false // leading zero
			}
			val = val*10 + int(c-'0')
			digits++
			if val > 255 {
				return netip.Addr{}, false
			}
		case c == '.':
			if digits == 0 || part == 3 {
				return netip.Addr{}, false
			}
			ip[part] = byte(val)
			part++
			val, digits = 0, 0
		default:
			return netip.Addr{}, false
		}
	}
	if part != 3 || digits == 0 {
		return netip.Addr{}, false
	}
	ip[3] = byte(val)
	return netip.AddrFrom4(ip), true
}

// parseAddrPort reads "1.2.3.4:80", "[fd00::1]:80" or Calico's unbracketed
// "fd00::1:80" (the port is after the last colon).
func parseAddrPort(b []byte) (netip.AddrPort, bool) {
	i := bytes.LastIndexByte(b, ':')
	if i <= 0 {
		return netip.AddrPort{}, false
	}
	host := b[:i]
	if host[0] == '[' {
		if host[len(host)-1] != ']' {
			return netip.AddrPort{}, false
		}
		host = host[1 : len(host)-1]
	}
	a, ok := parseAddr(host)
	if !ok {
		return netip.AddrPort{}, false
	}
	p, ok := parseUintMax(b[i+1:], 65535)
	if !ok {
		return netip.AddrPort{}, false
	}
	return netip.AddrPortFrom(a, uint16(p)), true
}

// parsePrefix reads "10.65.0.0/16" or "fd00::/48".
func parsePrefix(b []byte) (netip.Prefix, bool) {
	i := bytes.IndexByte(b, '/')
	if i <= 0 {
		return netip.Prefix{}, false
	}
	a, ok := parseAddr(b[:i])
	if !ok || a.Zone() != "" { // as netip.ParsePrefix: no zone in a prefix
		return netip.Prefix{}, false
	}
	bits, ok := parseUintMax(b[i+1:], uint64(a.BitLen()))
	if !ok || (len(b)-i-1 > 1 && b[i+1] == '0') {
		return netip.Prefix{}, false
	}
	return netip.PrefixFrom(a, int(bits)), true
}

// parseBool reads Go's %v of a bool.
func parseBool(b []byte) (bool, bool) {
	switch string(b) {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	return false, false
}

// nextField splits off the next space-separated field, skipping runs of
// spaces and tabs (tabs turned into spaces by pasting, Calico's double spaces).
func nextField(b []byte) (field, rest []byte) {
	i := 0
	for i < len(b) && (b[i] == ' ' || b[i] == '\t') {
		i++
	}
	j := i
	for j < len(b) && b[j] != ' ' && b[j] != '\t' {
		j++
	}
	return b[i:j], b[j:]
}

// cutPrefix is bytes.CutPrefix for a string prefix, without converting it.
func cutPrefix(b []byte, prefix string) ([]byte, bool) {
	if len(b) < len(prefix) || string(b[:len(prefix)]) != prefix {
		return b, false
	}
	return b[len(prefix):], true
}

// skipSpaces drops leading spaces and tabs.
func skipSpaces(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	return b
}
