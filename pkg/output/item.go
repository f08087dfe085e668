package output

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/model"
)

// Item is one row of a dump as printed: a model row (model.Route, model.NATEntry, …) plus what
// the plugin adds to it. In JSON and YAML an item is the row's own object, with the row's field
// names (which follow Calico's --json), and the additions as extra fields beside them, so a jq
// script written for Calico's JSON works on ours.
type Item struct {
	// Node is the node the row was read from; empty offline, where it is not known.
	Node string
	// Row is the model row.
	Row any
	// Extra holds further fields (annotations, explanations), written after the row's fields
	// in key order. Keys must not clash with the row's own field names.
	Extra map[string]any
	// Names is a one-line reading of the row's addresses in Kubernetes terms (pods, Services,
	// nodes). Tables show it as their last column; JSON carries the structured form in Extra.
	Names string
}

// MarshalJSON writes {"node": …, <the row's fields>, <Extra's fields>}, leaving out node when
// it is empty. Characters such as < > & are not escaped: trace messages and task names
// ("<...>") stay readable.
func (it Item) MarshalJSON() ([]byte, error) {
	row, err := marshalNoEscape(it.Row)
	if err != nil {
		return nil, err
	}
	if it.Node == "" && len(it.Extra) == 0 {
		return row, nil
	}
	if len(row) < 2 || row[0] != '{' || row[len(row)-1] != '}' {
		return nil, fmt.Errorf("encode item: the row %T is not a JSON object", it.Row)
	}
	var b bytes.Buffer
	b.WriteByte('{')
	sep := func() {
		if b.Len() > 1 {
			b.WriteByte(',')
		}
	}
	if it.Node != "" {
		b.WriteString(`"node":`)
		b.WriteString(strconv.Quote(it.Node))
	}
	if inner := bytes.TrimSpace(row[1 : len(row)-1]); len(inner) > 0 {
		sep()
		b.Write(inner)
	}
	keys := make([]string, 0, len(it.Extra))
	for k := range it.Extra {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		v, err := marshalNoEscape(it.Extra[k])
		if err != nil {
			return nil, err
		}
		key, _ := marshalNoEscape(k)
		sep()
		b.Write(key)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// AppendJSON appends what MarshalJSON returns. A row and extra values that write their own
// JSON (model.JSONAppender: conntrack entries and their annotations, which a big dump has by
// the hundred thousand) skip encoding/json's reflection and every intermediate allocation;
// anything else goes through MarshalJSON.
func (it Item) AppendJSON(dst []byte) ([]byte, error) {
	row, ok := it.Row.(model.JSONAppender)
	// One pass over the map: a map iteration costs more than encoding a small value.
	var buf [2]extraField
	extras := buf[:0]
	for k, v := range it.Extra {
		a, isAppender := v.(model.JSONAppender)
		ok = ok && isAppender
		extras = append(extras, extraField{k, a})
	}
	if !ok {
		b, err := it.MarshalJSON()
		return append(dst, b...), err
	}
	if it.Node == "" && len(extras) == 0 {
		return row.AppendJSON(dst), nil
	}
	dst = append(dst, '{')
	if it.Node != "" {
		dst = appendQuote(append(dst, `"node":`...), it.Node)
	}
	// Splice the row's fields in: its '{' becomes the separator (or goes), its '}' goes.
	at := len(dst)
	dst = row.AppendJSON(dst)
	switch {
	case len(dst)-at == 2: // {}
		dst = dst[:at]
	case dst[at-1] != '{':
		dst[at] = ','
		dst = dst[:len(dst)-1]
	default:
		dst = append(dst[:at], dst[at+1:len(dst)-1]...)
	}
	if len(extras) > 1 {
		slices.SortFunc(extras, func(a, b extraField) int { return strings.Compare(a.key, b.key) })
	}
	for _, f := range extras {
		if dst[len(dst)-1] != '{' {
			dst = append(dst, ',')
		}
		dst = append(model.AppendJSONString(dst, f.key), ':')
		dst = f.value.AppendJSON(dst)
	}
	return append(dst, '}'), nil
}

type extraField struct {
	key   string
	value model.JSONAppender
}

// appendQuote is strconv.AppendQuote, which MarshalJSON uses for the node, with a fast path
// for the names nodes have: printable ASCII without quotes or backslashes is quoted as is.
func appendQuote(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			return strconv.AppendQuote(dst, s)
		}
	}
	dst = append(dst, '"')
	dst = append(dst, s...)
	return append(dst, '"')
}

// marshalNoEscape is json.Marshal without HTML escaping and without the trailing newline.
func marshalNoEscape(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("encode %T: %w", v, err)
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}

// Warning is a problem found while reading the input: a line that was not understood, or one
// that was worked around. It mirrors the parse package's warning, plus the node it came from.
type Warning struct {
	Node   string `json:"node,omitempty"`
	Line   int    `json:"line"`
	Text   string `json:"text,omitempty"`
	Reason string `json:"reason"`
}

// String formats the warning as "line N: reason: "text"" (the text quoted, because it is
// untrusted input); line 0 (inside JSON input, where only a byte offset is known) is left out.
func (w Warning) String() string {
	var b []byte
	if w.Node != "" {
		b = append(b, "node "+w.Node+": "...)
	}
	if w.Line > 0 {
		b = append(b, "line "...)
		b = strconv.AppendInt(b, int64(w.Line), 10)
		b = append(b, ": "...)
	}
	b = append(b, w.Reason...)
	if w.Text != "" {
		b = append(b, ": "...)
		b = strconv.AppendQuote(b, w.Text)
	}
	return string(b)
}

// Summary is what is known once the input has been read.
type Summary struct {
	// Warnings lists the warnings in input order (already bounded by the reader).
	Warnings []Warning
	// WarningsDropped counts warnings the reader did not keep.
	WarningsDropped int
}

// List is the JSON and YAML document of a dump: {"kind", "items", "warnings"}.
type List struct {
	Kind            string    `json:"kind"`
	Items           []Item    `json:"items"`
	Warnings        []Warning `json:"warnings"`
	WarningsDropped int       `json:"warnings_dropped,omitempty"`
}

func newList(kind string, items []Item, s Summary) List {
	l := List{Kind: kind, Items: items, Warnings: s.Warnings, WarningsDropped: s.WarningsDropped}
	if l.Items == nil {
		l.Items = []Item{}
	}
	if l.Warnings == nil {
		l.Warnings = []Warning{}
	}
	return l
}
