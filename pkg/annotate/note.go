package annotate

import (
	"cmp"
	"fmt"
	"slices"
)

// Severity says whether a note is a problem (warn) or an explanation (info).
type Severity string

// Severities.
const (
	Warn Severity = "warn"
	Info Severity = "info"
)

// Code names the kind of a note or finding; stable, for scripts.
type Code string

// Codes of notes on addresses and routes.
const (
	// CodeNoOwner: no Node, Pod or Service owns the address.
	CodeNoOwner Code = "no-owner"
	// CodeSharedIP: several live pods claim one IP (a recycled IP, or a stale pod object).
	CodeSharedIP Code = "shared-ip"
	// CodeRouteElsewhere: a "local" route names a pod or address of another node,
	// or a "remote" route names one of this node's pods or addresses.
	CodeRouteElsewhere Code = "route-elsewhere"
	// CodeUnknownNextHop: a route's next hop is not an address of any node.
	CodeUnknownNextHop Code = "unknown-next-hop"
	// CodeNextHopMismatch: the next hop's node is not the node that holds the block.
	CodeNextHopMismatch Code = "next-hop-mismatch"
	// CodePoolRoute, CodeBlackholeRoute, CodeNoDSRRoute explain routes that
	// belong to no object: an IP pool, a ServiceLoopPrevention blackhole, a
	// BPFDSROptoutCIDRs entry.
	CodePoolRoute      Code = "pool-route"
	CodeBlackholeRoute Code = "blackhole-route"
	CodeNoDSRRoute     Code = "no-dsr-route"
	// CodeNotANode: an ARP entry for an address that is no node's.
	CodeNotANode Code = "not-a-node"
)

// Codes of NAT notes (ExplainNAT) and findings (CheckNAT).
const (
	// CodeNoService: a frontend that no Service explains (deleted Service, stale map entry).
	CodeNoService Code = "no-service"
	// CodeStaleBackend: a backend that is not a ready endpoint of the Service.
	CodeStaleBackend Code = "stale-backend"
	// CodeMissingBackend: the backend map has no entry for an ordinal
	// ("is missing"), or a ready endpoint is not among the backends.
	CodeMissingBackend Code = "missing-backend"
	// CodeWrongCount: count differs from the number of ready endpoints.
	CodeWrongCount Code = "wrong-count"
	// CodeWrongLocal: the local count, or which ordinals are local, disagrees
	// with the nodes the endpoints run on.
	CodeWrongLocal Code = "wrong-local"
	// CodeBackendLines: the number of backend rows differs from count.
	CodeBackendLines Code = "backend-lines"
	// CodeIDMismatch: frontends of one service port carry different ids.
	CodeIDMismatch Code = "id-mismatch"
	// CodeBlackhole explains a count -1 frontend.
	CodeBlackhole Code = "blackhole"
	// CodeUnexpectedBlackhole: count -1 where the Service has no source ranges.
	CodeUnexpectedBlackhole Code = "unexpected-blackhole"
	// CodeExpectedBlackhole: the plain key of a source-ranged frontend is not a blackhole.
	CodeExpectedBlackhole Code = "expected-blackhole"
	// CodeStaleSourceRange: a src key whose CIDR is not in loadBalancerSourceRanges.
	CodeStaleSourceRange Code = "stale-source-range"
	// CodeNoEndpoints: the service port has no ready endpoints (count 0).
	CodeNoEndpoints Code = "no-endpoints"
	// CodeTerminating: count includes serving, terminating endpoints.
	CodeTerminating Code = "terminating-endpoints"
	// CodeAffinity: sessionAffinity ClientIP; the pinned clients are in `nat aff`.
	CodeAffinity Code = "affinity"
	// CodeBootstrap: an id 0 entry pre-seeded by bpfNetworkBootstrap (v3.31+).
	CodeBootstrap Code = "bootstrap"
	// CodeTopology: the Service uses topology-aware routing, so its backends
	// may legitimately differ per node; differences are info, not drift.
	CodeTopology Code = "topology"
	// CodeMissingFrontend: a frontend the Services call for is absent.
	CodeMissingFrontend Code = "missing-frontend"
	// CodeStaleFrontend: a frontend no Service calls for on this node.
	CodeStaleFrontend Code = "stale-frontend"
	// CodeCrossNodeFrontend: a node-independent frontend present on some
	// selected nodes and absent on others.
	CodeCrossNodeFrontend Code = "cross-node-frontend"
	// CodeCrossNodeBackends: one frontend with different backend sets or counts on different nodes.
	CodeCrossNodeBackends Code = "cross-node-backends"
	// CodeExtraNodePort: a NodePort on an address the API does not list for
	// this node (the host has more addresses than the Node object); info.
	CodeExtraNodePort Code = "extra-nodeport-address"
)

// Note is one remark on a row.
type Note struct {
	Severity Severity `json:"severity"`
	Code     Code     `json:"code"`
	Message  string   `json:"message"`
}

func warnf(code Code, format string, args ...any) Note {
	return Note{Severity: Warn, Code: code, Message: fmt.Sprintf(format, args...)}
}

func infof(code Code, format string, args ...any) Note {
	return Note{Severity: Info, Code: code, Message: fmt.Sprintf(format, args...)}
}

// sortNotes orders warnings first, then by code and message, and drops duplicates.
func sortNotes(notes []Note) []Note {
	slices.SortFunc(notes, func(a, b Note) int {
		if a.Severity != b.Severity {
			if a.Severity == Warn {
				return -1
			}
			return 1
		}
		return cmp.Or(cmp.Compare(a.Code, b.Code), cmp.Compare(a.Message, b.Message))
	})
	return slices.Compact(notes)
}

// HasWarning reports whether any note is a warning.
func HasWarning(notes []Note) bool {
	return slices.ContainsFunc(notes, func(n Note) bool { return n.Severity == Warn })
}
