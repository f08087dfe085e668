package parse

import (
	"bytes"
	"io"
	"testing"
	"time"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/model"
	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/parse/internal/gendump"
)

// Benchmarks decode full-size generated dumps (512,000 conntrack entries,
// 65,536 NAT frontends, 262,144 routes; see internal/gendump) from memory
// and report MB/s, allocations and ns per entry; the "-1cpu" ones keep the
// conntrack text decoder on one goroutine. Keep runs short on shared
// machines:
//
//	go test ./pkg/parse -run '^$' -bench . -benchtime=1x
//
// `make bench` then times the decoders end to end on files, next to awk
// (hack/bench.sh, cmd/parsebench).

func generate(tb testing.TB, style gendump.Style, n int) []byte {
	tb.Helper()
	var buf bytes.Buffer
	if err := gendump.Write(&buf, style, n); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

func benchDecode(b *testing.B, style gendump.Style, decode func(io.Reader) (Report, error)) {
	data := generate(b, style, gendump.DefaultSize(style))
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	iterations, rows := 0, 0
	start := time.Now()
	for b.Loop() {
		rep, err := decode(bytes.NewReader(data))
		if err != nil {
			b.Fatal(err)
		}
		if len(rep.Warnings) > 0 {
			b.Fatalf("warnings: %v", rep.Warnings[0])
		}
		iterations, rows = iterations+1, rep.Rows
	}
	elapsed := time.Since(start)
	if rows > 0 {
		b.ReportMetric(float64(elapsed.Nanoseconds())/float64(iterations*rows), "ns/entry")
	}
}

func BenchmarkConntrack(b *testing.B) {
	decode := func(r io.Reader) (Report, error) {
		return Conntrack(r, Options{}, func(model.ConntrackEntry) error { return nil })
	}
	for _, style := range []gendump.Style{gendump.ConntrackRawV322, gendump.ConntrackRawV332, gendump.ConntrackPrettyV329, gendump.ConntrackPrettyV332, gendump.ConntrackJSON} {
		b.Run(string(style), func(b *testing.B) { benchDecode(b, style, decode) })
	}
	// The text decoder on one goroutine (parallel mode off).
	for _, style := range []gendump.Style{gendump.ConntrackRawV322, gendump.ConntrackPrettyV332} {
		b.Run(string(style)+"-1cpu", func(b *testing.B) {
			defer func(w int) { parallelWorkers = w }(parallelWorkers)
			parallelWorkers = -1
			benchDecode(b, style, decode)
		})
	}
}

func BenchmarkNAT(b *testing.B) {
	benchDecode(b, gendump.NATText, func(r io.Reader) (Report, error) {
		return NAT(r, Options{}, func(model.NATEntry) error { return nil })
	})
}

func BenchmarkRoutes(b *testing.B) {
	benchDecode(b, gendump.RoutesText, func(r io.Reader) (Report, error) {
		return Routes(r, Options{}, func(model.Route) error { return nil })
	})
}

// TestGeneratedDumpsDecodeCleanly keeps the generator and the decoders in
// step: every style decodes with no warnings into as many rows as written.
func TestGeneratedDumpsDecodeCleanly(t *testing.T) {
	kinds := map[gendump.Style]Kind{
		gendump.ConntrackRawV322: KindConntrack, gendump.ConntrackRawV332: KindConntrack, gendump.ConntrackPrettyV329: KindConntrack,
		gendump.ConntrackPrettyV332: KindConntrack, gendump.ConntrackJSON: KindConntrack, gendump.NATText: KindNAT, gendump.RoutesText: KindRoutes,
	}
	for _, style := range gendump.Styles() {
		t.Run(string(style), func(t *testing.T) {
			const n = 3000
			data := generate(t, style, n)
			rows, rep, err := decodeAll(t, kinds[style], data, Options{})
			if err != nil || len(rep.Warnings) > 0 {
				t.Fatalf("err %v report %+v", err, rep)
			}
			if len(rows) != n {
				t.Errorf("decoded %d rows, generated %d", len(rows), n)
			}
			if !bytes.Equal(data, generate(t, style, n)) {
				t.Error("the generator is not deterministic")
			}
		})
	}
}
