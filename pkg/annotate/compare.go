package annotate

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/model"
)

// EndpointState is what the Service's EndpointSlices say about a backend.
type EndpointState string

// Endpoint states of a backend.
const (
	EndpointReady       EndpointState = "ready"
	EndpointNotReady    EndpointState = "not-ready"
	EndpointTerminating EndpointState = "terminating"
	// EndpointNone: the Service's EndpointSlices do not list the backend.
	EndpointNone EndpointState = "not-an-endpoint"
	// EndpointMissing: the backend map has no entry for the ordinal.
	EndpointMissing EndpointState = "missing"
	// EndpointUnknown: no Service is known for the frontend.
	EndpointUnknown EndpointState = "unknown"
)

// BackendExplanation names one backend of a frontend.
type BackendExplanation struct {
	Ordinal uint32 `json:"ordinal"`
	// Name is "ns/pod@node", "node n1", "external 192.168.1.10" or "missing".
	Name string `json:"name"`
	Pod  string `json:"pod,omitempty"`
	Node string `json:"node,omitempty"`
	// Local is the frontend's claim: ordinal < local count.
	Local    bool          `json:"local"`
	Endpoint EndpointState `json:"endpoint"`
}

func backendAP(b model.NATBackend) netip.AddrPort {
	return netip.AddrPortFrom(b.Addr.Unmap(), b.Port)
}

// ordinalOf is the backend's ordinal; JSON dumps do not carry it, so the
// position stands in.
func ordinalOf(b model.NATBackend, i int) uint32 {
	if b.Ordinal != 0 {
		return b.Ordinal
	}
	return uint32(i)
}

// nameBackend says who a backend is, using the endpoint record when the
// Service's slices list it, the address index otherwise.
func (x *Index) nameBackend(ap netip.AddrPort, ep *epRec) (name, pod, node string) {
	if ep != nil && ep.pod != "" {
		return ep.pod + "@" + ep.node, ep.pod, ep.node
	}
	owners := x.withEndpointPods(ap.Addr())
	var parts []string
	for _, o := range owners {
		switch o.Kind {
		case OwnerPod:
			pod, node = o.Namespace+"/"+o.Name, o.Node
			parts = append(parts, pod+"@"+node)
		case OwnerNode:
			node = o.Name
			parts = append(parts, "node "+o.Name)
		}
	}
	if len(parts) == 0 {
		return "external " + ap.Addr().String(), "", ""
	}
	if len(parts) > 1 {
		pod = "" // several pods claim the address: no single answer
	}
	if ep != nil && ep.node != "" {
		node = ep.node
	}
	return strings.Join(parts, ", "), pod, node
}

func stateOf(ep *epRec) EndpointState {
	switch {
	case ep == nil:
		return EndpointNone
	case ep.ready:
		return EndpointReady
	case ep.terminating:
		return EndpointTerminating
	}
	return EndpointNotReady
}

// svcText is "svc ns/name:port" for messages.
func svcText(p *portRec) string {
	if p == nil {
		return "no Service"
	}
	return "svc " + p.ref().String()
}

func epText(x *Index, e *epRec) string {
	name, _, _ := x.nameBackend(e.ap, e)
	return e.ap.String() + " (" + name + ")"
}

// compareRow names the backends of one entry and notes every way the entry
// differs from what its Service calls for on node v.
func (x *Index) compareRow(v nodeView, r row) ([]BackendExplanation, []Note) {
	e, exp := r.entry, r.exp
	f := e.Frontend
	var port *portRec
	if exp != nil {
		port = exp.port
	}
	var notes []Note
	sev := Warn
	if exp != nil && port != nil {
		switch {
		case f.ID == 0 && port.svc.key() == "default/kubernetes":
			sev = Info
		case port.svc.topology:
			sev = Info
		}
	}
	note := func(code Code, format string, args ...any) {
		notes = append(notes, Note{Severity: sev, Code: code, Message: fmt.Sprintf(format, args...)})
	}

	// Backends: who they are, what the slices say, where they run.
	bes := make([]BackendExplanation, len(e.Backends))
	var present []netip.AddrPort
	var missingOrds []uint32
	for i, b := range e.Backends {
		ord := ordinalOf(b, i)
		be := BackendExplanation{Ordinal: ord, Local: int64(ord) < int64(f.Local)}
		if b.Missing {
			be.Name, be.Endpoint = "missing", EndpointMissing
			missingOrds = append(missingOrds, ord)
			bes[i] = be
			continue
		}
		ap := backendAP(b)
		present = append(present, ap)
		var ep *epRec
		if port != nil {
			ep = port.endpoint(ap)
			be.Endpoint = stateOf(ep)
		} else {
			be.Endpoint = EndpointUnknown
		}
		be.Name, be.Pod, be.Node = x.nameBackend(ap, ep)
		notes = append(notes, x.AddrNotes(ap.Addr())...)
		bes[i] = be
	}
	if !f.Blackhole() && int64(len(e.Backends)) != f.Count {
		notes = append(notes, warnf(CodeBackendLines, "count %d, but the dump has %d backend rows", f.Count, len(e.Backends)))
	}
	if exp == nil {
		for _, o := range missingOrds {
			notes = append(notes, warnf(CodeMissingBackend, "ordinal %d is missing from the backend map (\"is missing\")", o))
		}
		return bes, notes
	}
	if port != nil && port.svc.topology {
		notes = append(notes, infof(CodeTopology, "%s uses topology-aware routing: its backends may differ per node", svcText(port)))
	}

	// Blackhole and count.
	switch {
	case exp.blackhole && f.Blackhole():
		// explained by ExplainNAT
	case exp.blackhole:
		note(CodeExpectedBlackhole, "count %d, but %s has loadBalancerSourceRanges (%s): its plain key should be a blackhole (count -1) and each range its own src key",
			f.Count, svcText(port), prefixesText(port.svc.sourceRanges))
	case f.Blackhole():
		note(CodeUnexpectedBlackhole, "count -1 (blackhole), but %s calls for %d backends here", svcText(port), len(exp.backends))
	default:
		want := int64(len(exp.backends))
		tolerated := exp.terminating > 0 && f.Count == want+int64(exp.terminating)
		switch {
		case f.Count == want:
		case tolerated:
			notes = append(notes, infof(CodeTerminating, "count %d includes %d serving, terminating endpoints of %s (%d ready)", f.Count, exp.terminating, svcText(port), want))
		default:
			note(CodeWrongCount, "count %d, but %s has %d ready endpoints%s", f.Count, svcText(port), want, remoteSuffix(exp))
		}
		switch {
		case tolerated && f.Local == uint32(exp.local+exp.termLocal) && exp.termLocal > 0:
			notes = append(notes, infof(CodeTerminating, "local %d includes %d serving, terminating endpoints on %s", f.Local, exp.termLocal, v.name))
		case v.name == "":
			// Without the node's name, locality cannot be checked.
		case f.Local != uint32(exp.local):
			note(CodeWrongLocal, "local %d, but %d of the ready endpoints run on %s", f.Local, exp.local, v.name)
		default:
			notes = append(notes, x.ordinalLocality(v, f, bes, sev)...)
		}
		notes = append(notes, x.backendSets(exp, port, present, missingOrds, tolerated, sev)...)
	}
	return bes, notes
}

