package output

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/netip"
	"reflect"
	"strings"
	"testing"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/model"
)

func route(dest string) model.Route {
	return model.Route{Dest: netip.MustParsePrefix(dest), Flags: model.RouteLocal | model.RouteHost}
}

func TestItemJSONAddsNodeAndExtraFields(t *testing.T) {
	b, err := Item{Node: "n1", Row: route("10.0.0.1/32"), Extra: map[string]any{"z": 1, "a": "<x>"}}.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	want := `{"node":"n1","dest":"10.0.0.1/32","flags":["local","host"],"a":"<x>","z":1}`
	if string(b) != want {
		t.Errorf("got  %s\nwant %s", b, want)
	}
	plain, _ := json.Marshal(Item{Row: route("10.0.0.1/32")})
	if strings.Contains(string(plain), "node") {
		t.Errorf("an item without a node names one: %s", plain)
	}
	if _, err := json.Marshal(Item{Node: "n1", Row: 42}); err == nil {
		t.Error("a row that is not an object was accepted")
	}
}

// The streamed JSON must be the same document as encoding the whole List at once.
func TestStreamedJSONEqualsWholeDocument(t *testing.T) {
	items := []Item{{Row: route("10.0.0.1/32")}, {Node: "n2", Row: route("10.0.0.2/32")}}
	sum := Summary{Warnings: []Warning{{Line: 3, Text: "junk", Reason: "not understood"}}, WarningsDropped: 2}
	for _, n := range []int{0, 1, 2} {
		var out, errOut, whole bytes.Buffer
		p := NewListPrinter(&out, &errOut, JSON, "routes", RouteView)
		for _, it := range items[:n] {
			if err := p.Add(it); err != nil {
				t.Fatal(err)
			}
		}
		if err := p.Close(sum); err != nil {
			t.Fatal(err)
		}
		if err := WriteJSON(&whole, newList("routes", items[:n], sum)); err != nil {
			t.Fatal(err)
		}
		var got, want any
		if err := json.Unmarshal(out.Bytes(), &got); err != nil {
			t.Fatalf("%d items: invalid JSON %v:\n%s", n, err, out.String())
		}
		_ = json.Unmarshal(whole.Bytes(), &want)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%d items:\n%s\nwant\n%s", n, out.String(), whole.String())
		}
	}
}

func TestYAMLDocument(t *testing.T) {
	var out, errOut bytes.Buffer
	p := NewListPrinter(&out, &errOut, YAML, "routes", RouteView)
	_ = p.Add(Item{Row: route("10.0.0.1/32")})
	if err := p.Close(Summary{}); err != nil {
		t.Fatal(err)
	}
	want := "items:\n- dest: 10.0.0.1/32\n  flags:\n  - local\n  - host\nkind: routes\nwarnings: []\n"
	if out.String() != want {
		t.Errorf("yaml:\n%s\nwant\n%s", out.String(), want)
	}
}

func TestEmptyResult(t *testing.T) {
	for _, f := range Formats {
		var out, errOut bytes.Buffer
		if err := NewListPrinter(&out, &errOut, f, "routes", RouteView).Close(Summary{}); err != nil {
			t.Fatal(err)
		}
		switch f {
		case Table, Wide:
			if out.String() != "" || errOut.String() != "No routes found.\n" {
				t.Errorf("%s: stdout %q, stderr %q", f, out.String(), errOut.String())
			}
		case JSON:
			if out.String() != "{\n  \"kind\": \"routes\",\n  \"items\": [],\n  \"warnings\": []\n}\n" || errOut.String() != "" {
				t.Errorf("json: stdout %q, stderr %q", out.String(), errOut.String())
			}
		case YAML:
			if !strings.Contains(out.String(), "items: []") {
				t.Errorf("yaml: %q", out.String())
			}
		}
	}
}

func TestWarningsAfterDataAndBounded(t *testing.T) {
	var sum Summary
	for i := 1; i <= MaxStderrWarnings+2; i++ {
		sum.Warnings = append(sum.Warnings, Warning{Line: i, Text: "junk\x1b", Reason: "not understood"})
	}
	sum.WarningsDropped = 5
	var out, errOut bytes.Buffer
	p := NewListPrinter(&out, &errOut, Table, "routes", RouteView)
	_ = p.Add(Item{Row: route("10.0.0.1/32")})
	if err := p.Close(sum); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(errOut.String(), "\n"), "\n")
	if len(lines) != MaxStderrWarnings+1 {
		t.Fatalf("stderr has %d lines:\n%s", len(lines), errOut.String())
	}
	if lines[0] != `warning: line 1: not understood: "junk\x1b"` {
		t.Errorf("first warning %q", lines[0])
	}
	if lines[MaxStderrWarnings] != "warning: 7 more warnings not shown" {
		t.Errorf("last line %q", lines[MaxStderrWarnings])
	}
	if !strings.HasPrefix(out.String(), "DESTINATION") {
		t.Errorf("stdout %q", out.String())
	}
}

