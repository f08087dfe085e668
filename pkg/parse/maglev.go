package parse

import (
	"io"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/model"
)

// Maglev decodes `calico-bpf nat maglev` (v3.32.1+): "svc 6 ordinal 0 -> 10.65.1.60:8080".
func Maglev(r io.Reader, opts Options, fn func(model.MaglevEntry) error) (Report, error) {
	s := newSession(KindMaglev, r, opts)
	return s.finish(s.run(jsonRows(s, fn), func() error { return eachLine(s, fn, parseMaglevLine) }))
}

func parseMaglevLine(line []byte, m *model.MaglevEntry) bool {
	var f [6][]byte
	rest := line
	for i := range f {
		f[i], rest = nextField(rest)
	}
	if len(trimSpace(rest)) > 0 || string(f[0]) != "svc" || string(f[2]) != "ordinal" || string(f[4]) != "->" {
		return false
	}
	id, ok1 := parseUintMax(f[1], 1<<32-1)
	ord, ok2 := parseUintMax(f[3], 1<<32-1)
	ap, ok3 := parseAddrPort(f[5])
	if !ok1 || !ok2 || !ok3 {
		return false
	}
	*m = model.MaglevEntry{SvcID: uint32(id), Ordinal: uint32(ord), Addr: ap.Addr(), Port: ap.Port()}
	return true
}
