package parse

import (
	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/model"
)

// parseConntrackPretty reads the v3.28+ default line:
//
//	TCP 10.65.0.5:51000 -> 10.96.0.1:443 -> 192.168.1.10:6443  Age: 1m4.2s Active ago 4.2s ESTABLISHED
//	TCP 203.0.113.50:40000 -> 192.168.1.11:30080 -> 10.65.2.9:8080 external client, service forwarded to/from 192.168.1.12  Active ago 7.4s ESTABLISHED
//	TCP 192.168.1.11:20123 -> 10.96.12.34:443 -> 10.65.1.8:8443 source port changed from 36000  Active ago 9.4s ESTABLISHED
//
// Three addresses make a NAT reverse entry (client -> service -> backend);
// NAT forward entries are not printed in this form. IPv6 endpoints are not
// bracketed: the port is after the last colon.
func parseConntrackPretty(line []byte, e *model.ConntrackEntry) bool {
	*e = model.ConntrackEntry{}
	protoB, b := nextField(line)
	proto, ok := prettyProto(protoB)
	if !ok {
		return false
	}
	e.Proto = model.ProtoName(proto)
	src, b := nextField(b)
	arrow, b := nextField(b)
	dst, b := nextField(b)
	if string(arrow) != "->" {
		return false
	}
	if e.Src, ok = parseAddrPort(src); !ok {
		return false
	}
	if e.Dst, ok = parseAddrPort(dst); !ok {
		return false
	}
	if tok, rest := nextField(b); string(tok) == "->" {
		backend, rest := nextField(rest)
		ap, ok := parseAddrPort(backend)
		if !ok {
			return false
		}
		e.Type = model.ConntrackNATReverse
		e.OrigDst, e.Dst = e.Dst, ap
		b = rest
	}
	// "external client, service forwarded to/from IP"
	if rest, ok := cutPrefix(skipSpaces(b), "external client, service forwarded to/from "); ok {
		ipB, rest := nextField(rest)
		a, ok := parseAddr(ipB)
		if !ok {
			return false
		}
		e.TunnelIP = a
		b = rest
	}
	// "source port changed from N"
	if rest, ok := cutPrefix(skipSpaces(b), "source port changed from "); ok {
		v, rest := nextField(rest)
		n, ok := parseUintMax(v, 65535)
		if !ok {
			return false
		}
		e.OrigSrcPort = uint16(n)
		b = rest
	}
	if !ctExtra(b, e) {
		return false
	}
	// "Active ago" is always printed; without it this was some other line.
	return e.ActiveAgo.Duration != 0 || containsActiveAgo(b)
}

func containsActiveAgo(b []byte) bool {
	for {
		tok, rest := nextField(b)
		if len(tok) == 0 {
			return false
		}
		if string(tok) == "Active" {
			return true
		}
		b = rest
	}
}

// prettyProto reads Calico's protocol word: TCP, UDP, ICMP, ICMP6, UNKNOWN
// (≤v3.32) or Proto-N (newer).
func prettyProto(b []byte) (model.Proto, bool) {
	switch string(b) {
	case "TCP":
		return model.ProtoTCP, true
	case "UDP":
		return model.ProtoUDP, true
	case "ICMP":
		return model.ProtoICMP, true
	case "ICMP6":
		return model.ProtoICMPv6, true
	case "UNKNOWN":
		return model.ProtoUnknown, true
	}
	if n, ok := cutPrefix(b, "Proto-"); ok {
		v, ok := parseUintMax(n, 255)
		return model.Proto(v), ok
	}
	return 0, false
}