func TestNodeColumnWhenRowsHaveNodes(t *testing.T) {
	var out, errOut bytes.Buffer
	p := NewListPrinter(&out, &errOut, Table, "routes", RouteView)
	_ = p.Add(Item{Node: "node-1", Row: route("10.0.0.1/32")})
	_ = p.Add(Item{Node: "node-2", Row: route("10.0.0.2/32")})
	if err := p.Close(Summary{}); err != nil {
		t.Fatal(err)
	}
	want := "NODE     DESTINATION   TYPE         NEXT HOP   FLAGS\n" +
		"node-1   10.0.0.1/32   local,host   <none>     <none>\n" +
		"node-2   10.0.0.2/32   local,host   <none>     <none>\n"
	if out.String() != want {
		t.Errorf("table:\n%s\nwant:\n%s", out.String(), want)
	}
}

func TestAbort(t *testing.T) {
	for _, f := range Formats {
		var out, errOut bytes.Buffer
		p := NewListPrinter(&out, &errOut, f, "routes", RouteView)
		_ = p.Add(Item{Row: route("10.0.0.1/32")})
		if err := p.Abort(); err != nil {
			t.Fatal(err)
		}
		got := out.String()
		if f == JSON {
			// Streamed items are flushed, but the document stays unterminated.
			if !strings.Contains(got, `"10.0.0.1/32"`) || json.Valid(out.Bytes()) {
				t.Errorf("json after abort: %q", got)
			}
		} else if got != "" {
			t.Errorf("%s after abort: %q", f, got)
		}
	}
}

func TestViewRejectsOtherRows(t *testing.T) {
	p := NewListPrinter(new(bytes.Buffer), new(bytes.Buffer), Table, "routes", RouteView)
	if err := p.Add(Item{Row: model.ARPEntry{}}); err == nil || !strings.Contains(err.Error(), "model.ARPEntry") {
		t.Errorf("err = %v", err)
	}
}

func TestShortList(t *testing.T) {
	for n, want := range map[int]string{0: "<none>", 1: "a0", 3: "a0,a1,a2", 5: "a0,a1,a2 +2 more"} {
		items := make([]string, n)
		for i := range items {
			items[i] = fmt.Sprintf("a%d", i)
		}
		if got := shortList(items); got != want {
			t.Errorf("shortList(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestWriteTableMeasuresRunesNotBytes(t *testing.T) {
	var b bytes.Buffer
	if err := WriteTable(&b, []string{"EXEC TIME", "X"}, [][]string{{"7.366µs", "a"}, {"1s", "b\tc"}}); err != nil {
		t.Fatal(err)
	}
	want := "EXEC TIME   X\n7.366µs     a\n1s          b\\tc\n"
	if b.String() != want {
		t.Errorf("got\n%q\nwant\n%q", b.String(), want)
	}
}

func TestLiveTableGroupsRowsByNode(t *testing.T) {
	var out, errOut bytes.Buffer
	p := NewListPrinter(&out, &errOut, Table, "routes", RouteView)
	for _, node := range []string{"node-3", "node-1", "node-3", "node-2"} {
		r := model.Route{Dest: netip.MustParsePrefix("10.65.0.0/16")}
		if err := p.Add(Item{Node: node, Row: r, Names: "owner of " + node}); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.Close(Summary{}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	want := []string{"node-1", "node-2", "node-3", "node-3"}
	for i, node := range want {
		if !strings.HasPrefix(lines[i+1], node+" ") || !strings.HasSuffix(lines[i+1], "owner of "+node) {
			t.Errorf("row %d = %q, want node %s first and its names last", i, lines[i+1], node)
		}
	}
	if !strings.HasPrefix(lines[0], "NODE ") || !strings.HasSuffix(lines[0], "KUBERNETES") {
		t.Errorf("header = %q", lines[0])
	}
}
