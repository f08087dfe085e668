package output

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/model"
)

// NATRole is what a NAT frontend is for, as far as the dump alone tells.
type NATRole string

// NAT frontend roles, in the order a service port's frontends are explained.
const (
	// NATRoleService is a ClusterIP, external IP or LoadBalancer IP; which one, only the
	// cluster's Service can tell.
	NATRoleService NATRole = "service"
	// NATRoleNodePort is a NodePort on one of this node's addresses.
	NATRoleNodePort NATRole = "nodeport"
	// NATRoleNodePortAny is the NodePort wildcard, 255.255.255.255 (all ones in IPv6).
	NATRoleNodePortAny NATRole = "nodeport-any-address"
	// NATRoleSourceRange is the entry of one loadBalancerSourceRanges CIDR.
	NATRoleSourceRange NATRole = "lb-source-range"
	// NATRoleBlackhole is the drop entry (count -1) of an address with source ranges.
	NATRoleBlackhole NATRole = "blackhole"
)

var natRoleOrder = []NATRole{NATRoleService, NATRoleNodePort, NATRoleNodePortAny, NATRoleSourceRange, NATRoleBlackhole}

// NATExplanation is the plain-words reading of one NAT frontend.
type NATExplanation struct {
	Entry model.NATEntry
	Role  NATRole
	// Text explains the frontend. The first frontend of an id describes the backends; the
	// others say how they relate to it.
	Text string
}

// ExplainOptions tune ExplainNAT.
type ExplainOptions struct {
	// MaxBackends bounds the backends listed per frontend; 0 lists them all.
	MaxBackends int
}

