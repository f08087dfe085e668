package parse

import (
	"bytes"
	"io"
	"net/netip"
	"time"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/model"
)

// NATAffinity decodes `calico-bpf nat aff` (v3.23+; JSON v3.31.7/v3.32.1+).
//
// Text forms:
//
//	AffinityKey{ClientIP:10.65.0.5 FrontEndAffinityKey{Proto:6 Addr:10.96.45.12 Port:80}} AffinityValue{Timestamp:2256284094688,Backend:NATBackendValue{Addr:10.65.1.30 Port:8080}}
//	client 10.65.0.5 svc proto 6 10.96.45.12:80 -> 10.65.1.30:8080 ts 32m0.692271938s
//
// v3.23 prints the first form with no newline between entries, so one line
// may hold many entries. The key may also print the frontend as raw bytes
// ("[10 96 45 12 80 0 6 0]").
func NATAffinity(r io.Reader, opts Options, fn func(model.NATAffinity) error) (Report, error) {
	s := newSession(KindNATAffinity, r, opts)
	return s.finish(s.run(jsonRows(s, fn), func() error { return natAffText(s, fn) }))
}

func natAffText(s *session, fn func(model.NATAffinity) error) error {
	for {
		line, num, ok, err := s.next()
		if err != nil || !ok {
			return err
		}
		var a model.NATAffinity
		switch {
		case parseNATAffNew(line, &a):
			if err := emit(s, fn, a); err != nil {
				return err
			}
		case bytes.HasPrefix(line, []byte("AffinityKey{")):
			if err := natAffOld(s, fn, line, num); err != nil {
				return err
			}
		default:
			if err := s.other(line, num); err != nil {
				return err
			}
		}
	}
}

// natAffOld reads every "AffinityKey{…} AffinityValue{…}" pair on the line.
func natAffOld(s *session, fn func(model.NATAffinity) error, line []byte, num int) error {
	marker := []byte("AffinityKey{ClientIP:") // not FrontEndAffinityKey{
	for len(line) > 0 {
		chunk := line
		line = nil
		if len(chunk) > len(marker) {
			if next := bytes.Index(chunk[len(marker):], marker); next >= 0 {
				chunk, line = chunk[:len(marker)+next], chunk[len(marker)+next:]
			}
		}
		var a model.NATAffinity
		if !parseNATAffOld(chunk, &a) {
			s.warn(num, chunk, "not understood")
			continue
		}
		if err := emit(s, fn, a); err != nil {
			return err
		}
	}
	return nil
}

// parseNATAffOld reads one "AffinityKey{…} AffinityValue{…}" pair.
func parseNATAffOld(b []byte, a *model.NATAffinity) bool {
	key, value, ok := bytes.Cut(b, []byte("AffinityValue{"))
	if !ok {
		return false
	}
	*a = model.NATAffinity{}
	client, ok := structField(key, "ClientIP:")
	if !ok {
		return false
	}
	if a.ClientIP, ok = parseAddr(client); !ok {
		return false
	}
	if fe, found := bytes.CutPrefix(bytes.TrimSpace(key[bytes.Index(key, client)+len(client):]), []byte("[")); found {
		if !frontendKeyBytes(fe, a) {
			return false
		}
	} else {
		proto, ok1 := structField(key, "Proto:")
		addr, ok2 := structField(key, "Addr:")
		port, ok3 := structField(key, "Port:")
		if !ok1 || !ok2 || !ok3 {
			return false
		}
		if !setProtoAddrPort(proto, addr, port, &a.Proto, &a.Addr, &a.Port) {
			return false
		}
	}
	ts, ok := structField(value, "Timestamp:")
	if !ok {
		return false
	}
	n, ok := parseUintMax(ts, 1<<63-1)
	if !ok {
		return false
	}
	a.Timestamp = model.D(time.Duration(n))
	addr, ok1 := structField(value, "Addr:")
	port, ok2 := structField(value, "Port:")
	if !ok1 || !ok2 {
		return false
	}
	var unused model.Proto
	return setProtoAddrPort([]byte("0"), addr, port, &unused, &a.Backend.Addr, &a.Backend.Port)
}

// frontendKeyBytes reads the frontend key printed as bytes: addr(4) port(2,
// little endian) proto(1) pad(1), e.g. "10 96 45 12 80 0 6 0]".
func frontendKeyBytes(b []byte, a *model.NATAffinity) bool {
	b, _, _ = bytes.Cut(b, []byte("]"))
	var v [8]byte
	i := 0
	for f := range bytes.FieldsSeq(b) {
		if i == len(v) {
			return false
		}
		n, ok := parseUintMax(f, 255)
		if !ok {
			return false
		}
		v[i] = byte(n)
		i++
	}
	if i != len(v) {
		return false
	}
	a.Addr = netip.AddrFrom4([4]byte(v[:4]))
	a.Port = uint16(v[4]) | uint16(v[5])<<8
	a.Proto = model.Proto(v[6])
	return true
}

// structField finds "Name:" in Go's %v/%+v of a struct and returns the value
// up to the next space, comma or closing brace.
func structField(b []byte, name string) ([]byte, bool) {
	i := bytes.Index(b, []byte(name))
	if i < 0 {
		return nil, false
	}
	v := b[i+len(name):]
	end := bytes.IndexAny(v, " ,}]")
	if end >= 0 {
		v = v[:end]
	}
	return v, len(v) > 0
}

func setProtoAddrPort(protoB, addrB, portB []byte, proto *model.Proto, addr *netip.Addr, port *uint16) bool {
	pr, ok1 := parseUintMax(protoB, 255)
	a, ok2 := parseAddr(addrB)
	p, ok3 := parseUintMax(portB, 65535)
	if !ok1 || !ok2 || !ok3 {
		return false
	}
	*proto, *addr, *port = model.Proto(pr), a, uint16(p)
	return true
}

// parseNATAffNew reads "client 10.65.0.5 svc proto 6 10.96.45.12:80 -> 10.65.1.30:8080 ts 32m0.692271938s".
func parseNATAffNew(line []byte, a *model.NATAffinity) bool {
	var f [10][]byte
	rest := line
	for i := range f {
		f[i], rest = nextField(rest)
	}
	if len(trimSpace(rest)) > 0 || string(f[0]) != "client" || string(f[2]) != "svc" || string(f[3]) != "proto" ||
		string(f[6]) != "->" || string(f[8]) != "ts" {
		return false
	}
	*a = model.NATAffinity{}
	var ok bool
	if a.ClientIP, ok = parseAddr(f[1]); !ok {
		return false
	}
	pr, ok := parseUintMax(f[4], 255)
	if !ok {
		return false
	}
	a.Proto = model.Proto(pr)
	svc, ok1 := parseAddrPort(f[5])
	be, ok2 := parseAddrPort(f[7])
	ts, ok3 := parseDuration(f[9])
	if !ok1 || !ok2 || !ok3 {
		return false
	}
	a.Addr, a.Port = svc.Addr(), svc.Port()
	a.Backend = model.NATAffBackend{Addr: be.Addr(), Port: be.Port()}
	a.Timestamp = model.D(ts)
	return true
}
