package output

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/parse"
)

// update rewrites the golden files: go test ./pkg/output -update
var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// fixtures is pkg/parse's testdata: real output of Calico's tools, per version.
const fixtures = "../parse/testdata/"

// viewCase renders one fixture of one kind.
type viewCase struct {
	name    string // golden file stem
	kind    parse.Kind
	fixture string // under fixtures
	view    View
}

var viewCases = []viewCase{
	{"routes-v3.32.1", parse.KindRoutes, "v3.32.1/routes-dump.stdout.txt", RouteView},
	{"routes-v6-v3.32.1", parse.KindRoutes, "v3.32.1/routes-dump-v6.stdout.txt", RouteView},
	{"nat-v3.32.1", parse.KindNAT, "v3.32.1/nat-dump.stdout.txt", NATView},
	{"nat-v6-v3.32.1", parse.KindNAT, "v3.32.1/nat-dump-v6.stdout.txt", NATView},
	{"nat-aff-v3.32.1", parse.KindNATAffinity, "v3.32.1/nat-aff.stdout.txt", NATAffinityView},
	{"maglev-v3.32.1", parse.KindMaglev, "v3.32.1/nat-maglev.stdout.txt", MaglevView},
	{"ipsets-v3.32.1", parse.KindIPSets, "v3.32.1/ipsets-dump.stdout.txt", IPSetView},
	{"conntrack-v3.32.1", parse.KindConntrack, "v3.32.1/conntrack-dump.stdout.txt", ConntrackView},
	{"conntrack-raw-v3.32.1", parse.KindConntrack, "v3.32.1/conntrack-dump-raw.stdout.txt", ConntrackView},
	{"conntrack-raw-v3.22.5", parse.KindConntrack, "v3.22.5/conntrack-dump.stdout.txt", ConntrackView},
	{"conntrack-stats-v3.32.1", parse.KindConntrackStats, "v3.32.1/conntrack-stats.stdout.txt", ConntrackStatsView},
	{"arp-v3.32.1", parse.KindARP, "v3.32.1/arp-dump.stdout.txt", ARPView},
	{"counters-v3.32.1", parse.KindCounters, "v3.32.1/counters-dump.stdout.txt", CountersView},
	{"ifstate-v3.32.1", parse.KindIfState, "v3.32.1/ifstate-dump.stdout.txt", IfStateView},
	{"qdisc-runbook-2021", parse.KindQdisc, "handwritten/qdisc-runbook-2021.txt", QdiscView},
	{"trace-runbook-2021", parse.KindTrace, "handwritten/trace-runbook-2021.txt", TraceView},
}

// TestViewsGolden renders every kind in table, wide and json form from real fixtures.
func TestViewsGolden(t *testing.T) {
	for _, c := range viewCases {
		t.Run(c.name, func(t *testing.T) {
			for _, f := range []Format{Table, Wide, JSON} {
				out, errOut := render(t, c.kind, c.fixture, f, func(out, errOut *bytes.Buffer) ListPrinter {
					return NewListPrinter(out, errOut, f, c.kind.String(), c.view)
				})
				if errOut != "" {
					t.Errorf("%s: stderr %q", f, errOut)
				}
				checkGolden(t, c.name+"."+string(f), out)
			}
		})
	}
}

// TestNATExplainGolden explains the NAT fixtures in text, wide and json form.
func TestNATExplainGolden(t *testing.T) {
	for _, c := range []struct{ name, fixture string }{
		{"nat-explain-v3.32.1", "v3.32.1/nat-dump.stdout.txt"},
		{"nat-explain-v3.22.5", "v3.22.5/nat-dump.stdout.txt"},
		{"nat-explain-v6-v3.32.1", "v3.32.1/nat-dump-v6.stdout.txt"},
	} {
		t.Run(c.name, func(t *testing.T) {
			for _, f := range []Format{Table, Wide, JSON} {
				out, _ := render(t, parse.KindNAT, c.fixture, f, func(out, errOut *bytes.Buffer) ListPrinter {
					return NewNATExplainPrinter(out, errOut, f, "nat")
				})
				checkGolden(t, c.name+"."+string(f), out)
			}
		})
	}
}

// render decodes a fixture into items and prints them; it returns stdout and stderr.
func render(t *testing.T, kind parse.Kind, fixture string, f Format, newPrinter func(out, errOut *bytes.Buffer) ListPrinter) (string, string) {
	t.Helper()
	in, err := os.Open(filepath.Join(fixtures, fixture))
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	var out, errOut bytes.Buffer
	p := newPrinter(&out, &errOut)
	rep, err := parse.Decode(kind, in, parse.Options{}, func(row any) error { return p.Add(Item{Row: row}) })
	if err != nil {
		t.Fatalf("decode %s: %v", fixture, err)
	}
	if rep.Rows == 0 {
		t.Fatalf("decode %s: no rows", fixture)
	}
	if err := p.Close(summaryOf(rep)); err != nil {
		t.Fatalf("%s: %v", f, err)
	}
	return out.String(), errOut.String()
}

func summaryOf(rep parse.Report) Summary {
	s := Summary{WarningsDropped: rep.WarningsDropped}
	for _, w := range rep.Warnings {
		s.Warnings = append(s.Warnings, Warning{Line: w.Line, Text: w.Text, Reason: w.Reason})
	}
	return s
}

func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./pkg/output -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file (go test ./pkg/output -update rewrites it):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}
