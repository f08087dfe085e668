package annotate

import (
	"net/netip"
	"slices"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/model"
)

// row is one NAT entry of a node with the expected frontend it matched.
type row struct {
	entry *model.NATEntry
	exp   *expFE // nil: no Service calls for this frontend on this node
	// srcHidden: a source-range key matched by address, port and protocol
	// because the dump does not print src (before v3.31.5).
	srcHidden bool
	// extraNP: a NodePort on an address the API does not list for the node.
	extraNP bool
}

type families struct{ v4, v6 bool }

func (f families) has(a netip.Addr) bool {
	if a.Unmap().Is6() {
		return f.v6
	}
	return f.v4
}

// familiesOf infers the dumped families: those with an entry; IPv4 when none.
func familiesOf(entries []model.NATEntry) families {
	var f families
	for _, e := range entries {
		if e.Frontend.Addr.Unmap().Is6() {
			f.v6 = true
		} else {
			f.v4 = true
		}
	}
	if !f.v4 && !f.v6 {
		f.v4 = true
	}
	return f
}

// matchNode pairs a node's entries with the frontends the Services call for.
// It returns the rows (parallel to entries) and the expected frontends that
// are absent.
func (x *Index) matchNode(v nodeView, entries []model.NATEntry, fam families) ([]row, []*expFE) {
	var exps []*expFE
	if fam.v4 {
		exps = append(exps, x.expected(v, false)...)
	}
	if fam.v6 {
		exps = append(exps, x.expected(v, true)...)
	}
	byKey := map[natKey][]*expFE{}
	noSrc := map[natKey][]*expFE{}
	for _, e := range exps {
		byKey[e.key] = append(byKey[e.key], e)
		for _, a := range e.alt {
			if a != e.key.addr {
				k := e.key
				k.addr = a
				byKey[k] = append(byKey[k], e)
			}
		}
		if e.key.src.IsValid() {
			k := e.key
			k.src = netip.Prefix{}
			noSrc[k] = append(noSrc[k], e)
		}
	}
	rows := make([]row, len(entries))
	take := func(cands []*expFE) *expFE {
		for _, c := range cands {
			if !c.matched {
				c.matched = true
				return c
			}
		}
		return nil
	}
	// Exact keys first. A plain key that is not a blackhole where the
	// Service has source ranges waits: before v3.31.5 that is how a src key
	// prints.
	for i := range entries {
		rows[i].entry = &entries[i]
		f := entries[i].Frontend
		k := keyOf(f)
		if !f.Blackhole() && !k.src.IsValid() && len(noSrc[k]) > 0 {
			continue
		}
		rows[i].exp = take(byKey[k])
	}
	for i := range rows {
		f := rows[i].entry.Frontend
		k := keyOf(f)
		if rows[i].exp != nil || k.src.IsValid() || f.Blackhole() {
			continue
		}
		if e := take(noSrc[k]); e != nil {
			rows[i].exp, rows[i].srcHidden = e, true
		} else {
			rows[i].exp = take(byKey[k])
		}
	}
	for i := range rows {
		if rows[i].exp == nil {
			if e := x.extraNodePort(v, rows[i].entry.Frontend, exps); e != nil {
				rows[i].exp, rows[i].extraNP = e, true
			}
		}
	}
	var missing []*expFE
	for _, e := range exps {
		if !e.matched && !e.optional {
			missing = append(missing, e)
		}
	}
	slices.SortFunc(missing, func(a, b *expFE) int { return compareKeys(a.key, b.key) })
	return rows, missing
}

// extraNodePort accepts a NodePort on an address no object owns: the host
// has addresses the Node object does not list. It borrows the expectation
// of the service port's primary frontend.
func (x *Index) extraNodePort(v nodeView, f model.NATFrontend, exps []*expFE) *expFE {
	k := keyOf(f)
	if k.src.IsValid() || IsNodePortWildcard(k.addr) || len(x.addrs[k.addr]) > 0 {
		return nil
	}
	nps := x.nodePorts[portProto{k.port, k.proto}]
	if len(nps) != 1 {
		return nil
	}
	for _, e := range exps {
		if e.port == nps[0] && e.kind == KindClusterIP && e.key.addr.Is6() == k.addr.Is6() {
			c := *e
			c.key, c.kind, c.via, c.node, c.optional, c.matched = k, KindNodePort, KindNodePort, v.name, true, true
			return &c
		}
	}
	return nil
}
