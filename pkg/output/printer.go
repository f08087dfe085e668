package output

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sort"
)

// ListPrinter prints the items of one dump as the decoder hands them over. Items may come from
// several nodes (each Item names its node); the printer does not care where they came from.
type ListPrinter interface {
	// Add prints or buffers one item.
	Add(Item) error
	// Close is called once the whole input was read: it prints what is buffered (the table,
	// the YAML document, the end of the JSON document), then "No X found." on errOut for an
	// empty table, then the warnings on errOut.
	Close(Summary) error
	// Abort ends a run that failed. Buffered tables and YAML are dropped; JSON items already
	// streamed are flushed but the document is left unterminated, so that no consumer can
	// mistake part of a dump for all of it.
	Abort() error
}

// MaxStderrWarnings bounds the warnings printed on stderr; the rest are counted. JSON and YAML
// carry every warning the reader kept.
const MaxStderrWarnings = 10

// NewListPrinter returns the printer of format f for a dump of kind (the document's "kind",
// e.g. "routes"), drawing tables with view.
//
// Memory: JSON is streamed, one item at a time, so a 512,000-entry conntrack dump is never held
// whole. Tables are buffered, as rendered cells, because column widths depend on every row.
// YAML is buffered too: sigs.k8s.io/yaml encodes a whole document at once.
func NewListPrinter(out, errOut io.Writer, f Format, kind string, view View) ListPrinter {
	switch f {
	case JSON:
		return &jsonPrinter{w: bufio.NewWriterSize(out, 64<<10), errOut: errOut, kind: kind}
	case YAML:
		return &yamlPrinter{out: out, errOut: errOut, kind: kind}
	}
	return &tablePrinter{out: out, errOut: errOut, view: view, wide: f == Wide}
}

// tablePrinter renders each item's cells as it arrives and draws the table on Close.
type tablePrinter struct {
	out, errOut io.Writer
	view        View
	wide        bool
	rows        [][]string
	nodes       []string // the node of each row, for the NODE column
	anyNode     bool
	names       []string // each row's Kubernetes names, for the last column
	anyNames    bool
}

func (p *tablePrinter) Add(it Item) error {
	rows, err := p.view.Rows(it.Row, p.wide)
	if err != nil {
		return err
	}
	for _, r := range rows {
		p.rows = append(p.rows, r)
		p.nodes = append(p.nodes, it.Node)
		p.names = append(p.names, it.Names)
	}
	p.anyNode = p.anyNode || it.Node != ""
	p.anyNames = p.anyNames || it.Names != ""
	return nil
}

func (p *tablePrinter) Close(s Summary) error {
	if len(p.rows) == 0 {
		fmt.Fprintf(p.errOut, "No %s found.\n", p.view.Noun())
		writeWarnings(p.errOut, s)
		return nil
	}
	if p.anyNode {
		// Nodes answer in parallel; group their rows in node order (stable, so each node's
		// rows keep the tool's order).
		p.sortByNode()
	}
	headers := p.view.Headers(p.wide)
	rows := p.rows
	if p.anyNode {
		// Rows from nodes (live mode) get a leading NODE column, as kubectl adds NAMESPACE.
		headers = append([]string{"NODE"}, headers...)
		for i, r := range rows {
			rows[i] = append([]string{orNone(p.nodes[i])}, r...)
		}
	}
	if p.anyNames {
		// Live rows carry what their addresses are in the cluster, last, like kubectl's
		// wide columns.
		headers = append(headers, "KUBERNETES")
		for i, r := range rows {
			rows[i] = append(r, orNone(p.names[i]))
		}
	}
	if err := WriteTable(p.out, headers, rows); err != nil {
		return err
	}
	writeWarnings(p.errOut, s)
	return nil
}

