package parse

import (
	"bytes"
	"io"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/model"
)

// ARP decodes `calico-bpf arp dump` (v3.17.1+; JSON v3.31.5+):
//
//	dev    2:    192.168.1.12 : 52:54:00:aa:bb:01 -> 52:54:00:aa:bb:02
func ARP(r io.Reader, opts Options, fn func(model.ARPEntry) error) (Report, error) {
	s := newSession(KindARP, r, opts)
	return s.finish(s.run(jsonRows(s, fn), func() error { return eachLine(s, fn, parseARPLine) }))
}

func parseARPLine(line []byte, a *model.ARPEntry) bool {
	var f [7][]byte
	rest := line
	for i := range f {
		f[i], rest = nextField(rest)
	}
	if len(trimSpace(rest)) > 0 || string(f[0]) != "dev" || string(f[3]) != ":" || string(f[5]) != "->" {
		return false
	}
	idx, ok := bytes.CutSuffix(f[1], []byte(":"))
	if !ok {
		return false
	}
	n, ok := parseUintMax(idx, 1<<31-1)
	if !ok {
		return false
	}
	ip, ok := parseAddr(f[2])
	if !ok {
		return false
	}
	src, ok1 := model.ParseMAC(f[4])
	dst, ok2 := model.ParseMAC(f[6])
	if !ok1 || !ok2 {
		return false
	}
	*a = model.ARPEntry{IfIndex: int(n), IP: ip, SrcMAC: src, DstMAC: dst}
	return true
}
