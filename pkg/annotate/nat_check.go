package annotate

import (
	"cmp"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strings"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/model"
)

// NodeInfo is what CheckNAT needs to know about a node beyond its entries.
type NodeInfo struct {
	// IPs are the addresses Calico puts this node's NodePorts on; nil: the
	// Node object's InternalIPs and Calico IPv4Address/IPv6Address.
	IPs []netip.Addr
	// IPv4 and IPv6 say which NAT maps were dumped. Both false: inferred
	// from the entries (a family with at least one entry; IPv4 when none).
	IPv4, IPv6 bool
}

// Finding is one difference between a node's NAT map and the Services, or
// between nodes.
type Finding struct {
	Note
	// Node is the node whose map differs; empty for a cross-node finding.
	Node string `json:"node,omitempty"`
	// Present and Absent are, for cross-node findings, the nodes that have the
	// frontend (or one backend set) and the nodes that lack it (or differ).
	Present []string `json:"present,omitempty"`
	Absent  []string `json:"absent,omitempty"`
	// Service is "ns/name:port" of the Service port concerned, if any.
	Service string `json:"service,omitempty"`
	// Frontend is "addr:port/PROTO[ src CIDR]".
	Frontend string `json:"frontend,omitempty"`
}

// Report is the result of CheckNAT.
type Report struct {
	// Nodes are the nodes compared, sorted.
	Nodes []string `json:"nodes"`
	// Frontends is the number of frontends compared over all nodes.
	Frontends int       `json:"frontends"`
	Findings  []Finding `json:"findings"`
}

// HasDrift reports whether any finding is a warning: a node's NAT map
// differs from what the Services and EndpointSlices call for, or from the
// other nodes'.
func (r Report) HasDrift() bool {
	return slices.ContainsFunc(r.Findings, func(f Finding) bool { return f.Severity == Warn })
}

// Drift returns the warnings only.
func (r Report) Drift() []Finding {
	return slices.DeleteFunc(slices.Clone(r.Findings), func(f Finding) bool { return f.Severity != Warn })
}

// explanatory codes are explanations, or about the cluster rather than the
// NAT map (a recycled pod IP); CheckNAT leaves them out.
var explanatory = []Code{CodeBlackhole, CodeNoEndpoints, CodeAffinity, CodeTopology, CodeSharedIP}

// CheckNAT compares each selected node's NAT map (nodes: node name → its
// entries) with what the Services and EndpointSlices call for, and the
// nodes with each other. Node-specific things are not drift: ids, the order
// of backends, the local count (checked against each node's own endpoints),
// NodePorts on a node's own addresses. info may be nil.
func CheckNAT(nodes map[string][]model.NATEntry, idx *Index, info map[string]NodeInfo) Report {
	rep := Report{Nodes: slices.Sorted(maps.Keys(nodes)), Findings: []Finding{}}
	seen := map[string]map[natKey]*seenFE{}
	// hidesSrc marks the nodes whose Calico prints source-range keys without their src.
	hidesSrc := map[string]bool{}
	fams := map[string]families{}
	views := map[string]nodeView{}
	for _, node := range rep.Nodes {
		entries := nodes[node]
		ni := info[node]
		fam := families{ni.IPv4, ni.IPv6}
		if !fam.v4 && !fam.v6 {
			fam = familiesOf(entries)
		}
		v := idx.view(node, ni.IPs)
		fams[node], views[node] = fam, v
		rows, missing := idx.matchNode(v, entries, fam)
		rep.Frontends += len(rows)
		idNotes := idConsistency(rows)
		seen[node] = map[natKey]*seenFE{}
		var found []keyed
		for i, r := range rows {
			f := r.entry.Frontend
			var notes []Note
			var port *portRec
			if r.exp != nil {
				port = r.exp.port
				_, notes = idx.compareRow(v, r)
				if r.extraNP {
					notes = append(notes, infof(CodeExtraNodePort, "NodePort on %s, an address the Node object does not list", f.Addr))
				}
			} else {
				c := idx.classify(v, f)
				port = c.port
				_, more := idx.compareRow(v, r)
				notes = append(c.notes, more...)
			}
			if f.ID == 0 && port != nil && port.svc.key() == "default/kubernetes" {
				notes = append(notes, infof(CodeBootstrap, "id 0: bpfNetworkBootstrap's seed for the kubernetes Service is still in place; Felix replaces it once its kube-proxy has synced"))
			}
			notes = append(notes, idNotes[i]...)
			for _, n := range sortNotes(notes) {
				if slices.Contains(explanatory, n.Code) {
					continue
				}
				found = append(found, keyed{keyOf(f), finding(node, n, port, keyOf(f))})
			}
			key := keyOf(f)
			if r.srcHidden && r.exp != nil {
				// Before v3.31.5 a source-range key prints without its src; file it under the
				// key it was matched to, so the nodes compare like with like.
				key = r.exp.key
				hidesSrc[node] = true
			}
			seen[node][key] = &seenFE{entry: r.entry, port: port, specific: nodeSpecific(v, r)}
		}
		for _, e := range missing {
			n := warnf(CodeMissingFrontend, "missing; the Service calls for it (%s)", expWhy(e))
			found = append(found, keyed{e.key, finding(node, n, e.port, e.key)})
		}
		slices.SortStableFunc(found, func(a, b keyed) int {
			return cmp.Or(compareKeys(a.k, b.k), cmp.Compare(a.f.Code, b.f.Code), cmp.Compare(a.f.Message, b.f.Message))
		})
		for _, kf := range found {
			rep.Findings = append(rep.Findings, kf.f)
		}
	}
	rep.Findings = append(rep.Findings, crossNode(rep.Nodes, seen, fams, views, hidesSrc)...)
	return rep
}

