package parse

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/model"
)

// Each event must reach the callback as soon as its line is complete: the writer waits for the
// event of the line it wrote before writing the next one, so a decoder that read ahead would
// deadlock (and time out) here.
func TestTraceStreamDeliversEachLineAtOnce(t *testing.T) {
	lines := []string{
		"          <idle>-0       [001] ..s.  6851.690101: 0: ens192---I: New packet at ifindex=2; mark=0\n",
		"Running! Hang up with ^C!\n",
		"          <idle>-0       [002] d.s..  1234.500020: bpf_trace_printk: eth0------------I: Final result=ALLOW (-1). Program execution time: 4100ns\n",
	}
	pr, pw := io.Pipe()
	events := make(chan model.TraceEvent)
	var bad []Warning
	done := make(chan error, 1)
	go func() {
		_, err := TraceStream(pr, Options{}, func(ev model.TraceEvent) error {
			events <- ev
			return nil
		}, func(w Warning) { bad = append(bad, w) })
		close(events)
		done <- err
	}()
	var got []model.TraceEvent
	for _, l := range lines {
		if _, err := io.WriteString(pw, l); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(l, "Running!") {
			continue
		}
		select {
		case ev := <-events:
			got = append(got, ev)
		case <-time.After(5 * time.Second):
			t.Fatalf("no event for %q: the decoder waits for more input", l)
		}
	}
	pw.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Iface != "ens192" || got[0].Line != 1 || got[1].Result != "ALLOW" || got[1].Line != 3 {
		t.Errorf("events %+v", got)
	}
	if len(bad) != 1 || bad[0].Line != 2 || bad[0].Text != "Running! Hang up with ^C!" {
		t.Errorf("bad lines %+v", bad)
	}
}

// A line that looks like a tool's error ends a saved trace (Trace) but not a live one.
func TestTraceStreamNeverStopsOnStrangeLines(t *testing.T) {
	in := "Error: something printed by another program\n" +
		"panic: not ours either\n" +
		"[001] 99.5: 0: IPv6 cali12345------E: Final result=DENY (2).\n"
	var n, badN int
	rep, err := TraceStream(strings.NewReader(in), Options{MaxWarnings: 1}, func(model.TraceEvent) error { n++; return nil },
		func(Warning) { badN++ })
	if err != nil || n != 1 || badN != 2 || len(rep.Warnings) != 1 || rep.WarningsDropped != 1 || rep.Rows != 1 {
		t.Errorf("err %v, %d events, %d bad, report %+v", err, n, badN, rep)
	}
	if _, err := Trace(strings.NewReader(in), Options{}, func(model.TraceEvent) error { return nil }); !errors.Is(err, ErrToolError) {
		t.Errorf("Trace of the same input: %v, want a tool error", err)
	}
}

func TestTraceStreamStopsWhenTheCallbackFails(t *testing.T) {
	stop := errors.New("enough")
	data, err := os.ReadFile(filepath.Join("testdata", "handwritten", "trace-v3.29-kernel5.15.txt"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	_, err = TraceStream(strings.NewReader(string(data)), Options{}, func(model.TraceEvent) error {
		n++
		if n == 3 {
			return stop
		}
		return nil
	}, nil)
	if !errors.Is(err, stop) || n != 3 {
		t.Errorf("err %v after %d events", err, n)
	}
}
