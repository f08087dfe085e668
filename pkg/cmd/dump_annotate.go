package cmd

import (
	"strings"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/annotate"
	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/model"
	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/output"
)

// annotationKey is the JSON field live items carry their Kubernetes names in.
const annotationKey = "kubernetes"

// annotatedItem gives a live row its Kubernetes names: the structured annotation for JSON and
// a one-line reading for tables. Kinds without addresses to name pass through.
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
	case model.ConntrackEntry:
		a := annotate.Conntrack([]model.ConntrackEntry{r}, idx)[0]
		it.Extra = map[string]any{annotationKey: a}
		it.Names = joinNonEmpty(" -> ", nameText(a.Src), nameText(a.OrigDst), nameText(a.Dst), nameText(a.Backend))
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
