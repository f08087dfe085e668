package parse

import "github.com/calico-ebpf/kubectl-calico-ebpf/pkg/model"

// The tail shared by the raw and the pretty lines.

// ctExtra reads what follows the entry: " Age: 1m4.1s Active ago 4.1s ESTABLISHED".
// Age is printed up to v3.29; the state only for TCP entries that are not NAT forward.
func ctExtra(b []byte, e *model.ConntrackEntry) bool {
	for {
		tok, rest := nextField(b)
		switch string(tok) {
		case "":
			return true
		case "Age:":
			var v []byte
			v, b = nextField(rest)
			d, ok := parseDuration(v)
			if !ok {
				return false
			}
			e.Age = model.D(d)
		case "Active":
			ago, rest := nextField(rest)
			if string(ago) != "ago" {
				return false
			}
			var v []byte
			v, b = nextField(rest)
			d, ok := parseDuration(v)
			if !ok {
				return false
			}
			e.ActiveAgo = model.D(d)
		default:
			st, ok := tcpState(tok)
			if !ok || e.TCPState != model.TCPNone {
				return false
			}
			e.TCPState = st
			b = rest
		}
	}
}

func tcpState(b []byte) (model.TCPState, bool) {
	switch string(b) {
	case "ESTABLISHED":
		return model.TCPEstablished, true
	case "SYN-SENT":
		return model.TCPSynSent, true
	case "CLOSED":
		return model.TCPClosed, true
	case "RESET":
		return model.TCPReset, true
	}
	return model.TCPNone, false
}
