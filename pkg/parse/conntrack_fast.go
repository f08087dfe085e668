package parse

import (
	"encoding/binary"
	"math/bits"
	"net/netip"
	"time"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/model"
)

// Fast paths for the conntrack lines Calico prints, as it prints them: one
// space between fields, the field names of some version, IPv4 keys. They
// read a line in one pass, with no look-ups by field name and no
// tokenising first. They decide nothing on their own: when a line is not
// exactly in that shape (unknown field or flag word, a tab, two spaces,
// IPv6 key, TYPE INVALID, …) they give up and the general parsers
// (parseConntrackRaw, parseConntrackPretty) read the line from the start.
//
// The rule that keeps the two in step: when a fast path returns true, e
// holds exactly what the general parser makes of the line, with no note.
// FuzzConntrackFastPath checks it on arbitrary lines; the generated
// benchmark dumps check that real-shaped lines take the fast path.

// fastConntrackRaw reads a raw "ConntrackKey{…} -> Entry{…} …" line.
func fastConntrackRaw(line []byte, e *model.ConntrackEntry) bool {
	*e = model.ConntrackEntry{}
	i, ok := litAt2(line, 0, "Conntrac", "kKey{")
	if !ok {
		return false
	}
	var proto model.Proto
	var a, b netip.AddrPort
	if proto, a, b, i, ok = fastCTKey(line, i); !ok {
		return false
	}
	e.Proto = model.ProtoName(proto)
	e.AddrA, e.PortA, e.AddrB, e.PortB = a.Addr(), a.Port(), b.Addr(), b.Port()
	if i, ok = litAt2(line, i, " -> Entr", "y{"); !ok {
		return false
	}
	// Header: Type, Created (up to v3.29), LastSeen, in any order.
	for !hasLitAt(line, i, "Flags:") {
		const (
			fType = iota
			fCreated
			fLastSeen
		)
		var field int
		switch {
		case hasLitAt(line, i, "Type:"):
			i, field = i+len("Type:"), fType
		case hasLitAt(line, i, "Created:"):
			i, field = i+len("Created:"), fCreated
		case hasLit2(line, i, "LastSeen", ":"):
			i, field = i+len("LastSeen:"), fLastSeen
		default:
			return false
		}
		var n uint64
		if n, i, ok = fastUint(line, i); !ok || i >= len(line) || line[i] != ',' {
			return false
		}
		i++
		switch field {
		case fType:
			if n > 255 {
				return false
			}
			e.Type = model.ConntrackType(n)
		case fCreated:
			e.Created = n
		default:
			e.LastSeen = n
		}
		if i < len(line) && line[i] == ' ' {
			i++
		}
	}
	i += len("Flags:")
	var hexFlags bool
	if i, hexFlags, ok = fastCTFlags(line, i, e); !ok {
		return false
	}
	var origDst netip.Addr
	var origPort uint16
	switch {
	case hasLit2(line, i, "Data: {A", "2B:{"):
		var modern bool
		if i, ok = fastCTLeg(line, i+len("Data: {A2B:{"), &e.A2B, &modern); !ok {
			return false
		}
		if i, ok = litAt(line, i, " B2A:{"); !ok {
			return false
		}
		if i, ok = fastCTLeg(line, i, &e.B2A, &modern); !ok {
			return false
		}
		if i, origDst, origPort, ok = fastCTDataTail(line, i, e, &modern); !ok {
			return false
		}
		hexFlags = hexFlags || modern
	case hasLit3(line, i, "REVKey: ", "Conntrac", "kKey{"):
		if proto, a, b, i, ok = fastCTKey(line, i+len("REVKey: ConntrackKey{")); !ok {
			return false
		}
		e.RevProto = model.ProtoName(proto)
		e.RevAddrA, e.RevPortA, e.RevAddrB, e.RevPortB = a.Addr(), a.Port(), b.Addr(), b.Port()
		if hasLit2(line, i, " NATSPor", "t: ") {
			var n uint64
			if n, i, ok = fastUint(line, i+len(" NATSPort: ")); !ok || n > 65535 {
				return false
			}
			e.NATSPort = uint16(n)
		}
		if i, ok = litAt(line, i, "}"); !ok {
			return false
		}
	default:
		return false
	}
	if _, ok = fastCTExtra(line, i, e); !ok {
		return false
	}
	deriveDirection(e, hexFlags, origDst, origPort)
	return true
}

