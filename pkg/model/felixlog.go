package model

// FelixLogFact is one line of the calico-node (Felix) log that says something
// about the BPF dataplane: whether it is on, why not, how programs attach.
type FelixLogFact struct {
	Kind FelixFactKind `json:"kind"`
	// Line is the line number in the log.
	Line int `json:"line"`
	// Time is the log timestamp as printed ("2021-04-28 13:39:59.112"); the
	// formatter prints the node's local time without a zone, so it stays text.
	Time    string `json:"time,omitempty"`
	Level   string `json:"level,omitempty"`
	PID     int    `json:"pid,omitzero"`
	Source  string `json:"source,omitempty"` // "felix/int_dataplane.go 713"
	Message string `json:"message"`
	// Fields is the key=value tail of the line, verbatim.
	Fields string `json:"fields,omitempty"`

	// AttachMode is "TC", "tc" or "tcx" for program-attached facts, as printed.
	AttachMode string `json:"attach_mode,omitempty"`
	// Iface and Hook are taken from the attach point when the line shows them.
	Iface string `json:"iface,omitempty"`
	Hook  string `json:"hook,omitempty"`
	// Error is the error= field (for bpf-unsupported: the kernel check's verdict).
	Error string `json:"error,omitempty"`
}

// FelixFactKind classifies a fact.
type FelixFactKind string

// Fact kinds.
const (
	// FactBPFEnabled: "BPF enabled, starting BPF endpoint manager and map manager." and its siblings.
	FactBPFEnabled FelixFactKind = "bpf-enabled"
	// FactBPFUnsupported: "BPF dataplane mode enabled but not supported by the kernel.  Disabling BPF mode."
	FactBPFUnsupported FelixFactKind = "bpf-unsupported"
	// FactTCXFallback: "tcx is not supported. Falling back to tc" (v3.31+).
	FactTCXFallback FelixFactKind = "tcx-fallback"
	// FactProgramAttached: "Program attached to TC." (v3.22–v3.30), "… to tc." / "… to tcx." (v3.31+).
	FactProgramAttached FelixFactKind = "program-attached"
	// FactConfigLoaded: "Successfully loaded configuration." Felix logs it at every start,
	// including the in-place restarts it does when FelixConfiguration changes, so it marks
	// where the facts of the running Felix begin.
	FactConfigLoaded FelixFactKind = "config-loaded"
	// FactAttachError: a failure to load or attach a BPF program.
	FactAttachError FelixFactKind = "attach-error"
)
