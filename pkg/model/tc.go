package model

// Qdisc is one queueing discipline from `tc -s qdisc show` (text) or
// `tc -s -j qdisc show` (JSON). JSON names follow iproute2's JSON.
//
// On TC-attached nodes every Calico interface has a clsact qdisc; nodes that
// attach with TCX (v3.31+ default on kernels ≥ 6.6) have none.
type Qdisc struct {
	Kind   string `json:"kind"`
	Handle string `json:"handle"`
	Dev    string `json:"dev"`
	// Parent is "ffff:fff1" for clsact/ingress; empty with Root set for a root qdisc.
	Parent string `json:"parent,omitempty"`
	Root   bool   `json:"root,omitempty"`
	Refcnt int    `json:"refcnt,omitzero"`
	// Options is the rest of the header line (kind-specific parameters), text only.
	Options string `json:"options_text,omitempty"`

	// Statistics (only with -s).
	SentBytes      uint64 `json:"bytes"`
	SentPackets    uint64 `json:"packets"`
	Dropped        uint64 `json:"drops"`
	Overlimits     uint64 `json:"overlimits"`
	Requeues       uint64 `json:"requeues"`
	BacklogBytes   uint64 `json:"backlog"`
	BacklogPackets uint64 `json:"qlen"`
	// Details are further statistics lines of the text form, kept verbatim.
	Details []string `json:"details,omitempty"`
}

// IsClsact reports the qdisc Calico's TC programs hang off.
func (q Qdisc) IsClsact() bool { return q.Kind == "clsact" }

// TCFilter is one filter from `tc filter show dev DEV ingress|egress`: for
// Calico, the BPF program (cali_tc_preamble) attached to the hook.
type TCFilter struct {
	// Dev and Direction come from the command (tc prints them only when not asked for).
	Dev       string `json:"dev,omitempty"`
	Direction string `json:"direction,omitempty"` // "ingress" or "egress"
	Protocol  string `json:"protocol,omitempty"`
	Pref      uint32 `json:"pref"`
	Kind      string `json:"kind"` // "bpf" for Calico
	Chain     uint32 `json:"chain"`
	Handle    string `json:"handle,omitempty"`
	// Name is the BPF program name as tc prints it, e.g. "cali_tc_preambl:[123]"
	// (libbpf) or "tc_preamble.o:[calico_tc]" (older tc attach).
	Name         string `json:"bpf_name,omitempty"`
	DirectAction bool   `json:"direct_action,omitempty"`
	InHW         bool   `json:"in_hw,omitempty"`
	NotInHW      bool   `json:"not_in_hw,omitempty"`
	SkipHW       bool   `json:"skip_hw,omitempty"`
	SkipSW       bool   `json:"skip_sw,omitempty"`
	// ProgID, ProgName, Tag and Jited describe the loaded program.
	ProgID   uint32 `json:"prog_id,omitzero"`
	ProgName string `json:"prog_name,omitempty"`
	Tag      string `json:"tag,omitempty"`
	Jited    bool   `json:"jited,omitempty"`
	// Details are continuation lines (actions of non-BPF filters), kept verbatim.
	Details []string `json:"details,omitempty"`
}

// IsCalico reports a filter running one of Calico's programs.
func (f TCFilter) IsCalico() bool {
	return hasAnyPrefix(f.ProgName, "cali_", "calico_") || containsAny(f.Name, "cali_", "calico")
}