func remoteSuffix(exp *expFE) string {
	if exp.kind == KindNodePortRemote {
		return " on node " + exp.node + " (internalTrafficPolicy Local)"
	}
	return ""
}

// ordinalLocality checks that ordinals below the local count run on this
// node and the others do not.
func (x *Index) ordinalLocality(v nodeView, f model.NATFrontend, bes []BackendExplanation, sev Severity) []Note {
	var notes []Note
	for _, be := range bes {
		if be.Endpoint == EndpointMissing || be.Node == "" || v.name == "" {
			continue
		}
		switch {
		case be.Local && be.Node != v.name:
			notes = append(notes, Note{sev, CodeWrongLocal, fmt.Sprintf("ordinal %d (%s) is counted as local (local %d) but runs on %s", be.Ordinal, be.Name, f.Local, be.Node)})
		case !be.Local && be.Node == v.name:
			notes = append(notes, Note{sev, CodeWrongLocal, fmt.Sprintf("ordinal %d (%s) runs on %s but is past the local count %d", be.Ordinal, be.Name, v.name, f.Local)})
		}
	}
	return notes
}

// backendSets compares the programmed backends with the ready endpoints.
// A missing ordinal and a ready endpoint that is not programmed are most
// likely one problem, so they are reported together.
func (x *Index) backendSets(exp *expFE, port *portRec, present []netip.AddrPort, missingOrds []uint32, tolerated bool, sev Severity) []Note {
	var notes []Note
	want := map[netip.AddrPort]bool{}
	for _, e := range exp.backends {
		want[e.ap] = true
	}
	for _, ap := range present {
		if want[ap] {
			continue
		}
		ep := port.endpoint(ap)
		name, _, _ := x.nameBackend(ap, ep)
		switch {
		case ep == nil:
			notes = append(notes, Note{sev, CodeStaleBackend, fmt.Sprintf("backend %s (%s) is not an endpoint of %s", ap, name, svcText(port))})
		case tolerated && ep.serving && ep.terminating:
			notes = append(notes, infof(CodeTerminating, "backend %s (%s) is a serving, terminating endpoint of %s", ap, name, svcText(port)))
		case exp.kind == KindNodePortRemote && ep.ready:
			notes = append(notes, Note{sev, CodeStaleBackend, fmt.Sprintf("backend %s (%s) runs on %s, not on %s whose NodePort this is", ap, name, ep.node, exp.node)})
		default:
			notes = append(notes, Note{sev, CodeStaleBackend, fmt.Sprintf("backend %s (%s) is %s in the EndpointSlices of %s; Calico programs only ready endpoints", ap, name, stateOf(ep), svcText(port))})
		}
	}
	have := make(map[netip.AddrPort]bool, len(present))
	for _, ap := range present {
		have[ap] = true
	}
	var absent []*epRec
	for _, e := range exp.backends {
		if !have[e.ap] {
			absent = append(absent, e)
		}
	}
	for i, o := range missingOrds {
		msg := fmt.Sprintf("ordinal %d is missing from the backend map (\"is missing\")", o)
		if i < len(absent) {
			msg += "; ready endpoint " + epText(x, absent[i]) + " is not programmed"
		}
		notes = append(notes, Note{sev, CodeMissingBackend, msg})
	}
	for i := len(missingOrds); i < len(absent); i++ {
		notes = append(notes, Note{sev, CodeMissingBackend, fmt.Sprintf("ready endpoint %s of %s is not a backend", epText(x, absent[i]), svcText(port))})
	}
	return notes
}

func prefixesText(ps []netip.Prefix) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.String()
	}
	return strings.Join(s, ", ")
}
