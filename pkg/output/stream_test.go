package output

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/model"
)

// writes records every Write, to check that each row is one whole write.
type writes []string

func (w *writes) Write(b []byte) (int, error) { *w = append(*w, string(b)); return len(b), nil }

var streamEvents = []model.TraceEvent{
	{Line: 1, Task: "<idle>", CPU: 1, Time: model.D(6851*time.Second + 690101*time.Microsecond), Iface: "eth0", Direction: "I", Message: "New packet at ifindex=2; mark=0"},
	{Line: 2, Task: "ping", PID: 4242, CPU: 0, Time: model.D(1234*time.Second + 510007*time.Microsecond), IPv6: true, Iface: "calia1b2c3d4e5f", Direction: "E",
		Message: "Final result=DENY (2). Program execution time: 3900ns", Result: "DENY", ResultCode: 2, ExecTime: model.D(3900)},
	{Line: 3, CPU: 4, Lost: 12},
}

func TestTraceStreamTableIsAlignedFromTheFirstRow(t *testing.T) {
	var w writes
	p := NewTraceStreamPrinter(&w, Table)
	for _, ev := range streamEvents {
		if err := p.Add(Item{Node: "node-1", Row: ev}); err != nil {
			t.Fatal(err)
		}
	}
	if len(w) != 3 || strings.Count(w[0], "\n") != 2 || strings.Count(w[1], "\n") != 1 {
		t.Fatalf("want the header with the first row, then one write per row: %q", w)
	}
	lines := strings.Split(strings.Join(w, ""), "\n")
	// MESSAGE is last and starts at the same column in every line, although the rows' cells
	// differ in length: the widths were fixed before the first row.
	col := strings.Index(lines[0], "MESSAGE")
	if col < 0 || !strings.HasPrefix(lines[0], "TIME ") {
		t.Fatalf("header %q", lines[0])
	}
	for i, want := range []string{"New packet at ifindex=2; mark=0", "Final result=DENY (2).", "lost 12 events"} {
		if got := lines[i+1]; len(got) <= col || !strings.HasPrefix(got[col:], want) {
			t.Errorf("row %d %q: message not at column %d", i+1, got, col)
		}
	}
	if !strings.HasPrefix(lines[1], "6851.690101") || !strings.Contains(lines[2], "calia1b2c3d4e5f") || !strings.Contains(lines[2], "egress") {
		t.Errorf("cells:\n%s", strings.Join(lines, "\n"))
	}
}

func TestTraceStreamWideGrowsAColumnInsteadOfCutting(t *testing.T) {
	var b strings.Builder
	p := NewTraceStreamPrinter(&b, Wide)
	long := streamEvents[1]
	long.Task = "a-task-name-longer-than-the-kernel-allows"
	for _, ev := range []model.TraceEvent{streamEvents[0], long, streamEvents[0]} {
		if err := p.Add(Item{Row: ev}); err != nil {
			t.Fatal(err)
		}
	}
	lines := strings.Split(b.String(), "\n")
	for _, h := range []string{"LINE", "TASK", "CPU", "FAMILY", "RESULT", "EXEC TIME"} {
		if !strings.Contains(lines[0], h) || strings.Index(lines[0], h) > strings.Index(lines[0], "MESSAGE") {
			t.Errorf("wide header lacks %s before MESSAGE: %q", h, lines[0])
		}
	}
	if !strings.Contains(lines[2], long.Task+"-4242") || !strings.Contains(lines[2], "DENY (2)") || !strings.Contains(lines[2], "3.9µs") {
		t.Errorf("long row %q", lines[2])
	}
	// The row after the long one uses the widened column: MESSAGE moves right with it.
	if strings.Index(lines[3], "New packet") <= strings.Index(lines[1], "New packet") {
		t.Errorf("the column did not widen:\n%s", b.String())
	}
}

func TestTraceStreamNDJSON(t *testing.T) {
	var w writes
	p := NewTraceStreamPrinter(&w, JSON)
	for _, ev := range streamEvents {
		if err := p.Add(Item{Node: "node-2", Row: ev}); err != nil {
			t.Fatal(err)
		}
	}
	if len(w) != 3 {
		t.Fatalf("%d writes for 3 events", len(w))
	}
	for i, line := range w {
		if !strings.HasSuffix(line, "}\n") || strings.Count(line, "\n") != 1 {
			t.Fatalf("write %d is not one JSON line: %q", i, line)
		}
		var got map[string]any
		if err := json.Unmarshal([]byte(line), &got); err != nil {
			t.Fatalf("line %d: %v", i, err)
		}
		if got["node"] != "node-2" || got["line"] != float64(streamEvents[i].Line) {
			t.Errorf("line %d: %v", i, got)
		}
	}
	if !strings.Contains(w[0], `"task":"<idle>"`) || !strings.Contains(w[1], `"result":"DENY"`) || !strings.Contains(w[2], `"lost":12`) {
		t.Errorf("fields: %q", w)
	}
}

func TestTraceStreamYAMLDocuments(t *testing.T) {
	var b strings.Builder
	p := NewTraceStreamPrinter(&b, YAML)
	for _, ev := range streamEvents[:2] {
		if err := p.Add(Item{Node: "n", Row: ev}); err != nil {
			t.Fatal(err)
		}
	}
	if strings.Count(b.String(), "---\n") != 2 || !strings.Contains(b.String(), "iface: calia1b2c3d4e5f") {
		t.Errorf("yaml:\n%s", b.String())
	}
}