// fastCTKey reads "proto=6 10.65.0.5:51000 <-> 192.168.1.10:6443}" (IPv4).
func fastCTKey(line []byte, i int) (proto model.Proto, a, b netip.AddrPort, next int, ok bool) {
	if i, ok = litAt(line, i, "proto="); !ok {
		return
	}
	var n uint64
	if n, i, ok = fastUint(line, i); !ok || n > 255 || i >= len(line) || line[i] != ' ' {
		return 0, a, b, 0, false
	}
	proto = model.Proto(n)
	if a, i, ok = fastIPv4Port(line, i+1); !ok {
		return
	}
	if i, ok = litAt(line, i, " <-> "); !ok {
		return
	}
	if b, i, ok = fastIPv4Port(line, i); !ok {
		return
	}
	if i, ok = litAt(line, i, "}"); !ok {
		return
	}
	return proto, a, b, i, true
}

// fastCTFlags reads what follows "Flags:" up to the body ("Data: {",
// "REVKey"), which is where it returns: " <none> ", " np-fwd ", " 0x104 np-fwd B-A ".
func fastCTFlags(line []byte, i int, e *model.ConntrackEntry) (next int, hex, ok bool) {
	if i, ok = litAt(line, i, " "); !ok {
		return 0, false, false
	}
	if hasLitAt(line, i, "<none> ") {
		return i + len("<none> "), false, true
	}
	numeric := false
	var words model.ConntrackFlags
	for first := true; ; first = false {
		if hasLitAt(line, i, "Data: {") || hasLitAt(line, i, "REVKey") {
			break
		}
		j := i
		for j < len(line) && line[j] != ' ' && line[j] != '\t' {
			j++
		}
		if j == i || j == len(line) || line[j] != ' ' {
			return 0, false, false
		}
		tok := line[i:j]
		i = j + 1
		if first {
			if len(tok) > 2 && tok[0] == '0' && tok[1] == 'x' {
				v, ok := parseHex(tok[2:])
				if !ok || v > 1<<32-1 {
					return 0, false, false
				}
				e.Flags, numeric, hex = model.ConntrackFlags(v), true, true
				continue
			}
			if v, ok := parseUintMax(tok, 1<<32-1); ok {
				e.Flags, numeric = model.ConntrackFlags(v), true
				continue
			}
		}
		bit, ok := model.ConntrackWord(tok)
		if !ok {
			return 0, false, false // the general parser notes the word
		}
		words |= bit
	}
	if !numeric {
		e.Flags = words
	}
	return i, hex, true
}

// fastCTLeg reads "Seqno:777 SynSeen:true … Ifindex:12}" and returns the
// index after '}'.
func fastCTLeg(line []byte, i int, leg *model.Leg, modern *bool) (int, bool) {
	if i < len(line) && line[i] == '}' {
		return i + 1, true
	}
	const (
		fSeqno = iota
		fIfindex
		fBytes
		fPackets
	)
	for {
		if i >= len(line) {
			return 0, false
		}
		var flag *bool
		num := -1
		switch line[i] {
		case 'S':
			switch {
			case hasLitAt(line, i, "Seqno:"):
				i, num = i+len("Seqno:"), fSeqno
			case hasLitAt(line, i, "SynSeen:"):
				i, flag = i+len("SynSeen:"), &leg.SynSeen
			}
		case 'A':
			switch {
			case hasLitAt(line, i, "AckSeen:"):
				i, flag = i+len("AckSeen:"), &leg.AckSeen
			case hasLit2(line, i, "Approved", ":"):
				i, flag, *modern = i+len("Approved:"), &leg.Approved, true
			}
		case 'F':
			if hasLitAt(line, i, "FinSeen:") {
				i, flag = i+len("FinSeen:"), &leg.FinSeen
			}
		case 'R':
			if hasLitAt(line, i, "RstSeen:") {
				i, flag = i+len("RstSeen:"), &leg.RstSeen
			}
		case 'W':
			switch {
			case hasLit2(line, i, "Whitelis", "ted:"):
				i, flag = i+len("Whitelisted:"), &leg.Approved
			case hasLit2(line, i, "Workload", ":"):
				i, flag = i+len("Workload:"), &leg.Workload
			}
		case 'O':
			if hasLitAt(line, i, "Opener:") {
				i, flag = i+len("Opener:"), &leg.Opener
			}
		case 'I':
			if hasLitAt(line, i, "Ifindex:") {
				i, num = i+len("Ifindex:"), fIfindex
			}
		case 'B':
			if hasLitAt(line, i, "Bytes:") {
				i, num = i+len("Bytes:"), fBytes
			}
		case 'P':
			if hasLitAt(line, i, "Packets:") {
				i, num = i+len("Packets:"), fPackets
			}
		}
		if flag == nil && num < 0 {
			return 0, false
		}
		if flag != nil {
			// true and false come in no order a branch predictor could learn.
			t, f := hasLitAt(line, i, "true"), hasLitAt(line, i, "false")
			if !t && !f {
				return 0, false
			}
			*flag = t
			i += len("false") - int(b2u(t))
		} else {
			n, j, ok := fastUint(line, i)
			if !ok {
				return 0, false
			}
			i = j
			switch num {
			case fSeqno:
				if n > 1<<32-1 {
					return 0, false
				}
				leg.Seqno = uint32(n)
			case fIfindex:
				if n > 1<<31-1 {
					return 0, false
				}
				leg.IfIndex = int(n)
			case fBytes:
				leg.Bytes = n
			default:
				leg.Packets = n
			}
		}
		// After a value: '}' ends the leg, one space comes before the next
		// field. (" }" is not an end for the general parser.)
		if i >= len(line) {
			return 0, false
		}
		switch line[i] {
		case '}':
			return i + 1, true
		case ' ':
			i++
		default:
			return 0, false
		}
	}
}

