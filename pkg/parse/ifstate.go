package parse

import (
	"bytes"
	"io"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/model"
)

// IfState decodes `calico-bpf ifstate dump` (v3.24+; JSON v3.31.5+). Text
// is "%5d : %s" with the value in one of three layouts:
//
//	v3.24–v3.26  {flags: ready,workload, name: cali1a2b3c4d5e6}
//	v3.27        {flags: workload,ready, XDPPolicy: -1, IngressPolicy: 7, EgressPolicy: 8, IngressFilter: -1, EgressFilter: -1, name: cali1a2b3c4d5e6}
//	v3.28+       {flags: v4Ready,host, XDPPolicyV4: -1, IngressPolicyV4: 3, …, EgressFilter: -1, name: eth0}
func IfState(r io.Reader, opts Options, fn func(model.IfState) error) (Report, error) {
	s := newSession(KindIfState, r, opts)
	return s.finish(s.run(jsonRows(s, fn), func() error { return eachLine(s, fn, parseIfStateLine) }))
}

func parseIfStateLine(line []byte, st *model.IfState) bool {
	idxB, value, ok := bytes.Cut(line, []byte(" : {"))
	if !ok {
		return false
	}
	idx, ok := parseUintMax(trimSpace(idxB), 1<<31-1)
	if !ok {
		return false
	}
	value, ok = bytes.CutSuffix(value, []byte("}"))
	if !ok {
		return false
	}
	*st = model.IfState{IfIndex: int(idx)}
	// The name is last and may in principle hold anything but a space.
	body, name, ok := cutLast(value, []byte("name: "))
	if !ok || len(name) == 0 {
		return false
	}
	st.Name = string(name)
	body, ok = cutPrefix(body, "flags: ")
	if !ok {
		return false
	}
	flags, body := nextField(body) // "v4Ready,host," – every word ends with a comma
	for _, w := range bytes.Split(flags, []byte(",")) {
		if len(w) == 0 {
			continue
		}
		bit, ok := model.IfStateWord(w)
		if !ok {
			return false
		}
		st.Flags |= bit
	}
	for {
		var key, val []byte
		key, body = nextField(body)
		if len(key) == 0 {
			return true
		}
		val, body = nextField(body)
		val = bytes.TrimSuffix(val, []byte(","))
		n, ok := parseInt(val)
		if !ok || n < -1<<31 || n > 1<<31-1 {
			return false
		}
		p := ifStateField(st, key)
		if p == nil {
			return false
		}
		*p = model.Index(int32(n))
	}
}

func ifStateField(st *model.IfState, key []byte) *model.PolicyIndex {
	switch string(key) {
	case "XDPPolicyV4:", "XDPPolicy:":
		return &st.XDPPolicyV4
	case "IngressPolicyV4:", "IngressPolicy:":
		return &st.IngressPolicyV4
	case "EgressPolicyV4:", "EgressPolicy:":
		return &st.EgressPolicyV4
	case "XDPPolicyV6:":
		return &st.XDPPolicyV6
	case "IngressPolicyV6:":
		return &st.IngressPolicyV6
	case "EgressPolicyV6:":
		return &st.EgressPolicyV6
	case "IngressFilter:":
		return &st.TCIngressFilter
	case "EgressFilter:":
		return &st.TCEgressFilter
	}
	return nil
}

// cutLast splits around the last occurrence of sep.
func cutLast(b, sep []byte) (before, after []byte, found bool) {
	i := bytes.LastIndex(b, sep)
	if i < 0 {
		return b, nil, false
	}
	return b[:i], b[i+len(sep):], true
}
