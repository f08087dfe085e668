package model

import "net/netip"

// AppendJSON appends the entry as encoding/json encodes it (see jsonappend.go): the fields in
// declaration order, omitzero fields left out when zero. TestConntrackAppendJSON compares the
// two on fixtures and on entries with every field set at random.
func (e ConntrackEntry) AppendJSON(dst []byte) []byte {
	dst = append(dst, '{')
	dst = jsonWord(dst, "type", e.Type.String())
	dst = jsonWord(dst, "proto", e.Proto.String())
	if e.Src != (netip.AddrPort{}) {
		dst = jsonAddrPort(dst, "src", e.Src)
	}
	if e.Dst != (netip.AddrPort{}) {
		dst = jsonAddrPort(dst, "dst", e.Dst)
	}
	if e.OrigDst != (netip.AddrPort{}) {
		dst = jsonAddrPort(dst, "orig_dst", e.OrigDst)
	}
	if e.TunnelIP != (netip.Addr{}) {
		dst = jsonAddr(dst, "tunnel_ip", e.TunnelIP)
	}
	if e.OrigSrcPort != 0 {
		dst = jsonUint(dst, "orig_src_port", uint64(e.OrigSrcPort))
	}
	dst = e.Flags.appendJSON(AppendJSONKey(dst, "flags"))
	dst = jsonWord(dst, "active_ago", e.ActiveAgo.Duration.String())
	if e.TCPState != TCPNone {
		dst = jsonWord(dst, "tcp_state", e.TCPState.String())
	}
	if e.AddrA != (netip.Addr{}) {
		dst = jsonAddr(dst, "addr_a", e.AddrA)
	}
	if e.PortA != 0 {
		dst = jsonUint(dst, "port_a", uint64(e.PortA))
	}
	if e.AddrB != (netip.Addr{}) {
		dst = jsonAddr(dst, "addr_b", e.AddrB)
	}
	if e.PortB != 0 {
		dst = jsonUint(dst, "port_b", uint64(e.PortB))
	}
	if e.RevProto != 0 {
		dst = jsonWord(dst, "rev_proto", e.RevProto.String())
	}
	if e.RevAddrA != (netip.Addr{}) {
		dst = jsonAddr(dst, "rev_addr_a", e.RevAddrA)
	}
	if e.RevPortA != 0 {
		dst = jsonUint(dst, "rev_port_a", uint64(e.RevPortA))
	}
	if e.RevAddrB != (netip.Addr{}) {
		dst = jsonAddr(dst, "rev_addr_b", e.RevAddrB)
	}
	if e.RevPortB != 0 {
		dst = jsonUint(dst, "rev_port_b", uint64(e.RevPortB))
	}
	if e.NATSPort != 0 {
		dst = jsonUint(dst, "nat_sport", uint64(e.NATSPort))
	}
	if !e.Age.IsZero() {
		dst = jsonWord(dst, "age", e.Age.Duration.String())
	}
	if e.Created != 0 {
		dst = jsonUint(dst, "created", e.Created)
	}
	if e.LastSeen != 0 {
		dst = jsonUint(dst, "last_seen", e.LastSeen)
	}
	if e.OrigSrc != (netip.Addr{}) {
		dst = jsonAddr(dst, "orig_src", e.OrigSrc)
	}
	if e.A2B != (Leg{}) {
		dst = e.A2B.appendJSON(AppendJSONKey(dst, "a2b"))
	}
	if e.B2A != (Leg{}) {
		dst = e.B2A.appendJSON(AppendJSONKey(dst, "b2a"))
	}
	return append(dst, '}')
}

func (l Leg) appendJSON(dst []byte) []byte {
	dst = append(dst, '{')
	if l.Bytes != 0 {
		dst = jsonUint(dst, "bytes", l.Bytes)
	}
	if l.Packets != 0 {
		dst = jsonUint(dst, "packets", l.Packets)
	}
	dst = jsonUint(dst, "seqno", uint64(l.Seqno))
	dst = jsonBool(dst, "syn_seen", l.SynSeen)
	dst = jsonBool(dst, "ack_seen", l.AckSeen)
	dst = jsonBool(dst, "fin_seen", l.FinSeen)
	dst = jsonBool(dst, "rst_seen", l.RstSeen)
	dst = jsonBool(dst, "approved", l.Approved)
	dst = jsonBool(dst, "opener", l.Opener)
	dst = jsonBool(dst, "workload", l.Workload)
	dst = jsonInt(dst, "ifindex", int64(l.IfIndex))
	return append(dst, '}')
}

// appendJSON is MarshalJSON without the intermediate slice: null, or the words array.
func (c ConntrackFlags) appendJSON(dst []byte) []byte {
	if c == 0 {
		return append(dst, "null"...)
	}
	dst = append(dst, '[')
	var known ConntrackFlags
	first := true
	for _, fw := range conntrackWords {
		known |= fw.bit
		if c&fw.bit != 0 {
			if !first {
				dst = append(dst, ',')
			}
			first = false
			dst = AppendJSONString(dst, fw.word)
		}
	}
	if rest := c &^ known; rest != 0 {
		if !first {
			dst = append(dst, ',')
		}
		dst = AppendJSONString(dst, "0x"+utoa16(uint64(rest)))
	}
	return append(dst, ']')
}
