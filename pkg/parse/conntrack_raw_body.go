package parse

import (
	"bytes"
	"net/netip"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/model"
)

// The body of a raw entry after its flags: "REVKey…" for NAT forward
// entries, "Data: {…}" with the two legs for the others.

// ctRevKey reads "REVKey: ConntrackKey{…} NATSPort: 0}" (v3.21+) or
// "REVKey : ConntrackKey{…}}" (before).
func ctRevKey(b []byte, e *model.ConntrackEntry) ([]byte, bool) {
	b = b[len("REVKey"):]
	b = skipSpaces(b)
	b, ok := cutPrefix(b, ":")
	if !ok {
		return b, false
	}
	b, ok = cutPrefix(skipSpaces(b), "ConntrackKey{")
	if !ok {
		return b, false
	}
	var k ctKey
	if b, ok = k.parse(b); !ok {
		return b, false
	}
	e.RevProto = model.ProtoName(k.proto)
	e.RevAddrA, e.RevPortA, e.RevAddrB, e.RevPortB = k.a.Addr(), k.a.Port(), k.b.Addr(), k.b.Port()
	if rest, ok := cutPrefix(b, " NATSPort:"); ok {
		rest = skipSpaces(rest)
		end := bytes.IndexByte(rest, '}')
		if end < 0 {
			return b, false
		}
		n, ok := parseUintMax(rest[:end], 65535)
		if !ok {
			return b, false
		}
		e.NATSPort = uint16(n)
		b = rest[end:]
	}
	return cutPrefix(b, "}")
}

// ctData is the part of "Data: {…}" that needs the key to interpret.
type ctData struct {
	origDst  netip.Addr
	origPort uint16
	// modern is set for v3.24+ layouts (OrigSrc or Approved present), which
	// carry the B-A flag.
	modern bool
	note   string
}

// parse reads "{A2B:{…} B2A:{…} OrigDst:… OrigSrc:… OrigPort:… OrigSPort:… TunIP:…}}".
func (d *ctData) parse(b []byte, e *model.ConntrackEntry) ([]byte, string, bool) {
	b, ok := cutPrefix(b, "{A2B:{")
	if !ok {
		return b, "", false
	}
	if b, ok = ctLeg(b, &e.A2B, d); !ok {
		return b, "", false
	}
	if b, ok = cutPrefix(b, " B2A:{"); !ok {
		return b, "", false
	}
	if b, ok = ctLeg(b, &e.B2A, d); !ok {
		return b, "", false
	}
	for {
		b = skipSpaces(b)
		if rest, ok := cutPrefix(b, "}}"); ok {
			return rest, d.note, true
		}
		colon := bytes.IndexByte(b, ':')
		if colon <= 0 {
			return b, "", false
		}
		name := b[:colon]
		b = b[colon+1:]
		end := bytes.IndexAny(b, " }")
		if end < 0 {
			return b, "", false
		}
		value := b[:end]
		b = b[end:]
		switch string(name) {
		case "OrigDst":
			if d.origDst, ok = parseAddr(value); !ok {
				return b, "", false
			}
		case "OrigSrc":
			d.modern = true
			a, ok := parseAddr(value)
			if !ok {
				return b, "", false
			}
			if usable(a) {
				e.OrigSrc = a
			}
		case "TunIP":
			a, ok := parseAddr(value)
			if !ok {
				return b, "", false
			}
			if usable(a) {
				e.TunnelIP = a
			}
		case "OrigPort", "OrigSPort":
			n, ok := parseUintMax(value, 65535)
			if !ok {
				return b, "", false
			}
			if string(name) == "OrigPort" {
				d.origPort = uint16(n)
			} else {
				e.OrigSrcPort = uint16(n)
			}
		default:
			if d.note == "" {
				d.note = "unknown conntrack field " + string(name)
			}
		}
	}
}

// ctLeg reads "Bytes:60 Packets:1 Seqno:777 SynSeen:true … Ifindex:12}".
func ctLeg(b []byte, leg *model.Leg, d *ctData) ([]byte, bool) {
	for {
		if len(b) == 0 {
			return b, false
		}
		if b[0] == '}' {
			return b[1:], true
		}
		b = skipSpaces(b)
		colon := bytes.IndexByte(b, ':')
		if colon <= 0 {
			return b, false
		}
		name := b[:colon]
		b = b[colon+1:]
		end := bytes.IndexAny(b, " }")
		if end < 0 {
			return b, false
		}
		value := b[:end]
		b = b[end:]
		if !setLegField(leg, name, value, d) {
			return b, false
		}
	}
}

func setLegField(leg *model.Leg, name, value []byte, d *ctData) bool {
	var flag *bool
	switch string(name) {
	case "Bytes", "Packets", "Seqno", "Ifindex":
		n, ok := parseUint(value)
		if !ok {
			return false
		}
		switch string(name) {
		case "Bytes":
			leg.Bytes = n
		case "Packets":
			leg.Packets = n
		case "Seqno":
			if n > 1<<32-1 {
				return false
			}
			leg.Seqno = uint32(n)
		default:
			if n > 1<<31-1 {
				return false
			}
			leg.IfIndex = int(n)
		}
		return true
	case "SynSeen":
		flag = &leg.SynSeen
	case "AckSeen":
		flag = &leg.AckSeen
	case "FinSeen":
		flag = &leg.FinSeen
	case "RstSeen":
		flag = &leg.RstSeen
	case "Approved":
		flag, d.modern = &leg.Approved, true
	case "Whitelisted":
		flag = &leg.Approved
	case "Opener":
		flag = &leg.Opener
	case "Workload":
		flag = &leg.Workload
	default:
		if d.note == "" {
			d.note = "unknown conntrack leg field " + string(name)
		}
		return true
	}
	v, ok := parseBool(value)
	if !ok {
		return false
	}
	*flag = v
	return true
}
