package parse

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/model"
)

// readRun decodes one run of a fixture set by name.
func readRun(t *testing.T, set fixtureSet, name string) []any {
	t.Helper()
	for _, run := range set.Runs {
		if run.Name != name {
			continue
		}
		kind, _, _ := dumpKindOf(run.Argv)
		input, err := os.ReadFile(filepath.Join(set.Dir, run.Stdout))
		if err != nil {
			t.Fatal(err)
		}
		rows, _, err := decodeAll(t, kind, input, Options{})
		if err != nil {
			t.Fatal(err)
		}
		return rows
	}
	t.Fatalf("%s has no run %s", set.Version, name)
	return nil
}

// TestTextAndJSONAgree decodes the v3.32.1 runs that exist in both forms and
// compares the models. Where a form lacks a field (text has no "vxlan"
// route flag, pretty text no conntrack flags, raw JSON no legs) the other
// form's field is cleared first; rows in hash order are sorted.
func TestTextAndJSONAgree(t *testing.T) {
	var set fixtureSet
	for _, s := range loadFixtureSets(t) {
		if s.Version == "v3.32.1" {
			set = s
		}
	}
	if set.Dir == "" {
		t.Skip("no v3.32.1 fixtures")
	}
	pairs := []struct {
		text, json string
		norm       func(row any) any
		order      func(a, b any) int
	}{
		{"routes-dump", "routes-dump-json", func(r any) any {
			rt := r.(model.Route)
			rt.Flags &^= model.RouteVXLAN // JSON-only word
			return rt
		}, nil},
		{"nat-dump", "nat-dump-json", nil, natOrder},
		{"nat-dump-grouped", "nat-dump-grouped-json", func(r any) any {
			e := r.(model.NATEntry)
			if e.Frontend.SrcCIDR.IsValid() || e.Frontend.Addr.String() != "198.51.100.10" {
				return e
			}
			// The blackhole key: grouped text prints the group's count and backends.
			return model.NATEntry{Frontend: model.NATFrontend{Addr: e.Frontend.Addr, Port: e.Frontend.Port, ID: e.Frontend.ID}}
		}, natOrder},
		{"ipsets-dump", "ipsets-dump-json", nil, nil},
		{"arp-dump", "arp-dump-json", nil, func(a, b any) int { return a.(model.ARPEntry).IP.Compare(b.(model.ARPEntry).IP) }},
		{"ifstate-dump", "ifstate-dump-json", nil, func(a, b any) int { return cmp.Compare(a.(model.IfState).IfIndex, b.(model.IfState).IfIndex) }},
		{"counters-dump", "counters-dump-json", nil, nil},
		{"conntrack-stats", "conntrack-stats-json", nil, nil},
		{"nat-aff", "nat-aff-json", nil, nil},
		{"nat-maglev", "nat-maglev-json", nil, nil},
		{"conntrack-dump", "conntrack-dump-json", func(r any) any {
			e := r.(model.ConntrackEntry)
			e.ActiveAgo = model.Duration{} // the runs were moments apart
			e.Flags = 0                    // pretty text prints none
			return e
		}, ctOrder},
		{"conntrack-dump-raw", "conntrack-dump-raw-json", func(r any) any {
			e := r.(model.ConntrackEntry)
			keep := model.ConntrackEntry{ // what raw JSON carries
				Type: e.Type, Proto: e.Proto, Src: e.Src, Dst: e.Dst, Flags: e.Flags, TCPState: e.TCPState,
				AddrA: e.AddrA, PortA: e.PortA, AddrB: e.AddrB, PortB: e.PortB,
				RevProto: e.RevProto, RevAddrA: e.RevAddrA, RevPortA: e.RevPortA, RevAddrB: e.RevAddrB, RevPortB: e.RevPortB,
			}
			if keep.Type == model.ConntrackNATForward {
				keep.TCPState = model.TCPNone // raw JSON computes one for forward entries, text does not
			}
			return keep
		}, ctOrder},
	}
	for _, p := range pairs {
		t.Run(p.text, func(t *testing.T) {
			text, js := readRun(t, set, p.text), readRun(t, set, p.json)
			for _, rows := range [][]any{text, js} {
				if p.norm != nil {
					for i := range rows {
						rows[i] = p.norm(rows[i])
					}
				}
				if p.order != nil {
					slices.SortStableFunc(rows, p.order)
				}
			}
			if !reflect.DeepEqual(text, js) {
				t.Errorf("text and JSON differ (-text +json):\n%s", diffValues(text, js))
			}
		})
	}
}

