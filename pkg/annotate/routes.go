package annotate

import (
	"slices"
	"strings"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/model"
)

// RouteAnnotation names the owner of a route's destination and its next hop.
type RouteAnnotation struct {
	// Owners of the destination: the pod of a workload /32, the node of a
	// host address, the node(s) holding a remote IPAM block.
	Owners []Owner `json:"owners,omitempty"`
	// Owner is the short display form of Owners.
	Owner string `json:"owner,omitempty"`
	// NextHopNode is the node whose address the next hop ("nh") is.
	NextHopNode string `json:"next_hop_node,omitempty"`
	Notes       []Note `json:"notes,omitempty"`
}

// Routes annotates the route map of node (its Kubernetes node name; "" skips
// the checks that need it). The result is parallel to routes.
func Routes(node string, routes []model.Route, idx *Index) []RouteAnnotation {
	out := make([]RouteAnnotation, len(routes))
	for i, r := range routes {
		out[i] = annotateRoute(node, r, idx)
	}
	return out
}

func annotateRoute(node string, r model.Route, idx *Index) RouteAnnotation {
	var ra RouteAnnotation
	f := r.Flags
	single := r.Dest.IsValid() && r.Dest.IsSingleIP()
	explained := false
	switch {
	case f.Blackhole():
		ra.Notes = append(ra.Notes, infof(CodeBlackholeRoute,
			"%s is blackholed by Felix's ServiceLoopPrevention (%s)", r.Dest, strings.Join(blackholeWords(f), ", ")))
		explained = true
	case !single && f.Has(model.RouteInPool) && !f.Has(model.RouteWorkload) && !f.Has(model.RouteHost):
		ra.Notes = append(ra.Notes, infof(CodePoolRoute, "%s is an IP pool route (a Calico IPPool, not a Kubernetes object)", r.Dest))
		explained = true
	default:
		ra.Owners = idx.Prefix(r.Dest)
		if single {
			ra.Notes = append(ra.Notes, idx.AddrNotes(r.Dest.Addr())...)
		}
	}
	if f.Has(model.RouteNoDSR) {
		ra.Notes = append(ra.Notes, infof(CodeNoDSRRoute, "%s is in BPFDSROptoutCIDRs: replies to it do not use DSR", r.Dest))
		explained = explained || len(ra.Owners) == 0
	}
	if r.NextHop.IsValid() {
		ra.NextHopNode = idx.nodeOfHost(r.NextHop)
		if ra.NextHopNode == "" {
			ra.Notes = append(ra.Notes, warnf(CodeUnknownNextHop, "next hop %s is not an address of any node", r.NextHop))
		} else if !single && f.Has(model.RouteWorkload) && len(ra.Owners) > 0 && !hasNode(ra.Owners, ra.NextHopNode) {
			ra.Notes = append(ra.Notes, warnf(CodeNextHopMismatch,
				"next hop %s is node %s, but the block belongs to %s", r.NextHop, ra.NextHopNode, ownersText(ra.Owners)))
		}
	}
	if node != "" && single && len(ra.Owners) > 0 {
		ra.Notes = append(ra.Notes, checkRouteSide(node, r, ra.Owners)...)
	}
	if len(ra.Owners) == 0 && !explained {
		ra.Notes = append(ra.Notes, infof(CodeNoOwner, "no Kubernetes object owns this address"))
	}
	ra.Owner = ownersText(ra.Owners)
	ra.Notes = sortNotes(ra.Notes)
	return ra
}

func blackholeWords(f model.RouteFlags) []string {
	var w []string
	if f.Has(model.RouteBlackholeDrop) {
		w = append(w, "drop")
	}
	if f.Has(model.RouteBlackholeReject) {
		w = append(w, "reject")
	}
	return w
}

// checkRouteSide checks that a local route names this node's pod or address
// and a remote route another node's.
func checkRouteSide(node string, r model.Route, owners []Owner) []Note {
	var where []string
	for _, o := range owners {
		n := ""
		switch o.Kind {
		case OwnerPod:
			n = o.Node
		case OwnerNode:
			n = o.Name
		}
		if n != "" && !slices.Contains(where, n) {
			where = append(where, n)
		}
	}
	switch {
	case len(where) == 0:
		return nil
	case r.Flags.Local() && !slices.Contains(where, node):
		return []Note{warnf(CodeRouteElsewhere, "route on %s says local, but %s is on node %s", node, ownersText(owners), strings.Join(where, ", "))}
	case r.Flags.Remote() && len(where) == 1 && where[0] == node:
		return []Note{warnf(CodeRouteElsewhere, "route on %s says remote, but %s is on this node", node, ownersText(owners))}
	}
	return nil
}

func hasNode(owners []Owner, node string) bool {
	for _, o := range owners {
		if (o.Kind == OwnerNode && o.Name == node) || (o.Kind == OwnerPod && o.Node == node) {
			return true
		}
	}
	return false
}

func ownersText(owners []Owner) string {
	parts := make([]string, len(owners))
	for i, o := range owners {
		parts[i] = o.String()
	}
	return strings.Join(parts, ", ")
}
