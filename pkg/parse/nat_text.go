package parse

import (
	"bytes"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/model"
)

// parseNATFrontend reads
//
//	10.96.88.8 port 9000 proto 6 id 5 count 2 local 1 flags internal-local, nat-exclude src 203.0.113.0/24
//
// "local" is absent before v3.15, "flags" before v3.22 (with a stray leading
// ", " in v3.22–v3.26.4), "src" before v3.31.5.
func parseNATFrontend(line []byte, fe *model.NATFrontend) bool {
	addrB, rest := nextField(line)
	v, rest, ok := keyNumber(rest, "port") // cheap test first: backend lines fail here
	if !ok {
		return false
	}
	addr, ok := parseAddr(addrB)
	if !ok {
		return false
	}
	*fe = model.NATFrontend{Addr: addr}
	n, ok := parseUintMax(v, 65535)
	if !ok {
		return false
	}
	fe.Port = uint16(n)
	if v, rest, ok = keyNumber(rest, "proto"); !ok {
		return false
	}
	if n, ok = parseUintMax(v, 255); !ok {
		return false
	}
	fe.Proto = model.Proto(n)
	if v, rest, ok = keyNumber(rest, "id"); !ok {
		return false
	}
	if n, ok = parseUintMax(v, 1<<32-1); !ok {
		return false
	}
	fe.ID = uint32(n)
	if v, rest, ok = keyNumber(rest, "count"); !ok {
		return false
	}
	count, ok := parseInt(v)
	if !ok || count < -1 || count > 1<<32-1 {
		return false
	}
	if count == 1<<32-1 { // nat.BlackHoleCount printed as uint32 before v3.27
		count = model.BlackholeCount
	}
	fe.Count = count
	for {
		var key []byte
		key, rest = nextField(rest)
		switch string(key) {
		case "":
			return true
		case "local":
			v, rest = nextField(rest)
			if n, ok = parseUintMax(v, 1<<32-1); !ok {
				return false
			}
			fe.Local = uint32(n)
		case "flags":
			rest = natFlags(rest, fe)
		case "src":
			v, rest = nextField(rest)
			p, ok := parsePrefix(v)
			if !ok {
				return false
			}
			fe.SrcCIDR = p
		default:
			return false
		}
	}
}

// natFlags reads flag words up to " src " or the end of the line.
func natFlags(rest []byte, fe *model.NATFrontend) []byte {
	for {
		w, after := nextField(rest)
		if len(w) == 0 || string(w) == "src" {
			return rest
		}
		rest = after
		for _, part := range bytes.Split(w, []byte(",")) {
			if len(part) == 0 {
				continue
			}
			bit, ok := model.NATWord(part)
			if !ok {
				fe.ExtraFlags = append(fe.ExtraFlags, string(part))
				continue
			}
			fe.Flags |= bit
		}
	}
}

// keyNumber expects "KEY VALUE" as the next two fields.
func keyNumber(b []byte, key string) (value, rest []byte, ok bool) {
	k, rest := nextField(b)
	if string(k) != key {
		return nil, b, false
	}
	value, rest = nextField(rest)
	return value, rest, len(value) > 0
}

// parseNATBackend reads "\t5:0\t 10.65.0.50:9000", "5:1 is missing",
// "101:0 [fd00:10:65::20]:53" and v3.27.0's "3:0 10.65.0.30 : 8080".
func parseNATBackend(line []byte, be *model.NATBackend) bool {
	key, rest := nextField(line)
	idB, ordB, found := bytes.Cut(key, []byte(":"))
	if !found {
		return false
	}
	id, ok := parseUintMax(idB, 1<<32-1)
	if !ok {
		return false
	}
	ord, ok := parseUintMax(ordB, 1<<32-1)
	if !ok {
		return false
	}
	*be = model.NATBackend{ID: uint32(id), Ordinal: uint32(ord)}
	rest = trimSpace(rest)
	if string(rest) == "is missing" {
		be.Missing = true
		return true
	}
	if host, port, ok := bytes.Cut(rest, []byte(" : ")); ok { // v3.27.0
		a, ok1 := parseAddr(trimSpace(host))
		p, ok2 := parseUintMax(trimSpace(port), 65535)
		if !ok1 || !ok2 {
			return false
		}
		be.Addr, be.Port = a, uint16(p)
		return true
	}
	ap, ok := parseAddrPort(rest)
	if !ok {
		return false
	}
	be.Addr, be.Port = ap.Addr(), ap.Port()
	return true
}
