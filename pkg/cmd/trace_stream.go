package cmd

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/annotate"
	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/model"
	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/output"
	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/parse"
)

// tracePump moves one live trace from the exec's stdout to the printer: parse each line as it
// arrives, filter, print, count. It owns no I/O of its own, so tests drive it with any reader.
type tracePump struct {
	node   string
	filter annotate.TraceFilter
	// limit is --count: stop after that many printed events (0: never).
	limit int
	p     output.StreamPrinter
	// verbose, when set, gets each line that is not a trace event as it comes (-v).
	verbose io.Writer

	tally traceTally
}

// traceTally is what a trace saw, for the summary on stderr.
type traceTally struct {
	Shown, Filtered, Unparsable int
	// Lost is the number of events the kernel dropped ("[LOST n EVENTS]").
	Lost  int
	Lines int
}

// run reads r until it ends, fails, or the limit is reached (errTraceCount). Lines that are
// not events are counted (and shown with -v); they never stop the stream.
func (t *tracePump) run(r io.Reader) error {
	rep, err := parse.TraceStream(r, parse.Options{}, t.event, t.bad)
	t.tally.Unparsable = len(rep.Warnings) + rep.WarningsDropped
	t.tally.Lines += rep.Lines
	return err
}

func (t *tracePump) event(ev model.TraceEvent) error {
	t.tally.Lost += ev.Lost
	if !t.filter.Match(ev) {
		t.tally.Filtered++
		return nil
	}
	if err := t.p.Add(output.Item{Node: t.node, Row: ev}); err != nil {
		return err
	}
	t.tally.Shown++
	if t.limit > 0 && t.tally.Shown >= t.limit {
		return errTraceCount
	}
	return nil
}

func (t *tracePump) bad(w parse.Warning) {
	if t.verbose != nil {
		fmt.Fprintf(t.verbose, "trace: node %s: line %d is not a trace event: %s\n", t.node, w.Line, output.EscapeText(w.Text))
	}
}

// summary is the line stderr gets at the end, however the trace ended.
func (t *tracePump) summary(elapsed time.Duration, source string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "trace of node %s", t.node)
	if source != "" {
		fmt.Fprintf(&b, " (%s)", source)
	}
	fmt.Fprintf(&b, " ended after %s: %s shown, %s filtered out, %s not understood",
		elapsed.Round(100*time.Millisecond), count(t.tally.Shown, "event"), count(t.tally.Filtered, "event"),
		count(t.tally.Unparsable, "line"))
	if t.tally.Unparsable > 0 && t.verbose == nil {
		b.WriteString(" (-v shows them)")
	}
	if t.tally.Lost > 0 {
		fmt.Fprintf(&b, "; the kernel dropped %s", count(t.tally.Lost, "event"))
	}
	return b.String()
}

// count writes "1 event", "3 events".
func count(n int, word string) string { return fmt.Sprintf("%d %s", n, plural(n, word, word+"s")) }

// isStop reports whether err only says why the stream was stopped on purpose.
func isStop(err error) bool { return errors.Is(err, errTraceCount) }
