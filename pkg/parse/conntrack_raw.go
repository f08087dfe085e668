package parse

import (
	"bytes"
	"net/netip"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/model"
)

// parseConntrackRaw reads one raw line into e. note reports something odd
// that did not stop the line from being understood (an unknown field or
// flag word from a newer Calico).
func parseConntrackRaw(line []byte, e *model.ConntrackEntry) (ok bool, note string) {
	*e = model.ConntrackEntry{}
	b, ok := cutPrefix(line, "ConntrackKey{")
	if !ok {
		return false, ""
	}
	var k ctKey
	if b, ok = k.parse(b); !ok {
		return false, ""
	}
	e.Proto = model.ProtoName(k.proto)
	e.AddrA, e.PortA, e.AddrB, e.PortB = k.a.Addr(), k.a.Port(), k.b.Addr(), k.b.Port()
	if b, ok = cutPrefix(b, " -> Entry{"); !ok {
		return false, ""
	}
	if b, note, ok = ctHeader(b, e); !ok {
		return false, ""
	}
	var flagNote string
	var hexFlags bool
	if b, flagNote, hexFlags, ok = ctFlags(b, e); !ok {
		return false, ""
	}
	if note == "" {
		note = flagNote
	}
	b = skipSpaces(b)
	var origDst netip.Addr
	var origPort uint16
	switch {
	case bytes.HasPrefix(b, []byte("Data: {")):
		var d ctData
		var dataNote string
		if b, dataNote, ok = d.parse(b[len("Data: "):], e); !ok {
			return false, ""
		}
		if note == "" {
			note = dataNote
		}
		origDst, origPort = d.origDst, d.origPort
		hexFlags = hexFlags || d.modern
	case bytes.HasPrefix(b, []byte("REVKey")):
		if b, ok = ctRevKey(b, e); !ok {
			return false, ""
		}
	case bytes.HasPrefix(b, []byte("TYPE INVALID}")):
		b = b[len("TYPE INVALID}"):]
	default:
		return false, ""
	}
	if !ctExtra(b, e) {
		return false, ""
	}
	deriveDirection(e, hexFlags, origDst, origPort)
	return true, note
}

// ctKey is "proto=6 10.65.0.5:51000 <-> 192.168.1.10:6443}".
type ctKey struct {
	proto model.Proto
	a, b  netip.AddrPort
}

func (k *ctKey) parse(b []byte) ([]byte, bool) {
	b, ok := cutPrefix(b, "proto=")
	if !ok {
		return b, false
	}
	sp := bytes.IndexByte(b, ' ')
	if sp < 0 {
		return b, false
	}
	p, ok := parseUintMax(b[:sp], 255)
	if !ok {
		return b, false
	}
	k.proto = model.Proto(p)
	b = b[sp+1:]
	sep := bytes.Index(b, []byte(" <-> "))
	if sep < 0 {
		return b, false
	}
	if k.a, ok = parseAddrPort(b[:sep]); !ok {
		return b, false
	}
	b = b[sep+len(" <-> "):]
	end := bytes.IndexByte(b, '}')
	if end < 0 {
		return b, false
	}
	if k.b, ok = parseAddrPort(b[:end]); !ok {
		return b, false
	}
	return b[end+1:], true
}

// ctHeader reads "Type:2, Created:2774789894499, LastSeen:2834789894499, "
// up to "Flags:". Created is missing from v3.30.
func ctHeader(b []byte, e *model.ConntrackEntry) ([]byte, string, bool) {
	note := ""
	for !bytes.HasPrefix(b, []byte("Flags:")) {
		colon := bytes.IndexByte(b, ':')
		comma := bytes.IndexByte(b, ',')
		if colon <= 0 || comma < colon {
			return b, "", false
		}
		name, value := b[:colon], b[colon+1:comma]
		n, ok := parseUint(value)
		if !ok {
			return b, "", false
		}
		switch string(name) {
		case "Type":
			if n > 255 {
				return b, "", false
			}
			e.Type = model.ConntrackType(n)
		case "Created":
			e.Created = n
		case "LastSeen":
			e.LastSeen = n
		default:
			note = "unknown conntrack field " + string(name)
		}
		b = skipSpaces(b[comma+1:])
	}
	return b[len("Flags:"):], note, true
}

// ctFlags reads the flags after "Flags:": " <none>", " np-fwd" (v3.13–v3.22
// words), " 0x104 np-fwd B-A" (v3.23+), or a bare decimal ("Flags:16").
// The value decides; words count only when no number was printed.
//
// hex reports the v3.23+ "0x…" form.
func ctFlags(b []byte, e *model.ConntrackEntry) (rest []byte, note string, hex bool, ok bool) {
	b = skipSpaces(b)
	if rest, ok := cutPrefix(b, "<none>"); ok {
		return rest, "", false, true
	}
	numeric := false
	var words model.ConntrackFlags
	first := true
	for {
		tok, rest := nextField(b)
		if len(tok) == 0 || isCTBodyStart(b) {
			break
		}
		b = rest
		if first {
			first = false
			if digits, ok := cutPrefix(tok, "0x"); ok {
				v, ok := parseHex(digits)
				if !ok || v > 1<<32-1 {
					return b, "", false, false
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
		if !ok && note == "" {
			note = "unknown conntrack flag " + string(tok)
		}
		words |= bit
	}
	if !numeric {
		e.Flags = words
	}
	return b, note, hex, true
}

// isCTBodyStart reports that the flags are over.
func isCTBodyStart(b []byte) bool {
	b = skipSpaces(b)
	return bytes.HasPrefix(b, []byte("Data: {")) || bytes.HasPrefix(b, []byte("REVKey")) || bytes.HasPrefix(b, []byte("TYPE INVALID"))
}
