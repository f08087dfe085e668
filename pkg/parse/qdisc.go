package parse

import (
	"bytes"
	"encoding/json"
	"io"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/model"
)

// Qdiscs decodes `tc -s qdisc show [dev DEV]` (text) or `tc -s -j qdisc show`
// (JSON), including `| grep clsact -A 2` extracts with their "--" separators.
//
//	qdisc clsact ffff: dev ens160 parent ffff:fff1
//	 Sent 11334937500 bytes 75228997 pkt (dropped 0, overlimits 0 requeues 0)
//	 backlog 0b 0p requeues 0
func Qdiscs(r io.Reader, opts Options, fn func(model.Qdisc) error) (Report, error) {
	s := newSession(KindQdisc, r, opts)
	return s.finish(s.run(func(first []byte) error {
		return decodeJSON(s, first, func(q *qdiscJSON) error { return emit(s, fn, q.model()) })
	}, func() error { return qdiscText(s, fn) }))
}

func qdiscText(s *session, fn func(model.Qdisc) error) error {
	return readBlocks(s, fn, func(line []byte, _ int) (*model.Qdisc, bool) {
		var q model.Qdisc
		if !parseQdiscHeader(line, &q) {
			return nil, false
		}
		return &q, true
	}, qdiscStats)
}

// parseQdiscHeader reads "qdisc KIND HANDLE [dev DEV] [root|parent P|ingress] [refcnt N] OPTIONS…".
func parseQdiscHeader(line []byte, q *model.Qdisc) bool {
	word, rest := nextField(line)
	if string(word) != "qdisc" {
		return false
	}
	kind, rest := nextField(rest)
	handle, rest := nextField(rest)
	if len(kind) == 0 || len(handle) == 0 || bytes.IndexByte(handle, ':') < 0 {
		return false
	}
	*q = model.Qdisc{Kind: string(kind), Handle: string(handle)}
	var opts [][]byte
	for {
		var tok, v []byte
		tok, rest = nextField(rest)
		switch string(tok) {
		case "":
			q.Options = string(bytes.Join(opts, []byte(" ")))
			return q.Dev != "" || len(opts) > 0 || q.Root || q.Parent != ""
		case "dev":
			v, rest = nextField(rest)
			q.Dev = string(v)
		case "root":
			q.Root = true
		case "parent":
			v, rest = nextField(rest)
			q.Parent = string(v)
		case "refcnt":
			v, rest = nextField(rest)
			n, ok := parseUintMax(v, 1<<31-1)
			if !ok {
				return false
			}
			q.Refcnt = int(n)
		default:
			if len(bytes.Trim(tok, "-")) == 0 { // "qdisc ingress ffff: dev x parent ffff:fff1 ----------------"
				continue
			}
			opts = append(opts, tok)
		}
	}
}

// qdiscStats reads the -s lines under a header; other indented lines are kept as Details.
func qdiscStats(line []byte, q *model.Qdisc) bool {
	switch {
	case bytes.HasPrefix(line, []byte("Sent ")):
		// Sent 11334937500 bytes 75228997 pkt (dropped 0, overlimits 0 requeues 0)
		var f [11][]byte
		rest := line
		for i := range f {
			f[i], rest = nextField(rest)
		}
		bytesN, ok1 := parseUint(f[1])
		pkts, ok2 := parseUint(f[3])
		drop, ok3 := parseUint(bytes.TrimSuffix(f[6], []byte(",")))
		over, ok4 := parseUint(f[8])
		req, ok5 := parseUint(bytes.TrimSuffix(f[10], []byte(")")))
		if !(ok1 && ok2 && ok3 && ok4 && ok5) || string(f[2]) != "bytes" || string(f[5]) != "(dropped" {
			return false
		}
		q.SentBytes, q.SentPackets, q.Dropped, q.Overlimits, q.Requeues = bytesN, pkts, drop, over, req
		return true
	case bytes.HasPrefix(line, []byte("backlog ")):
		// backlog 0b 0p requeues 0
		_, rest := nextField(line)
		b, rest := nextField(rest)
		p, _ := nextField(rest)
		nb, ok1 := tcSize(b)
		np, ok2 := parseUint(bytes.TrimSuffix(p, []byte("p")))
		if !ok1 || !ok2 {
			return false
		}
		q.BacklogBytes, q.BacklogPackets = nb, np
		return true
	case line[0] >= 'a' && line[0] <= 'z' && !bytes.HasPrefix(line, []byte("qdisc ")):
		// rate, maxpacket, new_flows_len … (kind-specific statistics)
		q.Details = append(q.Details, string(line))
		return true
	}
	return false
}

// tcSize reads iproute2's sprint_size: "0b", "1514b", "12Kb", "3Mb".
func tcSize(b []byte) (uint64, bool) {
	b, ok := bytes.CutSuffix(b, []byte("b"))
	if !ok || len(b) == 0 {
		return 0, false
	}
	mult := uint64(1)
	switch b[len(b)-1] {
	case 'K':
		mult, b = 1024, b[:len(b)-1]
	case 'M':
		mult, b = 1024*1024, b[:len(b)-1]
	case 'G':
		mult, b = 1024*1024*1024, b[:len(b)-1]
	}
	n, ok := parseUint(b)
	return n * mult, ok
}

// qdiscJSON is iproute2's JSON form of one qdisc.
type qdiscJSON struct {
	Kind       string          `json:"kind"`
	Handle     string          `json:"handle"`
	Dev        string          `json:"dev"`
	Parent     string          `json:"parent"`
	Root       bool            `json:"root"`
	Refcnt     int             `json:"refcnt"`
	Options    json.RawMessage `json:"options"`
	Bytes      uint64          `json:"bytes"`
	Packets    uint64          `json:"packets"`
	Drops      uint64          `json:"drops"`
	Overlimits uint64          `json:"overlimits"`
	Requeues   uint64          `json:"requeues"`
	Backlog    uint64          `json:"backlog"`
	Qlen       uint64          `json:"qlen"`
}

func (j *qdiscJSON) model() model.Qdisc {
	q := model.Qdisc{
		Kind: j.Kind, Handle: j.Handle, Dev: j.Dev, Parent: j.Parent, Root: j.Root, Refcnt: j.Refcnt,
		SentBytes: j.Bytes, SentPackets: j.Packets, Dropped: j.Drops, Overlimits: j.Overlimits,
		Requeues: j.Requeues, BacklogBytes: j.Backlog, BacklogPackets: j.Qlen,
	}
	if o := bytes.TrimSpace(j.Options); len(o) > 0 && string(o) != "{}" && string(o) != "null" {
		q.Options = string(o)
	}
	return q
}
