package model

// TraceEvent is one line of the kernel trace pipe with Calico's BPF debug
// logging on (bpfLogLevel: Debug), as read by `tc exec bpf debug`,
// `cat /sys/kernel/debug/tracing/trace_pipe` or `bpftool prog tracelog`:
//
//	<...>-84582 [000] .Ns1  6851.690474: 0: ens192---E: Final result=ALLOW (-1). Program execution time: 7366ns
type TraceEvent struct {
	// Line is the line number in the input.
	Line int `json:"line"`
	// Task and PID are the task that was running ("<...>" when the comm is unknown).
	Task string `json:"task,omitempty"`
	PID  int    `json:"pid,omitzero"`
	CPU  int    `json:"cpu"`
	// IRQFlags is the irq-info column (".Ns1"), when the kernel prints it.
	IRQFlags string `json:"irq_flags,omitempty"`
	// Time is the trace timestamp: time since boot.
	Time Duration `json:"time"`
	// IPv6 is set for lines of Calico's IPv6 programs ("IPv6 " prefix).
	IPv6 bool `json:"ipv6,omitempty"`
	// Iface is the interface (Calico pads it with '-'); "CTLB" for connect-time programs.
	Iface string `json:"iface,omitempty"`
	// Direction is "I" (ingress), "E" (egress), "X" (XDP) or "C" (connect time).
	Direction string `json:"direction,omitempty"`
	// Message is the text after the interface prefix.
	Message string `json:"message"`
	// Result and ResultCode come from "Final result=ALLOW (-1).".
	Result     string `json:"result,omitempty"`
	ResultCode int    `json:"result_code,omitzero"`
	// ExecTime comes from "Program execution time: 7366ns".
	ExecTime Duration `json:"exec_time,omitzero"`
	// Lost is the number of events the kernel dropped ("CPU:3 [LOST 12 EVENTS]").
	Lost int `json:"lost,omitzero"`
}
