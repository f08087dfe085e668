package parse

import (
	"bytes"
	"io"
	"time"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/model"
)

// Trace decodes BPF trace-pipe lines (`tc exec bpf debug`, trace_pipe,
// `bpftool prog tracelog`), with or without the task column:
//
//	<...>-84582 [000] .Ns1  6851.690474: 0: ens192---E: Final result=ALLOW (-1). Program execution time: 7366ns
//	ping-1234 [003] d.s.  1234.567890: bpf_trace_printk: eth0-----------I: New packet at ifindex=2
//	[000] 6851.690474: 0: CTLB------------: …
//	CPU:3 [LOST 12 EVENTS]
//
// Calico's message prefix is the interface padded with '-' and a direction
// letter (I ingress, E egress, X XDP, C connect time), or "CTLB---…" for
// the connect-time programs; "IPv6 " comes first for IPv6 programs.
func Trace(r io.Reader, opts Options, fn func(model.TraceEvent) error) (Report, error) {
	opts.Format = FormatText
	s := newSession(KindTrace, r, opts)
	return s.finish(func() error {
		for {
			line, num, ok, err := s.next()
			if err != nil || !ok {
				return err
			}
			var ev model.TraceEvent
			if !parseTraceLine(line, &ev) {
				if err := s.other(line, num); err != nil {
					return err
				}
				continue
			}
			ev.Line = num
			if err := emit(s, fn, ev); err != nil {
				return err
			}
		}
	}())
}

func parseTraceLine(line []byte, ev *model.TraceEvent) bool {
	*ev = model.TraceEvent{}
	if lost, ok := parseLostEvents(line, ev); ok {
		return lost
	}
	// the CPU column "[003]" splits the task from the rest
	open := -1
	for i := 0; i+4 < len(line); i++ {
		if line[i] == '[' && (i == 0 || line[i-1] == ' ') {
			if j := bytes.IndexByte(line[i:], ']'); j > 1 && isDigits(line[i+1:i+j]) {
				open = i
				break
			}
		}
	}
	if open < 0 {
		return false
	}
	closeAt := open + bytes.IndexByte(line[open:], ']')
	cpu, _ := parseUint(line[open+1 : closeAt])
	ev.CPU = int(cpu)
	if task := trimSpace(line[:open]); len(task) > 0 {
		dash := bytes.LastIndexByte(task, '-')
		if dash <= 0 {
			return false
		}
		pid, ok := parseUint(task[dash+1:])
		if !ok {
			return false
		}
		ev.Task, ev.PID = string(task[:dash]), int(pid)
	}
	rest := line[closeAt+1:]
	tok, after := nextField(rest)
	if !bytes.HasSuffix(tok, []byte(":")) { // irq flags column
		ev.IRQFlags = string(tok)
		tok, after = nextField(after)
	}
	ts, ok := traceTimestamp(bytes.TrimSuffix(tok, []byte(":")))
	if !ok || !bytes.HasSuffix(tok, []byte(":")) {
		return false
	}
	ev.Time = model.D(ts)
	fn, msg := nextField(after) // "0:" or "bpf_trace_printk:"
	if !bytes.HasSuffix(fn, []byte(":")) {
		return false
	}
	traceMessage(trimSpace(msg), ev)
	return true
}

// parseLostEvents reads "CPU:3 [LOST 12 EVENTS]".
func parseLostEvents(line []byte, ev *model.TraceEvent) (isRow, matched bool) {
	rest, ok := cutPrefix(line, "CPU:")
	if !ok {
		return false, false
	}
	cpuB, rest := nextField(rest)
	lostWord, rest := nextField(rest)
	n, rest := nextField(rest)
	events, _ := nextField(rest)
	cpu, ok1 := parseUint(cpuB)
	lost, ok2 := parseUint(n)
	if !ok1 || !ok2 || string(lostWord) != "[LOST" || string(events) != "EVENTS]" {
		return false, false
	}
	ev.CPU, ev.Lost = int(cpu), int(lost)
	return true, true
}

// traceTimestamp reads "6851.690474" (seconds.microseconds since boot).
func traceTimestamp(b []byte) (time.Duration, bool) {
	secB, fracB, _ := bytes.Cut(b, []byte("."))
	sec, ok := parseUintMax(secB, 1<<33)
	if !ok {
		return 0, false
	}
	d := time.Duration(sec) * time.Second
	if len(fracB) > 0 {
		if len(fracB) > 9 {
			return 0, false
		}
		frac, ok := parseUint(fracB)
		if !ok {
			return 0, false
		}
		for i := len(fracB); i < 9; i++ {
			frac *= 10
		}
		d += time.Duration(frac)
	}
	return d, true
}

// traceMessage splits Calico's prefix off the message and reads the verdict line.
func traceMessage(msg []byte, ev *model.TraceEvent) {
	if rest, ok := cutPrefix(msg, "IPv6 "); ok {
		ev.IPv6, msg = true, rest
	}
	if prefix, rest, ok := bytes.Cut(msg, []byte(": ")); ok {
		if iface, dir, ok := calicoTracePrefix(prefix); ok {
			ev.Iface, ev.Direction, msg = iface, dir, rest
		}
	}
	ev.Message = string(msg)
	if v, ok := bytes.CutPrefix(msg, []byte("Final result=")); ok {
		word, rest := nextField(v)
		ev.Result = string(word)
		if code, ok := bytes.CutPrefix(rest, []byte(" (")); ok {
			if end := bytes.IndexByte(code, ')'); end > 0 {
				if n, ok := parseInt(code[:end]); ok && n >= -1<<31 && n < 1<<31 {
					ev.ResultCode = int(n)
				}
			}
		}
	}
	if _, t, ok := bytes.Cut(msg, []byte("Program execution time: ")); ok {
		tok, _ := nextField(t)
		if d, ok := parseDuration(bytes.TrimSuffix(tok, []byte("."))); ok {
			ev.ExecTime = model.D(d)
		}
	}
}

// calicoTracePrefix reads "ens192---E", "eth0-----------I" or "CTLB------------".
func calicoTracePrefix(p []byte) (iface, dir string, ok bool) {
	if bytes.HasPrefix(p, []byte("CTLB")) && len(bytes.Trim(p[4:], "-")) == 0 {
		return "CTLB", "C", true
	}
	if len(p) < 3 || p[len(p)-2] != '-' || bytes.IndexByte(p, ' ') >= 0 {
		return "", "", false
	}
	switch d := p[len(p)-1]; d {
	case 'I', 'E', 'X', 'C':
		name := bytes.TrimRight(p[:len(p)-1], "-")
		if len(name) == 0 {
			return "", "", false
		}
		return string(name), string(d), true
	}
	return "", "", false
}