// fastCTDataTail reads " OrigDst:0.0.0.0 OrigSrc:… OrigPort:0 OrigSPort:0 TunIP:0.0.0.0}}"
// after the B2A leg.
func fastCTDataTail(line []byte, i int, e *model.ConntrackEntry, modern *bool) (next int, origDst netip.Addr, origPort uint16, ok bool) {
	const (
		fOrigDst = iota
		fOrigSrc
		fTunIP
		fOrigPort
		fOrigSPort
	)
	for {
		if i < len(line) && line[i] == ' ' {
			i++
		}
		if hasLitAt(line, i, "}}") {
			return i + 2, origDst, origPort, true
		}
		var field int
		switch {
		case hasLitAt(line, i, "OrigDst:"):
			i, field = i+len("OrigDst:"), fOrigDst
		case hasLitAt(line, i, "OrigSrc:"):
			i, field, *modern = i+len("OrigSrc:"), fOrigSrc, true
		case hasLitAt(line, i, "TunIP:"):
			i, field = i+len("TunIP:"), fTunIP
		case hasLit2(line, i, "OrigPort", ":"):
			i, field = i+len("OrigPort:"), fOrigPort
		case hasLit2(line, i, "OrigSPor", "t:"):
			i, field = i+len("OrigSPort:"), fOrigSPort
		default:
			return 0, origDst, 0, false
		}
		if field <= fTunIP {
			var a netip.Addr
			if a, i, ok = fastIPv4(line, i); !ok {
				return 0, origDst, 0, false
			}
			switch field {
			case fOrigDst:
				origDst = a
			case fOrigSrc:
				if usable(a) {
					e.OrigSrc = a
				}
			default:
				if usable(a) {
					e.TunnelIP = a
				}
			}
		} else {
			var n uint64
			if n, i, ok = fastUint(line, i); !ok || n > 65535 {
				return 0, origDst, 0, false
			}
			if field == fOrigPort {
				origPort = uint16(n)
			} else {
				e.OrigSrcPort = uint16(n)
			}
		}
		if i >= len(line) || (line[i] != ' ' && line[i] != '}') {
			return 0, origDst, 0, false
		}
	}
}

// fastCTExtra reads the tail shared by raw and pretty lines,
// " Age: 1m4.1s Active ago 4.1s ESTABLISHED", allowing runs of spaces
// between fields as ctExtra does. active reports "Active ago".
func fastCTExtra(line []byte, i int, e *model.ConntrackEntry) (active, ok bool) {
	for {
		for i < len(line) && line[i] == ' ' {
			i++
		}
		if i == len(line) {
			return active, true
		}
		var v []byte
		var d time.Duration
		switch {
		case hasLitAt(line, i, "Age: "):
			if d, i, ok = parseDurationAt(line, i+len("Age: ")); !ok {
				return false, false
			}
			e.Age = model.D(d)
		case hasLit2(line, i, "Active a", "go "):
			if d, i, ok = parseDurationAt(line, i+len("Active ago ")); !ok {
				return false, false
			}
			e.ActiveAgo, active = model.D(d), true
		default:
			if v, i, ok = fastField(line, i); !ok {
				return false, false
			}
			st, ok := fastTCPState(v)
			if !ok || e.TCPState != model.TCPNone {
				return false, false
			}
			e.TCPState = st
		}
	}
}