type keyed struct {
	k natKey
	f Finding
}

func expWhy(e *expFE) string {
	switch e.kind {
	case KindNodePort:
		return "NodePort on node " + e.node + "'s address"
	case KindNodePortRemote:
		return "internalTrafficPolicy Local: NodePort of remote node " + e.node + ", which has ready endpoints"
	case KindNodePortWildcard:
		return "NodePort wildcard"
	case KindSourceRange:
		return string(e.via) + " for source " + e.key.src.String()
	case KindBlackhole:
		return string(e.via) + " blackhole for sources outside loadBalancerSourceRanges"
	}
	return string(e.kind)
}

func finding(node string, n Note, port *portRec, k natKey) Finding {
	f := Finding{Node: node, Frontend: k.String(), Note: n}
	prefix := "node " + node + ": "
	if port != nil {
		f.Service = port.ref().String()
		prefix += "svc " + f.Service + ": "
	}
	prefix += "frontend " + k.String() + ": "
	f.Message = prefix + n.Message
	return f
}

// seenFE is one node's frontend, kept for the cross-node comparison.
type seenFE struct {
	entry *model.NATEntry
	port  *portRec
	// specific frontends exist only on their own node (NodePorts on its addresses).
	specific bool
}

func nodeSpecific(v nodeView, r row) bool {
	// A NodePort on an address carries what that address's node should get: all endpoints on
	// the node's own address, but only the remote node's endpoints on a remote node's address
	// (internalTrafficPolicy Local). Either way it is checked per node, not across nodes.
	if r.exp != nil && (r.exp.kind == KindNodePort || r.exp.kind == KindNodePortRemote) {
		return true
	}
	return slices.Contains(v.own, r.entry.Frontend.Addr.Unmap())
}

// crossNode reports frontends present on some nodes and absent on others,
// and frontends whose backends differ between nodes.
func crossNode(nodes []string, seen map[string]map[natKey]*seenFE, fams map[string]families, views map[string]nodeView, hidesSrc map[string]bool) []Finding {
	if len(nodes) < 2 {
		return nil
	}
	keys := map[natKey]bool{}
	for _, node := range nodes {
		for k, s := range seen[node] {
			if !s.specific {
				keys[k] = true
			}
		}
	}
	sorted := slices.SortedFunc(maps.Keys(keys), compareKeys)
	var out []Finding
	for _, k := range sorted {
		var present, absent []string
		var port *portRec
		sets := map[string][]string{}
		topology, bootstrap := false, false
		for _, node := range nodes {
			s := seen[node][k]
			if s == nil {
				if k.src.IsValid() && hidesSrc[node] {
					continue // the node cannot print this key
				}
				if fams[node].has(k.addr) && !slices.Contains(views[node].own, k.addr) {
					absent = append(absent, node)
				}
				continue
			}
			present = append(present, node)
			if s.port != nil {
				port = s.port
				topology = topology || s.port.svc.topology
			}
			bootstrap = bootstrap || s.entry.Frontend.ID == 0
			sig := backendSig(s.entry)
			sets[sig] = append(sets[sig], node)
		}
		f := Finding{Present: present, Frontend: k.String()}
		if port != nil {
			f.Service = port.ref().String()
		}
		label := "frontend " + k.String()
		if f.Service != "" {
			label = "svc " + f.Service + ": " + label
		}
		if len(absent) > 0 {
			f.Absent = absent
			f.Note = warnf(CodeCrossNodeFrontend, "%s is on %s but not on %s", label, strings.Join(present, ", "), strings.Join(absent, ", "))
			out = append(out, f)
		}
		if len(sets) > 1 {
			sev := Warn
			if topology || bootstrap {
				sev = Info
			}
			sigs := slices.SortedFunc(maps.Keys(sets), func(a, b string) int { return cmp.Compare(sets[a][0], sets[b][0]) })
			var parts []string
			for _, sig := range sigs {
				parts = append(parts, strings.Join(sets[sig], ", ")+": "+sig)
			}
			g := Finding{Present: present, Frontend: f.Frontend, Service: f.Service}
			g.Note = Note{Severity: sev, Code: CodeCrossNodeBackends, Message: fmt.Sprintf("%s has different backends on different nodes: %s", label, strings.Join(parts, "; "))}
			out = append(out, g)
		}
	}
	return out
}

// backendSig is a node-independent description of a frontend's backends:
// count and the sorted set of addresses (ids and order are per node).
func backendSig(e *model.NATEntry) string {
	if e.Frontend.Blackhole() {
		return "blackhole"
	}
	var bs []string
	missing := 0
	for _, b := range e.Backends {
		if b.Missing {
			missing++
			continue
		}
		bs = append(bs, backendAP(b).String())
	}
	slices.SortFunc(bs, func(a, b string) int {
		pa, _ := netip.ParseAddrPort(a)
		pb, _ := netip.ParseAddrPort(b)
		return cmp.Or(pa.Compare(pb), cmp.Compare(a, b))
	})
	s := fmt.Sprintf("count %d [%s]", e.Frontend.Count, strings.Join(bs, " "))
	if missing > 0 {
		s += fmt.Sprintf(" +%d missing", missing)
	}
	return s
}
