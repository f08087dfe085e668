package parse

import (
	"bytes"
	"io"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/model"
)

// Counters decodes `calico-bpf counters dump` (v3.24+) and calls fn once per
// interface. Text is one tablewriter table per interface followed by
// "dumped IFACE counters."; TYPE captions longer than 30 characters wrap onto
// continuation rows, which are joined back. v3.24 has no XDP column. JSON
// (v3.31.5+) is a stream of concatenated objects, one per interface.
func Counters(r io.Reader, opts Options, fn func(model.InterfaceCounters) error) (Report, error) {
	s := newSession(KindCounters, r, opts)
	return s.finish(s.run(jsonRows(s, fn), func() error {
		t := countersText{s: s, fn: fn}
		return t.run()
	}))
}

type countersText struct {
	s        *session
	fn       func(model.InterfaceCounters) error
	rows     []model.Counter
	category string
	hasXDP   bool
	start    int // line of the table's first row
}

func (t *countersText) run() error {
	for {
		line, num, ok, err := t.s.next()
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		switch {
		case isTableBorder(line):
		case line[0] == '|':
			if !t.row(line, num) {
				if err := t.s.other(line, num); err != nil {
					return err
				}
			}
		default:
			iface, ok := dumpedCaption(line)
			if !ok {
				if err := t.s.other(line, num); err != nil {
					return err
				}
				continue
			}
			if err := t.flush(iface); err != nil {
				return err
			}
		}
	}
	if len(t.rows) > 0 {
		t.s.warn(t.start, nil, "counter table without its \"dumped … counters.\" line; interface unknown")
		return t.flush("")
	}
	return nil
}

// row reads "| Dropped  | by policy | 7 | 7 | N/A |", a header or a caption
// continuation row.
func (t *countersText) row(line []byte, num int) bool {
	cells := bytes.Split(bytes.Trim(line, "|"), []byte("|"))
	for i := range cells {
		cells[i] = trimSpace(cells[i])
	}
	if len(cells) < 4 || len(cells) > 5 {
		return false
	}
	if string(cells[0]) == "CATEGORY" {
		t.hasXDP = len(cells) == 5
		return true
	}
	values := cells[2:]
	if allEmpty(values) { // a wrapped caption: the TYPE text continues
		if len(t.rows) == 0 || len(cells[0]) > 0 {
			return false
		}
		last := &t.rows[len(t.rows)-1]
		last.Type += " " + string(cells[1])
		return true
	}
	c := model.Counter{Type: string(cells[1])}
	if len(cells[0]) > 0 {
		t.category = string(cells[0])
	}
	c.Category = t.category
	var ok bool
	if c.Ingress, ok = counterCell(values[0]); !ok {
		return false
	}
	if c.Egress, ok = counterCell(values[1]); !ok {
		return false
	}
	if len(values) == 3 {
		if c.XDP, ok = counterCell(values[2]); !ok {
			return false
		}
	}
	if len(t.rows) == 0 {
		t.start = num
	}
	t.rows = append(t.rows, c)
	return true
}

func (t *countersText) flush(iface string) error {
	rows := t.rows
	t.rows, t.category = nil, ""
	return emit(t.s, t.fn, model.InterfaceCounters{Interface: iface, Counters: rows})
}

func counterCell(b []byte) (model.CounterValue, bool) {
	if string(b) == "N/A" {
		return model.CounterValue{}, true
	}
	n, ok := parseUint(b)
	return model.Count(n), ok
}

func allEmpty(cells [][]byte) bool {
	for _, c := range cells {
		if len(c) > 0 {
			return false
		}
	}
	return true
}

// isTableBorder matches "+----------+-----+".
func isTableBorder(b []byte) bool {
	if len(b) < 2 || b[0] != '+' {
		return false
	}
	for _, c := range b {
		if c != '+' && c != '-' {
			return false
		}
	}
	return true
}

// dumpedCaption reads "dumped lo counters.".
func dumpedCaption(b []byte) (string, bool) {
	rest, ok := cutPrefix(b, "dumped ")
	if !ok {
		return "", false
	}
	iface, ok := bytes.CutSuffix(rest, []byte(" counters."))
	if !ok || len(iface) == 0 || bytes.IndexByte(iface, ' ') >= 0 {
		return "", false
	}
	return string(iface), true
}
