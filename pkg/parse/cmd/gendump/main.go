// Command gendump writes a large, deterministic calico-bpf dump to a file,
// the same bytes pkg/parse's benchmarks decode, so that other tools can be
// timed on it:
//
//	go run ./pkg/parse/cmd/gendump -style conntrack-raw-v3.22 -o /tmp/ct.txt
//	time awk '{print $2, $4}' /tmp/ct.txt > /dev/null
//
// -n defaults to the benchmark's size for the style (512000 conntrack
// entries, 65536 NAT frontends, 262144 routes).
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/parse/internal/gendump"
)

func main() {
	var styles []string
	for _, s := range gendump.Styles() {
		styles = append(styles, string(s))
	}
	style := flag.String("style", string(gendump.ConntrackRawV322), "dump style: "+strings.Join(styles, ", "))
	n := flag.Int("n", 0, "number of entries (0: the benchmark's size)")
	out := flag.String("o", "-", "output file, - for stdout")
	flag.Parse()
	if err := run(gendump.Style(*style), *n, *out); err != nil {
		fmt.Fprintln(os.Stderr, "gendump:", err)
		os.Exit(1)
	}
}

func run(style gendump.Style, n int, out string) error {
	if n <= 0 {
		n = gendump.DefaultSize(style)
	}
	var w io.Writer = os.Stdout
	if out != "-" {
		f, err := os.Create(out)
		if err != nil {
			return fmt.Errorf("create %s: %w", out, err)
		}
		defer f.Close()
		w = f
	}
	if err := gendump.Write(w, style, n); err != nil {
		return err
	}
	if f, ok := w.(*os.File); ok && f != os.Stdout {
		if err := f.Close(); err != nil {
			return fmt.Errorf("close %s: %w", out, err)
		}
	}
	return nil
}