func natOrder(a, b any) int {
	x, y := a.(model.NATEntry).Frontend, b.(model.NATEntry).Frontend
	return cmp.Or(x.Addr.Compare(y.Addr), cmp.Compare(x.Port, y.Port), cmp.Compare(x.Proto, y.Proto),
		cmp.Compare(x.SrcCIDR.String(), y.SrcCIDR.String()), cmp.Compare(x.Count, y.Count))
}

func ctOrder(a, b any) int {
	x, y := a.(model.ConntrackEntry), b.(model.ConntrackEntry)
	return cmp.Or(x.Src.Compare(y.Src), x.Dst.Compare(y.Dst), cmp.Compare(x.Type, y.Type))
}

// TestJSONRoundTrip: every decoded fixture, written as our JSON and decoded
// again by the same decoder, gives the same rows. Our JSON is a dump format too.
func TestJSONRoundTrip(t *testing.T) {
	for _, set := range loadFixtureSets(t) {
		for _, run := range set.Runs {
			kind, _, isDump := dumpKindOf(run.Argv)
			if !isDump || run.Stdout == "" || run.ExitCode != 0 || stdoutIsToolError[set.Version+"/"+run.Name] {
				continue
			}
			t.Run(set.Version+"/"+run.Name, func(t *testing.T) {
				rows := readRun(t, set, run.Name)
				var buf bytes.Buffer
				buf.WriteString("[\n")
				for i, r := range rows {
					b, err := json.Marshal(r)
					if err != nil {
						t.Fatal(err)
					}
					if i > 0 {
						buf.WriteString(",\n")
					}
					buf.Write(b)
				}
				buf.WriteString("\n]\n")
				again, rep, err := decodeAll(t, kind, buf.Bytes(), Options{})
				if err != nil || len(rep.Warnings) > 0 || rep.Format != FormatJSON {
					t.Fatalf("decode our JSON: %v %+v", err, rep)
				}
				if !reflect.DeepEqual(rows, again) {
					t.Errorf("round trip changed rows (-before +after):\n%s", diffValues(rows, again))
				}
			})
		}
	}
}

func TestCountersJSONIsAStreamOfObjects(t *testing.T) {
	input := "{\"interface\":\"lo\",\"counters\":[{\"category\":\"Total\",\"type\":\"packets\",\"ingress\":1,\"egress\":2,\"xdp\":null}]}\n" +
		"{\"interface\":\"eth0\",\"counters\":[{\"category\":\"Total\",\"type\":\"packets\",\"ingress\":3,\"egress\":4,\"xdp\":5}]}{\"interface\":\"eth1\",\"counters\":null}\n"
	rows := mustDecode(t, Counters, input)
	checkRows(t, rows, []model.InterfaceCounters{
		{Interface: "lo", Counters: []model.Counter{{Category: "Total", Type: "packets", Ingress: model.Count(1), Egress: model.Count(2)}}},
		{Interface: "eth0", Counters: []model.Counter{{Category: "Total", Type: "packets", Ingress: model.Count(3), Egress: model.Count(4), XDP: model.Count(5)}}},
		{Interface: "eth1"},
	})
}

func TestAllIterator(t *testing.T) {
	var rep Report
	n := 0
	for rt, err := range All(Routes, bytes.NewReader([]byte("10.0.0.0/8: remote\n10.1.0.0/16: remote\n10.2.0.0/16: remote\n")), Options{}, &rep) {
		if err != nil {
			t.Fatal(err)
		}
		if n++; n == 2 {
			if rt.Dest != cidr("10.1.0.0/16") {
				t.Errorf("second row %v", rt.Dest)
			}
			break
		}
	}
	if n != 2 || rep.Rows != 2 {
		t.Errorf("iterated %d rows, report %+v", n, rep)
	}
	var last error
	for _, err := range All(Routes, bytes.NewReader([]byte("Error: unknown flag: --bogus\n")), Options{}, nil) {
		last = err
	}
	if !errors.Is(last, ErrToolError) {
		t.Errorf("final error %v", last)
	}
}
