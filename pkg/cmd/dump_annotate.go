package cmd

import (
	"strings"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/annotate"
	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/model"
	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/output"
)

// annotationKey is the JSON field live items carry their Kubernetes names in.
const annotationKey = "kubernetes"

// liveAnnotator names the rows of a live dump as they stream in.
type liveAnnotator struct {
	idx *annotate.Index
	ct  *annotate.ConntrackAnnotator
	// names is set when the one-line readings are printed (tables); JSON and YAML carry only
	// the structured annotation, and a big conntrack dump need not build strings it drops.
	names bool
	// json, for JSON, is the row of every conntrack item: the entry with its annotation as
	// one more field, written in one go. The JSON printer encodes an item in Add, before the
	// next row comes, and keeps nothing of it: so no map, annotation or interface is
	// allocated per row (they were a third of a big dump's allocations), and no map is
	// iterated per row either. Tables and YAML keep their items: a map and an annotation each.
	json *annotatedConntrack
}

func newLiveAnnotator(idx *annotate.Index, f output.Format) *liveAnnotator {
	l := &liveAnnotator{idx: idx, ct: annotate.NewConntrackAnnotator(idx), names: !f.IsStructured()}
	if f == output.JSON {
		l.json = &annotatedConntrack{}
	}
	return l
}

// item gives a live row its Kubernetes names: the structured annotation for JSON and a
// one-line reading for tables. Kinds without addresses to name pass through.
func (l *liveAnnotator) item(node string, row any) output.Item {
	if r, ok := row.(model.ConntrackEntry); ok {
		return l.conntrackItem(node, &r)
	}
	return annotatedItem(l.idx, node, row)
}

// conntrackItem is item for a conntrack entry, the bulk of a big dump: named through the
// annotator's cache. A JSON item refers to e and to the annotator's one annotatedConntrack:
// it is only good until the next call or until e changes.
func (l *liveAnnotator) conntrackItem(node string, e *model.ConntrackEntry) output.Item {
	a := l.ct.Annotate(e)
	if l.json != nil {
		l.json.entry, l.json.ann = e, a
		return output.Item{Node: node, Row: l.json} // a pointer in an interface allocates nothing
	}
	it := output.Item{Node: node, Row: *e, Extra: map[string]any{annotationKey: a}}
	if l.names {
		it.Names = conntrackNames(a)
	}
	return it
}

// annotatedConntrack is a conntrack entry with its annotation, as JSON: the entry's fields,
// then the annotation under annotationKey, exactly as output.Item writes a row with one Extra
// field.
type annotatedConntrack struct {
	entry *model.ConntrackEntry
	ann   annotate.ConntrackAnnotation
}

// AppendJSON implements model.JSONAppender.
func (a *annotatedConntrack) AppendJSON(dst []byte) []byte {
	dst = a.entry.AppendJSON(dst)
	dst = append(dst[:len(dst)-1], `,"`+annotationKey+`":`...) // the entry is never {}
	dst = a.ann.AppendJSON(dst)
	return append(dst, '}')
}

// MarshalJSON is AppendJSON, for encoding/json.
func (a *annotatedConntrack) MarshalJSON() ([]byte, error) { return a.AppendJSON(nil), nil }

// annotatedItem gives a live row other than a conntrack entry its Kubernetes names. Kinds
// without addresses to name pass through.
func annotatedItem(idx *annotate.Index, node string, row any) output.Item {
	it := output.Item{Node: node, Row: row}
	switch r := row.(type) {
	case model.Route:
		a := annotate.Routes(node, []model.Route{r}, idx)[0]
		it.Extra = map[string]any{annotationKey: a}
		it.Names = a.Owner
		if a.NextHopNode != "" && a.Owner != "node "+a.NextHopNode {
			it.Names = joinNonEmpty(" ", it.Names, "via node "+a.NextHopNode)
		}
		if it.Names == "" && len(a.Notes) > 0 {
			// Pool, blackhole and DSR opt-out routes belong to no object; say what they are.
			it.Names = a.Notes[0].Message
		}
	case model.IPSet:
		a := annotate.IPSets([]model.IPSet{r}, idx)[0]
		it.Extra = map[string]any{annotationKey: a}
		names := make([]string, 0, len(a.Members))
		for i := range a.Members {
			names = append(names, a.Members[i].Text)
		}
		it.Names = shorten(strings.Join(names, ", "), 120)
	case model.ARPEntry:
		a := annotate.ARP([]model.ARPEntry{r}, idx)[0]
		it.Extra = map[string]any{annotationKey: a}
		it.Names = a.Name.Text
	}
	return it
}

// natItems explains one node's NAT frontends together (derived frontends are read against the
// ClusterIP of the same id) and turns them into items.
func natItems(idx *annotate.Index, node string, entries []model.NATEntry) []output.Item {
	ex := annotate.ExplainNAT(node, nil, entries, idx)
	items := make([]output.Item, len(entries))
	for i, e := range entries {
		items[i] = output.Item{Node: node, Row: e, Extra: map[string]any{annotationKey: ex[i]}, Names: natNames(ex[i])}
	}
	return items
}

func conntrackNames(a annotate.ConntrackAnnotation) string {
	return joinNonEmpty(" -> ", nameText(a.Src), nameText(a.OrigDst), nameText(a.Dst), nameText(a.Backend))
}

func natNames(e annotate.FrontendExplanation) string {
	s := string(e.Kind)
	if e.Service != nil {
		s = e.Service.String() + " (" + s + ")"
	}
	var backends []string
	for _, b := range e.Backends {
		backends = append(backends, b.Name)
	}
	if len(backends) > 0 {
		s += " -> " + shorten(strings.Join(backends, ", "), 100)
	}
	for _, n := range e.Notes {
		if n.Severity == annotate.Warn {
			s += " [" + string(n.Code) + "]"
		}
	}
	return s
}

func nameText(n *annotate.Name) string {
	if n == nil {
		return ""
	}
	return n.Text
}

func joinNonEmpty(sep string, parts ...string) string {
	var keep []string
	for _, p := range parts {
		if p != "" {
			keep = append(keep, p)
		}
	}
	return strings.Join(keep, sep)
}

func shorten(s string, max int) string {
	if len(s) <= max {
		return s
	}
	return s[:max-3] + "..."
}
