package parse

import (
	"bytes"
	"io"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/model"
)

// ConntrackStats decodes `calico-bpf conntrack stats` (v3.30+) and calls fn
// once, at the end of the input (text) or per JSON object.
//
//	Conntrack map size: 512000
//	Total connections: 10
//	…
//	TCP : 8
func ConntrackStats(r io.Reader, opts Options, fn func(model.ConntrackStats) error) (Report, error) {
	s := newSession(KindConntrackStats, r, opts)
	return s.finish(s.run(jsonRows(s, fn), func() error { return conntrackStatsText(s, fn) }))
}

func conntrackStatsText(s *session, fn func(model.ConntrackStats) error) error {
	var st model.ConntrackStats
	seen := false
	for {
		line, num, ok, err := s.next()
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		key, value, found := bytes.Cut(line, []byte(":"))
		n, isNum := parseUint(trimSpace(value))
		field := statsField(&st, string(trimSpace(key)))
		if !found || !isNum || field == nil {
			if err := s.other(line, num); err != nil {
				return err
			}
			continue
		}
		*field = n
		seen = true
	}
	if !seen {
		return nil
	}
	return emit(s, fn, st)
}

func statsField(st *model.ConntrackStats, key string) *uint64 {
	switch key {
	case "Conntrack map size":
		return &st.MapSize
	case "Total connections":
		return &st.TotalConnections
	case "Total entries":
		return &st.TotalEntries
	case "NAT connections":
		return &st.NATConnections
	case "TCP":
		return &st.TCP
	case "UDP":
		return &st.UDP
	case "Others":
		return &st.Others
	case "TCP Established":
		return &st.TCPEstablished
	case "TCP Closed":
		return &st.TCPClosed
	case "TCP Reset":
		return &st.TCPReset
	case "TCP Syn-sent":
		return &st.TCPSynSent
	}
	return nil
}
