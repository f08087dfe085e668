package parse

import (
	"io"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/model"
)

// TraceStream decodes a live trace pipe (`tc exec bpf debug` or a trace_pipe read) as it
// arrives, one event per line. It differs from Trace in what a line it does not understand
// means: a saved trace is a document, where an error line says the tool failed; a live pipe
// is shared by every program on the node that calls bpf_trace_printk, so a strange line is
// only counted, handed to bad (when set) and skipped, and the stream goes on. Every such line
// reaches bad, even past Options.MaxWarnings, which bounds only Report.Warnings.
//
// The reader is read once per line: each event reaches fn as soon as its newline arrives.
// TraceStream returns when r ends or fails, or when fn returns an error.
func TraceStream(r io.Reader, opts Options, fn func(model.TraceEvent) error, bad func(Warning)) (Report, error) {
	opts.Format = FormatText
	s := newSession(KindTrace, r, opts)
	return s.finish(func() error {
		var ev model.TraceEvent
		for {
			line, num, ok, err := s.next()
			if err != nil || !ok {
				return err
			}
			if !parseTraceLine(line, &ev) {
				const reason = "not a trace line"
				s.warn(num, line, reason)
				if bad != nil {
					bad(Warning{Line: num, Text: string(line), Reason: reason})
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
