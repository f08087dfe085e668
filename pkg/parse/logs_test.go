package parse

import (
	"testing"
	"time"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/model"
)

func TestFelixLogFacts(t *testing.T) {
	input := handwritten(t, "felixlog-runbook-2021.txt") +
		"2024-01-02 03:04:05.678 [INFO][485] felix/int_dataplane.go 401: Some other line\n" +
		"2024-01-02 03:04:05.679 [ERROR][485] felix/int_dataplane.go 412: BPF dataplane mode enabled but not supported by the kernel.  Disabling BPF mode. error=\"kernel is too old (have: 4.15.0 but want at least: 5.3.0)\"\n" +
		"2025-06-01 10:00:00.000 [INFO][99] felix/bpf_ep_mgr.go 1200: tcx is not supported. Falling back to tc\n" +
		"[pod/calico-node-abc/calico-node] 2025-06-01T10:00:00.123456789Z 2025-06-01 10:00:00.123 [INFO][99] felix/attach.go 140: Program attached to tcx. attachPoint=&tc.AttachPoint{AttachPoint:bpf.AttachPoint{Hook:ingress, PolicyIdxV4:3, Iface:\"eth0\"}}\n" +
		"2023-05-05 05:05:05.555 [WARNING][7] felix/attach.go 120: Failed to attach to TC section cali_tc_preamble attachPoint=&tc.AttachPoint{AttachPoint:bpf.AttachPoint{Hook:egress, Iface:\"cali12345\"}} error=\"no such device\"\n" +
		"time=\"2025-06-01T10:00:00Z\" level=info msg=\"Program attached to TC.\" iface=eth1 hook=egress\n" +
		"2025-06-02 08:00:00.000 [INFO][120] felix/daemon.go 384: Successfully loaded configuration. GOMAXPROCS=2 config=&config.Config{BPFEnabled:false}\n" +
		"goroutine 1 [running]:\n"
	rows, rep, err := decodeString(t, FelixLog, input, Options{})
	if err != nil || len(rep.Warnings) != 0 {
		t.Fatalf("err %v report %+v", err, rep)
	}
	kinds := []model.FelixFactKind{model.FactBPFEnabled, model.FactBPFEnabled, model.FactBPFUnsupported, model.FactTCXFallback,
		model.FactProgramAttached, model.FactAttachError, model.FactProgramAttached, model.FactConfigLoaded}
	if len(rows) != len(kinds) || rep.Skipped != 2 {
		t.Fatalf("got %d facts (%+v), skipped %d", len(rows), rows, rep.Skipped)
	}
	for i, k := range kinds {
		if rows[i].Kind != k {
			t.Errorf("fact %d: %s, want %s", i, rows[i].Kind, k)
		}
	}
	if r := rows[0]; r.Time != "2021-04-28 13:39:59.112" || r.PID != 485 || r.Level != "INFO" || r.Source != "felix/int_dataplane.go 713" || r.Line != 1 {
		t.Errorf("fact 0: %+v", r)
	}
	if r := rows[2]; r.Error != "kernel is too old (have: 4.15.0 but want at least: 5.3.0)" || r.Message != "BPF dataplane mode enabled but not supported by the kernel.  Disabling BPF mode." {
		t.Errorf("fact 2: %+v", r)
	}
	if r := rows[4]; r.AttachMode != "tcx" || r.Iface != "eth0" || r.Hook != "ingress" {
		t.Errorf("fact 4: %+v", r)
	}
	if r := rows[5]; r.Iface != "cali12345" || r.Hook != "egress" || r.Error != "no such device" || r.Level != "WARNING" {
		t.Errorf("fact 5: %+v", r)
	}
	if r := rows[6]; r.AttachMode != "TC" || r.Iface != "eth1" || r.Hook != "egress" {
		t.Errorf("fact 6: %+v", r)
	}
	if r := rows[7]; r.Message != "Successfully loaded configuration." || r.Fields != "GOMAXPROCS=2 config=&config.Config{BPFEnabled:false}" {
		t.Errorf("fact 7: %+v", r)
	}
}

func TestTraceLines(t *testing.T) {
	input := handwritten(t, "trace-runbook-2021.txt") +
		"            ping-1234    [003] d.s.1  1234.567890: bpf_trace_printk: eth0-----------I: New packet at ifindex=2; mark=0\n" +
		"[001] 99.5: 0: IPv6 cali12345------E: Final result=DENY (2). Program execution time: 1.5µs\n" +
		"          <idle>-0       [002] ..s.  500.000001: 0: CTLB------------: connect 10.0.0.1:80\n" +
		"CPU:3 [LOST 12 EVENTS]\n"
	rows := mustDecode(t, Trace, input)
	checkRows(t, rows, []model.TraceEvent{
		{Line: 1, Task: "<...>", PID: 84582, CPU: 0, IRQFlags: ".Ns1", Time: model.D(6851*time.Second + 690474*time.Microsecond),
			Iface: "ens192", Direction: "E", Message: "Final result=ALLOW (-1). Program execution time: 7366ns", Result: "ALLOW", ResultCode: -1, ExecTime: model.D(7366)},
		{Line: 2, Task: "ping", PID: 1234, CPU: 3, IRQFlags: "d.s.1", Time: model.D(1234*time.Second + 567890*time.Microsecond),
			Iface: "eth0", Direction: "I", Message: "New packet at ifindex=2; mark=0"},
		{Line: 3, CPU: 1, Time: model.D(99*time.Second + 500*time.Millisecond), IPv6: true, Iface: "cali12345", Direction: "E",
			Message: "Final result=DENY (2). Program execution time: 1.5µs", Result: "DENY", ResultCode: 2, ExecTime: model.D(1500)},
		{Line: 4, Task: "<idle>", CPU: 2, IRQFlags: "..s.", Time: model.D(500*time.Second + time.Microsecond), Iface: "CTLB", Direction: "C", Message: "connect 10.0.0.1:80"},
		{Line: 5, CPU: 3, Lost: 12},
	})
}
