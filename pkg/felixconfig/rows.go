package felixconfig

import (
	"sort"
	"strings"
)

// Sources of a row's value.
const (
	SourceSet     = "set"
	SourceDefault = "default"
)

// Row is one field in `config get`; its JSON form is the -o json|yaml item.
type Row struct {
	Field string `json:"field"`
	// Value is what applies: the stored value, or the default when the field is unset.
	Value string `json:"value"`
	// Raw is the stored JSON value when the field is set.
	Raw     any    `json:"raw,omitempty"`
	Default string `json:"default"`
	Source  string `json:"source"`
	Type    string `json:"type"`
	Since   string `json:"since,omitempty"`
	// Notes: the field is unknown to some nodes' Calico, overridden, operator-owned, deprecated.
	Notes []string `json:"notes,omitempty"`
}

// RowOptions is what the cluster says besides the object.
type RowOptions struct {
	Versions []NodeVersion
	// Operator is true on operator installs (bpfEnabled is the operator's).
	Operator bool
	// Overrides maps a field to where it is overridden: "env FELIX_… on calico-node",
	// "FelixConfiguration node.n1".
	Overrides map[string][]string
	// Only lists these fields (catalogue names); empty: every catalogue field and every other
	// bpf* field that is set.
	Only []string
}

// Rows lists the bpf* fields of spec.
func Rows(spec map[string]any, o RowOptions) []Row {
	var fields []Field
	if len(o.Only) > 0 {
		for _, n := range o.Only {
			if f, err := Lookup(n); err == nil {
				fields = append(fields, f)
			}
		}
	} else {
		fields = append(fields, Fields...)
		known := map[string]bool{}
		for _, f := range Fields {
			known[f.Name] = true
		}
		// Fields newer than this catalogue are still shown when set.
		var extra []string
		for k := range spec {
			if strings.HasPrefix(k, "bpf") && !known[k] {
				extra = append(extra, k)
			}
		}
		sort.Strings(extra)
		for _, k := range extra {
			fields = append(fields, Field{Name: k, Kind: -1})
		}
	}
	rows := make([]Row, 0, len(fields))
	for _, f := range fields {
		rows = append(rows, f.row(spec, o))
	}
	return rows
}

func (f Field) row(spec map[string]any, o RowOptions) Row {
	r := Row{Field: f.Name, Default: "-", Type: "unknown", Since: f.Since}
	if f.Kind >= 0 {
		r.Type = f.Kind.String()
		if f.Kind == KindEnum {
			r.Type = strings.Join(f.Values, "|")
		}
		r.Default = f.DefaultText(o.Versions)
	} else {
		r.Notes = append(r.Notes, "not in this plugin's catalogue (newer Calico?)")
	}
	v, set := spec[f.Name]
	if s, ok := v.(string); v == nil || ok && s == "" {
		set = false // "" is unset to Felix (bpfLogLevel is stored as "" when unset)
	}
	if set {
		r.Value, r.Raw, r.Source = Display(v), v, SourceSet
	} else {
		r.Value, r.Source = r.Default, SourceDefault
	}
	if f.Kind >= 0 {
		if old := nodesOutside(f, o.Versions, false); len(old) > 0 {
			r.Notes = append(r.Notes, "needs "+trimPatch(f.Since)+"+: ignored by "+strings.Join(old, ", "))
		}
		if gone := nodesOutside(f, o.Versions, true); len(gone) > 0 {
			r.Notes = append(r.Notes, "removed in "+trimPatch(f.Removed)+": ignored by "+strings.Join(gone, ", "))
		}
	}
	if f.OperatorOwned && o.Operator {
		r.Notes = append(r.Notes, "owned by the operator")
	}
	if f.Note != "" {
		r.Notes = append(r.Notes, f.Note)
	}
	for _, where := range o.Overrides[f.Name] {
		r.Notes = append(r.Notes, "overridden by "+where)
	}
	return r
}

// nodesOutside names the nodes whose Calico predates the field, or (removed) no longer has it.
func nodesOutside(f Field, nodes []NodeVersion, removed bool) []string {
	var out []string
	for _, n := range nodes {
		v := parse(n.Version)
		switch {
		case v == nil:
		case !removed && !atLeast(v, f.Since), removed && f.Removed != "" && atLeast(v, f.Removed):
			out = append(out, n.Node)
		}
	}
	return out
}