func (p *tablePrinter) sortByNode() {
	order := make([]int, len(p.rows))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return p.nodes[order[a]] < p.nodes[order[b]] })
	rows, nodes, names := make([][]string, len(order)), make([]string, len(order)), make([]string, len(order))
	for i, j := range order {
		rows[i], nodes[i], names[i] = p.rows[j], p.nodes[j], p.names[j]
	}
	p.rows, p.nodes, p.names = rows, nodes, names
}

func (p *tablePrinter) Abort() error {
	p.rows, p.nodes = nil, nil
	return nil
}

// jsonPrinter streams the List document: the head is written with the first item (so a run
// that fails before any row prints nothing), each item as it comes, the tail on Close.
type jsonPrinter struct {
	w      *bufio.Writer
	errOut io.Writer
	kind   string
	n      int
	buf    bytes.Buffer
	item   []byte // reused for each item's encoding
}

const jsonItemIndent = "    "

func (p *jsonPrinter) head() error {
	kind, err := marshalNoEscape(p.kind)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(p.w, "{\n  \"kind\": %s,\n  \"items\": [", kind)
	return err
}

func (p *jsonPrinter) Add(it Item) error {
	b, err := it.AppendJSON(p.item[:0])
	if err != nil {
		return err
	}
	p.item = b
	if p.n == 0 {
		if err := p.head(); err != nil {
			return err
		}
		p.w.WriteString("\n")
	} else {
		p.w.WriteString(",\n")
	}
	p.n++
	// One item per line, compact: a dump can hold half a million items, and indenting each
	// cost more than decoding it; a line per item also suits grep and line-based tools.
	p.w.WriteString(jsonItemIndent)
	_, err = p.w.Write(b)
	return err
}

func (p *jsonPrinter) Close(s Summary) error {
	if p.n == 0 {
		if err := p.head(); err != nil {
			return err
		}
		p.w.WriteString("],\n")
	} else {
		p.w.WriteString("\n  ],\n")
	}
	l := newList(p.kind, nil, s)
	warnings, err := marshalNoEscape(l.Warnings)
	if err != nil {
		return err
	}
	p.buf.Reset()
	if err := json.Indent(&p.buf, warnings, "  ", "  "); err != nil {
		return fmt.Errorf("encode json: %w", err)
	}
	fmt.Fprintf(p.w, "  \"warnings\": %s", p.buf.Bytes())
	if l.WarningsDropped > 0 {
		fmt.Fprintf(p.w, ",\n  \"warnings_dropped\": %d", l.WarningsDropped)
	}
	p.w.WriteString("\n}\n")
	if err := p.w.Flush(); err != nil {
		return fmt.Errorf("write json: %w", err)
	}
	writeWarnings(p.errOut, s)
	return nil
}

func (p *jsonPrinter) Abort() error {
	if p.n > 0 {
		p.w.WriteString("\n")
	}
	return p.w.Flush()
}

// yamlPrinter buffers the items and writes the List document on Close.
type yamlPrinter struct {
	out, errOut io.Writer
	kind        string
	items       []Item
}

func (p *yamlPrinter) Add(it Item) error {
	p.items = append(p.items, it)
	return nil
}

func (p *yamlPrinter) Close(s Summary) error {
	if err := WriteYAML(p.out, newList(p.kind, p.items, s)); err != nil {
		return err
	}
	writeWarnings(p.errOut, s)
	return nil
}

func (p *yamlPrinter) Abort() error {
	p.items = nil
	return nil
}

// writeWarnings prints at most MaxStderrWarnings warnings as "warning: line N: reason: text",
// then how many more there were. Warnings go to stderr in every format, after the data: a
// script reading -o json still shows a person that the input was messy.
func writeWarnings(w io.Writer, s Summary) {
	for i, wr := range s.Warnings {
		if i == MaxStderrWarnings {
			break
		}
		fmt.Fprintf(w, "warning: %s\n", wr)
	}
	if more := len(s.Warnings) - MaxStderrWarnings; more > 0 || s.WarningsDropped > 0 {
		fmt.Fprintf(w, "warning: %d more warnings not shown\n", max(more, 0)+s.WarningsDropped)
	}
}