// fastTCPState is tcpState by length, without memequal.
func fastTCPState(b []byte) (model.TCPState, bool) {
	switch {
	case len(b) == 11 && string(b[:8]) == "ESTABLIS" && string(b[8:]) == "HED":
		return model.TCPEstablished, true
	case string(b) == "SYN-SENT":
		return model.TCPSynSent, true
	case string(b) == "CLOSED":
		return model.TCPClosed, true
	case string(b) == "RESET":
		return model.TCPReset, true
	}
	return model.TCPNone, false
}

// fastConntrackPretty reads the v3.28+ line
// "TCP 10.65.0.5:51000 -> 10.96.0.1:443 -> 192.168.1.10:6443  Age: 1m4.2s Active ago 4.2s ESTABLISHED".
func fastConntrackPretty(line []byte, e *model.ConntrackEntry) bool {
	*e = model.ConntrackEntry{}
	var proto model.Proto
	i := 0
	switch {
	case hasLitAt(line, 0, "TCP "):
		proto, i = model.ProtoTCP, len("TCP ")
	case hasLitAt(line, 0, "UDP "):
		proto, i = model.ProtoUDP, len("UDP ")
	case hasLitAt(line, 0, "ICMP "):
		proto, i = model.ProtoICMP, len("ICMP ")
	default:
		return false
	}
	e.Proto = model.ProtoName(proto)
	var ok bool
	if e.Src, i, ok = fastIPv4Port(line, i); !ok {
		return false
	}
	if i, ok = litAt(line, i, " -> "); !ok {
		return false
	}
	if e.Dst, i, ok = fastIPv4Port(line, i); !ok {
		return false
	}
	if hasLitAt(line, i, " -> ") {
		var backend netip.AddrPort
		if backend, i, ok = fastIPv4Port(line, i+len(" -> ")); !ok {
			return false
		}
		e.Type = model.ConntrackNATReverse
		e.OrigDst, e.Dst = e.Dst, backend
	}
	if i < len(line) && line[i] != ' ' {
		return false
	}
	j := i
	for j < len(line) && line[j] == ' ' {
		j++
	}
	if j < len(line) && line[j] == 'e' && hasLitAt(line, j, "external client, service forwarded to/from ") {
		var a netip.Addr
		if a, i, ok = fastIPv4(line, j+len("external client, service forwarded to/from ")); !ok {
			return false
		}
		if i < len(line) && line[i] != ' ' {
			return false
		}
		e.TunnelIP = a
		for j = i; j < len(line) && line[j] == ' '; j++ {
		}
	}
	if j < len(line) && line[j] == 's' && hasLitAt(line, j, "source port changed from ") {
		var n uint64
		if n, i, ok = fastUint(line, j+len("source port changed from ")); !ok || n > 65535 {
			return false
		}
		e.OrigSrcPort = uint16(n)
	}
	if i < len(line) && line[i] != ' ' {
		return false
	}
	active, ok := fastCTExtra(line, i, e)
	return ok && active
}

// fastField returns the field at i, which must end at a space or at the end
// of the line (a tab: give up), and the index after it.
func fastField(line []byte, i int) (field []byte, next int, ok bool) {
	j := i
	for j < len(line) && line[j] != ' ' {
		if line[j] == '\t' {
			return nil, 0, false
		}
		j++
	}
	return line[i:j], j, j > i
}

