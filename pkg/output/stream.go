package output

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"k8s.io/cli-runtime/pkg/printers"
	"sigs.k8s.io/yaml"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/model"
)

// StreamPrinter prints the rows of a stream that has no end (a live trace): each row is
// written, whole, with one Write as it arrives, so that a pipe or a terminal sees it at once
// and a reader never sees half a line. Nothing is buffered between rows.
type StreamPrinter interface {
	Add(Item) error
}

// NewTraceStreamPrinter prints trace events as they come:
//
//   - table and wide: a table whose column widths are fixed before the first row, from the
//     limits of what the kernel prints (traceStreamWidths), because a stream cannot be measured
//     first. MESSAGE, the only unbounded column, comes last and is never padded. A cell wider
//     than its column widens the column from that row on; nothing is cut.
//   - json: NDJSON, one compact object per line (the item's node and the event's fields).
//   - yaml: one document per event, each starting with "---".
func NewTraceStreamPrinter(out io.Writer, f Format) StreamPrinter {
	switch f {
	case JSON:
		return &ndjsonPrinter{out: out}
	case YAML:
		return &yamlStreamPrinter{out: out}
	}
	return newTraceStreamTable(out, traceStreamColumns(f == Wide))
}

// traceStreamWidths are the live trace table's starting widths, from what the kernel and
// Calico can print: seconds since boot with six decimals (15 characters hold three years of
// uptime), interface names of at most 15 characters (IFNAMSIZ-1), "connect" and "ingress",
// task names of at most 15 characters (TASK_COMM_LEN-1) plus "-" and a pid below 2^22, CPU
// numbers below 1000, "IPv4", "ALLOW (-1)" and execution times such as "123.456µs".
var traceStreamWidths = map[string]int{
	"TIME": 15, "IFACE": 15, "DIR": 7, "LINE": 7, "TASK": 23, "CPU": 3, "FAMILY": 6,
	"RESULT": 12, "EXEC TIME": 9,
}

// traceStreamColumns are TraceView's columns with MESSAGE moved last, so that the fixed-width
// columns line up whatever the message's length.
func traceStreamColumns(wide bool) []column[model.TraceEvent] {
	all := TraceView.(columns[model.TraceEvent]).cols
	var cols []column[model.TraceEvent]
	var last column[model.TraceEvent]
	for _, c := range all {
		switch {
		case c.wideOnly && !wide:
		case c.header == "MESSAGE":
			last = c
		default:
			cols = append(cols, c)
		}
	}
	return append(cols, last)
}

// traceStreamTable writes one padded line per row; the header goes out with the first row, so a
// stream that fails before its first event prints nothing on stdout.
type traceStreamTable struct {
	out     io.Writer
	cols    []column[model.TraceEvent]
	widths  []int
	started bool
	buf     bytes.Buffer
}

func newTraceStreamTable(out io.Writer, cols []column[model.TraceEvent]) *traceStreamTable {
	t := &traceStreamTable{out: out, cols: cols, widths: make([]int, len(cols))}
	for i, c := range cols {
		t.widths[i] = max(traceStreamWidths[c.header], len(c.header))
	}
	return t
}

func (t *traceStreamTable) Add(it Item) error {
	ev, ok := it.Row.(model.TraceEvent)
	if !ok {
		return fmt.Errorf("print trace events: got a %T row", it.Row)
	}
	t.buf.Reset()
	if !t.started {
		headers := make([]string, len(t.cols))
		for i, c := range t.cols {
			headers[i] = c.header
		}
		t.writeRow(headers)
		t.started = true
	}
	cells := make([]string, len(t.cols))
	for i, c := range t.cols {
		cells[i] = c.cell(ev)
	}
	t.writeRow(escapeCells(cells))
	if _, err := t.out.Write(t.buf.Bytes()); err != nil {
		return fmt.Errorf("write trace event: %w", err)
	}
	return nil
}

func (t *traceStreamTable) writeRow(cells []string) {
	for i, c := range cells {
		t.buf.WriteString(c)
		if i == len(cells)-1 {
			break
		}
		w := displayWidth(c)
		t.widths[i] = max(t.widths[i], w)
		t.buf.WriteString(strings.Repeat(" ", t.widths[i]-w))
		t.buf.WriteString(columnGap)
	}
	t.buf.WriteByte('\n')
}

// ndjsonPrinter writes one JSON object per line.
type ndjsonPrinter struct{ out io.Writer }

func (p *ndjsonPrinter) Add(it Item) error {
	b, err := it.MarshalJSON()
	if err != nil {
		return err
	}
	if _, err := p.out.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("write trace event: %w", err)
	}
	return nil
}

// yamlStreamPrinter writes one YAML document per item.
type yamlStreamPrinter struct{ out io.Writer }

func (p *yamlStreamPrinter) Add(it Item) error {
	b, err := it.MarshalJSON()
	if err != nil {
		return err
	}
	y, err := yaml.JSONToYAML(b)
	if err != nil {
		return fmt.Errorf("encode yaml: %w", err)
	}
	if _, err := p.out.Write(append([]byte("---\n"), y...)); err != nil {
		return fmt.Errorf("write trace event: %w", err)
	}
	return nil
}

// EscapeText neutralises terminal escapes and line breaks in text that came from a node, for
// messages on stderr that quote it.
func EscapeText(s string) string { return cellEscaper.Replace(printers.EscapeTerminal(s)) }