// ExplainNAT explains the NAT frontends of one node, grouped by service-port id (ascending):
// every frontend of one Service port (its ClusterIP, NodePorts, external and LoadBalancer IPs)
// shares the id, so a group reads as one service port. Within a group the service frontend
// comes first, then the NodePorts, the source-range entries and the blackhole.
//
// Roles are inferred from the dump alone. A NodePort on a node address is recognised by
// sharing id, port and protocol with the wildcard frontend; so a Service whose port equals
// its nodePort would have its ClusterIP read as a NodePort too. Naming the Service needs the
// cluster (live mode).
func ExplainNAT(entries []model.NATEntry, opts ExplainOptions) []NATExplanation {
	byID := map[uint32][]model.NATEntry{}
	for _, e := range entries {
		byID[e.Frontend.ID] = append(byID[e.Frontend.ID], e)
	}
	ids := make([]uint32, 0, len(byID))
	for id := range byID {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	out := make([]NATExplanation, 0, len(entries))
	for _, id := range ids {
		out = append(out, explainGroup(byID[id], opts)...)
	}
	return out
}

func explainGroup(group []model.NATEntry, opts ExplainOptions) []NATExplanation {
	ex := make([]NATExplanation, len(group))
	for i, e := range group {
		ex[i] = NATExplanation{Entry: e, Role: natRole(e.Frontend, group)}
	}
	slices.SortStableFunc(ex, func(a, b NATExplanation) int {
		fa, fb := a.Entry.Frontend, b.Entry.Frontend
		return cmp.Or(
			cmp.Compare(slices.Index(natRoleOrder, a.Role), slices.Index(natRoleOrder, b.Role)),
			fa.Addr.Compare(fb.Addr),
			cmp.Compare(fa.Port, fb.Port),
			cmp.Compare(fa.Proto, fb.Proto),
			cmp.Compare(fa.SrcCIDR.String(), fb.SrcCIDR.String()),
		)
	})
	// The reference frontend describes the backends; the blackhole has none to describe.
	ref := 0
	for i, x := range ex {
		if x.Role != NATRoleBlackhole {
			ref = i
			break
		}
	}
	for i := range ex {
		ex[i].Text = explainFrontend(ex, i, ref, opts)
	}
	return ex
}

func natRole(f model.NATFrontend, group []model.NATEntry) NATRole {
	switch {
	case f.Blackhole():
		return NATRoleBlackhole
	case f.SrcCIDR.IsValid():
		return NATRoleSourceRange
	case isAllOnes(f.Addr):
		return NATRoleNodePortAny
	}
	for _, o := range group {
		if isAllOnes(o.Frontend.Addr) && o.Frontend.Port == f.Port && o.Frontend.Proto == f.Proto {
			return NATRoleNodePort
		}
	}
	return NATRoleService
}

// isAllOnes reports the NodePort wildcard: 255.255.255.255, or ffff:…:ffff in IPv6.
func isAllOnes(a netip.Addr) bool {
	for _, b := range a.AsSlice() {
		if b != 0xff {
			return false
		}
	}
	return a.IsValid()
}

func frontendLabel(f model.NATFrontend) string {
	return hostPort(f.Addr, f.Port) + "/" + f.Proto.String()
}

// explainFrontend writes the explanation of ex[i]; ex[ref] is the frontend the others of the
// id are described against.
func explainFrontend(ex []NATExplanation, i, ref int, opts ExplainOptions) string {
	e, f, role := ex[i].Entry, ex[i].Entry.Frontend, ex[i].Role
	var s strings.Builder
	s.WriteString(frontendLabel(f))
	if f.SrcCIDR.IsValid() {
		s.WriteString(" src " + f.SrcCIDR.String())
	}
	if i == ref {
		fmt.Fprintf(&s, " (id %d): %s", f.ID, rolePhrase(role, f))
	} else {
		r := ex[ref].Entry
		fmt.Fprintf(&s, ": %s (same id %d as %s", rolePhrase(role, f), f.ID, frontendLabel(r.Frontend))
		if role != NATRoleBlackhole && sameBackends(e, r) {
			s.WriteString(", same backends")
		}
		s.WriteString(")")
	}
	switch {
	case role == NATRoleBlackhole:
		s.WriteString(": no backends; traffic is dropped (LoadBalancer source ranges: only the src-CIDR entries accept traffic" +
			blackholeRanges(ex, f) + ")")
	case i == ref || !sameBackends(e, ex[ref].Entry):
		s.WriteString(" with " + backendPhrase(e, opts))
	}
	s.WriteString(".")
	for _, n := range frontendNotes(e) {
		s.WriteString(" " + n)
	}
	if i == ref && f.ID == 0 {
		s.WriteString(" Id 0 is most likely the entry the ebpf-bootstrap init container writes for the kubernetes" +
			" Service (v3.31+ with bpfNetworkBootstrap); Felix replaces it once it has synced.")
	}
	return s.String()
}

func rolePhrase(role NATRole, f model.NATFrontend) string {
	switch role {
	case NATRoleNodePort:
		return fmt.Sprintf("NodePort %d on this node's address %s", f.Port, f.Addr)
	case NATRoleNodePortAny:
		return "the NodePort frontend for any node address"
	case NATRoleSourceRange:
		return "the LoadBalancer source range entry for clients in " + f.SrcCIDR.String()
	case NATRoleBlackhole:
		return "blackhole"
	}
	return "a service frontend (ClusterIP, external IP or LoadBalancer IP)"
}

// blackholeRanges names the source-range entries that accept traffic for the blackholed address.
func blackholeRanges(ex []NATExplanation, f model.NATFrontend) string {
	var ranges []string
	for _, x := range ex {
		o := x.Entry.Frontend
		if x.Role == NATRoleSourceRange && o.Addr == f.Addr && o.Port == f.Port && o.Proto == f.Proto {
			ranges = append(ranges, o.SrcCIDR.String())
		}
	}
	if len(ranges) == 0 {
		return "; this dump has none for this address, and dumps before v3.31.5 do not print src at all"
	}
	return ", here " + strings.Join(ranges, ", ")
}

// backendPhrase says how many backends there are, how many are local and lists them.
func backendPhrase(e model.NATEntry, opts ExplainOptions) string {
	f := e.Frontend
	if f.Count == 0 && len(e.Backends) == 0 {
		return "no backends: the Service has no ready endpoints, so there is nowhere to send new connections"
	}
	var s strings.Builder
	fmt.Fprintf(&s, "%d %s, ", f.Count, plural(int(f.Count), "backend", "backends"))
	switch f.Local {
	case 0:
		s.WriteString("none on this node")
	case 1:
		s.WriteString("1 on this node (ordinal 0 is local)")
	default:
		fmt.Fprintf(&s, "%d on this node (ordinals 0..%d are local)", f.Local, f.Local-1)
	}
	if len(e.Backends) == 0 {
		return s.String()
	}
	s.WriteString(": ")
	list := e.Backends
	if opts.MaxBackends > 0 && len(list) > opts.MaxBackends {
		list = list[:opts.MaxBackends]
	}
	for i, b := range list {
		if i > 0 {
			s.WriteString(", ")
		}
		s.WriteString(natBackendString(b))
		if !b.Missing && b.Ordinal < f.Local {
			s.WriteString(" (local)")
		}
	}
	if more := len(e.Backends) - len(list); more > 0 {
		fmt.Fprintf(&s, " and %d more (-o wide lists them all)", more)
	}
	return s.String()
}

func sameBackends(a, b model.NATEntry) bool {
	return a.Frontend.Count == b.Frontend.Count && a.Frontend.Local == b.Frontend.Local && slices.Equal(a.Backends, b.Backends)
}

// frontendNotes explains the flags and points out what looks wrong.
func frontendNotes(e model.NATEntry) []string {
	f := e.Frontend
	var notes []string
	if f.Flags&model.NATExternalLocal != 0 {
		notes = append(notes, "external-local: externalTrafficPolicy is Local, so traffic from outside the cluster goes only to the backends on this node"+noneHere(f)+".")
	}
	if f.Flags&model.NATInternalLocal != 0 {
		notes = append(notes, "internal-local: internalTrafficPolicy is Local, so traffic from inside the cluster goes only to the backends on this node"+noneHere(f)+".")
	}
	if f.Flags&model.NATExclude != 0 {
		notes = append(notes, "nat-exclude: the address is excluded from Calico's service NAT (FelixConfiguration bpfExcludeCIDRsFromNAT, or an excluded Service).")
	}
	if f.Flags&model.NATMaglev != 0 {
		notes = append(notes, "maglev: backends are picked by Maglev consistent hashing (nat --maglev shows the lookup table).")
	}
	for _, w := range f.ExtraFlags {
		notes = append(notes, fmt.Sprintf("Flag %q is not known to this version of the plugin.", w))
	}
	for _, b := range e.Backends {
		if b.Missing {
			notes = append(notes, fmt.Sprintf("Backend ordinal %d is missing from the backend map (a Felix/map inconsistency).", b.Ordinal))
		}
	}
	if f.Count > 0 && int64(len(e.Backends)) != f.Count {
		notes = append(notes, fmt.Sprintf("The dump lists %d backend lines for count %d (a cut dump, or a map inconsistency).", len(e.Backends), f.Count))
	}
	if !f.Blackhole() && int64(f.Local) > f.Count {
		notes = append(notes, fmt.Sprintf("local %d is more than count %d (a map inconsistency).", f.Local, f.Count))
	}
	return notes
}

func noneHere(f model.NATFrontend) string {
	if f.Local == 0 {
		return ", and there are none here"
	}
	return ""
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