// fastUint reads the decimal digits at i (as parseUint: at least one,
// no more than fit in a uint64). Runs of eight digits are read at once.
func fastUint(line []byte, i int) (n uint64, next int, ok bool) {
	b := line[i:]
	j := 0
	for j <= 8 && len(b)-j >= 8 {
		w := binary.LittleEndian.Uint64(b[j:])
		if !eightDigits(w) {
			break
		}
		n = n*1e8 + parseEightDigits(w)
		j += 8
	}
	for ; j < len(b) && j < 19; j++ {
		d := b[j] - '0'
		if d > 9 {
			return n, i + j, j > 0
		}
		n = n*10 + uint64(d)
	}
	// 19 digits cannot overflow; longer numbers take the careful way.
	for j < len(b) && '0' <= b[j] && b[j] <= '9' {
		j++
	}
	n, ok = parseUint(b[:j])
	return n, i + j, ok
}

// eightDigits reports whether the eight bytes of w (loaded little-endian)
// are all ASCII digits.
func eightDigits(w uint64) bool {
	return w&0xF0F0F0F0F0F0F0F0 == 0x3030303030303030 &&
		(w+0x0606060606060606)&0xF0F0F0F0F0F0F0F0 == 0x3030303030303030
}

// parseEightDigits returns the value of eight ASCII digits loaded
// little-endian (the first digit, the most significant, in the low byte).
func parseEightDigits(w uint64) uint64 {
	w = (w & 0x0F0F0F0F0F0F0F0F) * 2561 >> 8
	w = (w & 0x00FF00FF00FF00FF) * 6553601 >> 16
	return (w & 0x0000FFFF0000FFFF) * 42949672960001 >> 32
}

func b2u(b bool) uint {
	if b {
		return 1
	}
	return 0
}

// fastIPv4 reads a dotted quad at i, without leading zeros (as parseIPv4),
// and returns the index after it. What follows is left to the caller.
func fastIPv4(line []byte, i int) (netip.Addr, int, bool) {
	b := line[i:]
	if hasLitAt(b, 0, "0.0.0.0") && (len(b) == 7 || b[7]-'0' > 9) {
		return netip.AddrFrom4([4]byte{}), i + 7, true // Calico's "none"
	}
	var ip [4]byte
	j := 0
	for part := range 4 {
		if part > 0 {
			if j >= len(b) || b[j] != '.' {
				return netip.Addr{}, 0, false
			}
			j++
		}
		if j >= len(b) {
			return netip.Addr{}, 0, false
		}
		v := uint(b[j] - '0')
		if v > 9 {
			return netip.Addr{}, 0, false
		}
		j++
		if v != 0 { // "0" alone, or 1-9 and up to two more digits
			if j < len(b) && b[j]-'0' <= 9 {
				v = v*10 + uint(b[j]-'0')
				j++
				if j < len(b) && b[j]-'0' <= 9 {
					v = v*10 + uint(b[j]-'0')
					j++
				}
			}
		}
		if v > 255 || (j < len(b) && b[j]-'0' <= 9) {
			return netip.Addr{}, 0, false
		}
		ip[part] = byte(v)
	}
	return netip.AddrFrom4(ip), i + j, true
}

// fastIPv4Port reads "10.65.0.5:51000" at i. The port may not have more
// than five digits (the general parser takes "080" and "000080" alike).
func fastIPv4Port(line []byte, i int) (netip.AddrPort, int, bool) {
	if len(line)-i >= 32 {
		if ap, n, ok := swarIPv4Port((*[32]byte)(line[i : i+32])); ok {
			return ap, i + n, true
		}
	}
	return scalarIPv4Port(line, i)
}

// swarIPv4Port reads "a.b.c.d:port" at the start of w without a branch
// that depends on the digits: it finds the separators of all octets at
// once from a mask of the bytes that are not digits, and computes each
// octet from a 4-byte load. It returns false for anything unusual, which
// scalarIPv4Port then decides.
func swarIPv4Port(w *[32]byte) (netip.AddrPort, int, bool) {
	m := nonDigits(binary.LittleEndian.Uint64(w[0:8])) |
		nonDigits(binary.LittleEndian.Uint64(w[8:16]))<<8 |
		nonDigits(binary.LittleEndian.Uint64(w[16:24]))<<16
	s1 := bits.TrailingZeros64(m)
	m &= m - 1
	s2 := bits.TrailingZeros64(m)
	m &= m - 1
	s3 := bits.TrailingZeros64(m)
	m &= m - 1
	s4 := bits.TrailingZeros64(m)
	m &= m - 1
	s5 := bits.TrailingZeros64(m)
	l1, l2, l3, l4, lp := s1, s2-s1-1, s3-s2-1, s4-s3-1, s5-s4-1
	if uint(l1-1) > 2 || uint(l2-1) > 2 || uint(l3-1) > 2 || uint(l4-1) > 2 || uint(lp-1) > 4 {
		return netip.AddrPort{}, 0, false
	}
	if w[s1&31] != '.' || w[s2&31] != '.' || w[s3&31] != '.' || w[s4&31] != ':' {
		return netip.AddrPort{}, 0, false
	}
	o1, ok1 := swarOctet(w, 0, l1)
	o2, ok2 := swarOctet(w, s1+1, l2)
	o3, ok3 := swarOctet(w, s2+1, l3)
	o4, ok4 := swarOctet(w, s3+1, l4)
	// The port: its digits moved to the top bytes, then combined pairwise.
	x := binary.LittleEndian.Uint64(w[(s4+1)&31:]) - 0x3030303030303030
	x <<= uint(8-lp) * 8
	x = (x & 0x0F0F0F0F0F0F0F0F) * 2561 >> 8
	x = (x & 0x00FF00FF00FF00FF) * 6553601 >> 16
	port := (x & 0x0000FFFF0000FFFF) * 42949672960001 >> 32
	if !(ok1 && ok2 && ok3 && ok4) || port > 65535 {
		return netip.AddrPort{}, 0, false
	}
	return netip.AddrPortFrom(netip.AddrFrom4([4]byte{o1, o2, o3, o4}), uint16(port)), s5, true
}

// nonDigits returns a byte with bit k set when byte k of w is not an ASCII digit.
func nonDigits(w uint64) uint64 {
	x := w ^ 0x3030303030303030
	hi := ((x & 0x7F7F7F7F7F7F7F7F) + 0x7676767676767676 | x) & 0x8080808080808080
	return (hi >> 7) * 0x0102040810204080 >> 56
}

// swarOctet reads the n (1-3) digits at w[at:], without a leading zero, up to 255.
func swarOctet(w *[32]byte, at, n int) (byte, bool) {
	x := binary.LittleEndian.Uint32(w[at&31:]) - 0x30303030
	lead := x & 0xFF
	x <<= uint(3-n) * 8
	v := (x&0xFF)*100 + (x>>8&0xFF)*10 + x>>16&0xFF
	return byte(v), v <= 255 && (n == 1 || lead != 0)
}

// scalarIPv4Port is fastIPv4Port a byte at a time.
func scalarIPv4Port(line []byte, i int) (netip.AddrPort, int, bool) {
	a, i, ok := fastIPv4(line, i)
	if !ok || i >= len(line) || line[i] != ':' {
		return netip.AddrPort{}, 0, false
	}
	b := line[i+1:]
	j := 0
	var p uint
	for ; j < len(b) && j < 6; j++ {
		d := b[j] - '0'
		if d > 9 {
			break
		}
		p = p*10 + uint(d)
	}
	if j == 0 || j > 5 || p > 65535 {
		return netip.AddrPort{}, 0, false
	}
	return netip.AddrPortFrom(a, uint16(p)), i + 1 + j, true
}

// hasLitAt reports whether line has lit at i. For a literal of up to 8
// bytes the comparison compiles to a load or two and compares; for longer
// ones the compiler calls memequal, so the hot paths split them (hasLit2,
// hasLit3).
func hasLitAt(line []byte, i int, lit string) bool {
	return i <= len(line) && len(line)-i >= len(lit) && string(line[i:i+len(lit)]) == lit
}

// hasLit2 reports whether line has a+b at i.
func hasLit2(line []byte, i int, a, b string) bool {
	return hasLitAt(line, i, a) && hasLitAt(line, i+len(a), b)
}

// hasLit3 reports whether line has a+b+c at i.
func hasLit3(line []byte, i int, a, b, c string) bool {
	return hasLitAt(line, i, a) && hasLitAt(line, i+len(a), b) && hasLitAt(line, i+len(a)+len(b), c)
}

// litAt matches lit at i and returns the index after it.
func litAt(line []byte, i int, lit string) (int, bool) {
	if !hasLitAt(line, i, lit) {
		return 0, false
	}
	return i + len(lit), true
}

// litAt2 matches a+b at i and returns the index after it.
func litAt2(line []byte, i int, a, b string) (int, bool) {
	if !hasLit2(line, i, a, b) {
		return 0, false
	}
	return i + len(a) + len(b), true
}
