// Command parsebench times pkg/parse's decoders end to end on files, next to
// awk over the same files, for `make bench` (hack/bench.sh).
//
//	parsebench decode [-kind conntrack] [-cpuprofile F] FILE
//	parsebench table [-runs 5] [-awk awk] [-pipe CMD -pipe-ref LABEL] LABEL:KIND:FILE[:text][:seq] ...
//
// decode streams FILE (- for stdin) through a decoder, discards the rows,
// prints "rows N bytes N warnings N mallocs N" on stderr and fails on an
// error or any warning.
//
// table runs `parsebench decode` and `awk '{print $2, $4}' FILE` (stdout
// /dev/null) on each file as child processes, alternately, after reading
// the file once so that both find it in the page cache, and prints the
// medians of the wall time, the CPU time and the peak RSS (the child's
// getrusage ru_maxrss, what GNU time's %M shows) with MB/s, ns and
// allocations per entry, and the speed-up over awk. Entries marked ":text"
// are held to the targets: at least 150 MB/s and twice as fast as awk.
// Entries marked ":seq" run the decoder with GOMAXPROCS=1, to show what
// one CPU does (the conntrack text decoder uses more when it can).
// Every entry is held to a peak RSS under 100 MB. -pipe decodes the output
// of a shell command (a dump larger than any file) from a pipe and checks
// that its peak RSS is about that of the -pipe-ref row: memory does not
// grow with the input. table exits 1 if a target is missed.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/model"
	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/parse"
)

// The targets of `make bench`.
const (
	minTextMBps = 150 // conntrack text, end to end
	minVsAwk    = 2.0 // conntrack text: wall time at most half of awk's
	maxRSSMB    = 100 // any input
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch os.Args[1] {
	case "decode":
		err = decodeCmd(os.Args[2:])
	case "table":
		err = tableCmd(os.Args[2:])
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "parsebench:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: parsebench decode [-kind KIND] FILE | parsebench table [-runs N] [-awk AWK] [-pipe CMD -pipe-ref LABEL] LABEL:KIND:FILE[:text]...")
	os.Exit(2)
}

// decodeCmd streams one file through a decoder. The typed decoders are
// called directly: Decode's `any` would box (and allocate) every row.
func decodeCmd(args []string) error {
	fs := flag.NewFlagSet("decode", flag.ExitOnError)
	kindName := fs.String("kind", "conntrack", "dump kind")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile to this file")
	_ = fs.Parse(args)
	if fs.NArg() != 1 {
		return fmt.Errorf("decode: want one file")
	}
	kind, err := parse.ParseKind(*kindName)
	if err != nil {
		return err
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	var r io.Reader = os.Stdin
	if name := fs.Arg(0); name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		defer f.Close()
		r = f
	}
	cr := &countingReader{r: r}
	var rep parse.Report
	switch kind {
	case parse.KindConntrack:
		rep, err = parse.Conntrack(cr, parse.Options{}, func(model.ConntrackEntry) error { return nil })
	case parse.KindNAT:
		rep, err = parse.NAT(cr, parse.Options{}, func(model.NATEntry) error { return nil })
	case parse.KindRoutes:
		rep, err = parse.Routes(cr, parse.Options{}, func(model.Route) error { return nil })
	default:
		rep, err = parse.Decode(kind, cr, parse.Options{}, func(any) error { return nil })
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fmt.Fprintf(os.Stderr, "rows %d bytes %d warnings %d mallocs %d\n", rep.Rows, cr.n, len(rep.Warnings)+rep.WarningsDropped, ms.Mallocs)
	if err != nil {
		return err
	}
	if len(rep.Warnings) > 0 || rep.Truncated || rep.Incomplete {
		return fmt.Errorf("unclean decode: %d warnings (first: %v), truncated %v, incomplete %v", len(rep.Warnings), rep.Warnings, rep.Truncated, rep.Incomplete)
	}
	return nil
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// run is what one child process took.
type run struct {
	wall   time.Duration
	cpu    time.Duration // user + system
	rssKB  int64
	stderr string
}

func runChild(stdin io.Reader, env []string, name string, args ...string) (run, error) {
	cmd := exec.Command(name, args...)
	cmd.Stdin = stdin
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	// An *os.File, so that the child writes to /dev/null itself: with any
	// other writer it would write to a pipe that this process copies.
	devNull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		return run{}, err
	}
	defer devNull.Close()
	cmd.Stdout = devNull
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	err = cmd.Run()
	wall := time.Since(start)
	if err != nil {
		return run{}, fmt.Errorf("%s %s: %v: %s", name, strings.Join(args, " "), err, stderr.String())
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	return run{
		wall:   wall,
		cpu:    time.Duration(ru.Utime.Nano() + ru.Stime.Nano()),
		rssKB:  ru.Maxrss, // KiB on Linux
		stderr: stderr.String(),
	}, nil
}

type entry struct {
	label, kind, file string
	text              bool // held to the conntrack text targets
	seq               bool // decoder on one CPU
}

type result struct {
	entry
	size, rows, mallocs int64
	dec, awk            run // medians
	missed              []string
}

func tableCmd(args []string) error {
	fs := flag.NewFlagSet("table", flag.ExitOnError)
	runs := fs.Int("runs", 5, "runs per file; medians are reported")
	awk := fs.String("awk", "awk", "the awk to compare with")
	pipe := fs.String("pipe", "", "shell command that writes a conntrack dump, decoded from a pipe for the size-independence check")
	pipeLabel := fs.String("pipe-label", "pipe", "label of the -pipe row")
	pipeRef := fs.String("pipe-ref", "", "label of the row whose peak RSS the -pipe row must stay near")
	_ = fs.Parse(args)
	self, err := os.Executable()
	if err != nil {
		return err
	}
	var entries []entry
	for _, a := range fs.Args() {
		p := strings.Split(a, ":")
		if len(p) < 3 {
			return fmt.Errorf("table: bad entry %q, want LABEL:KIND:FILE[:text][:seq]", a)
		}
		e := entry{label: p[0], kind: p[1], file: p[2]}
		for _, flag := range p[3:] {
			switch flag {
			case "text":
				e.text = true
			case "seq":
				e.seq = true
			default:
				return fmt.Errorf("table: bad entry %q, want LABEL:KIND:FILE[:text][:seq]", a)
			}
		}
		entries = append(entries, e)
	}

	var results []result
	for _, e := range entries {
		r, err := measure(self, *awk, e, *runs)
		if err != nil {
			return err
		}
		results = append(results, r)
	}
	var pipeRun run
	var pipeRows, pipeBytes, pipeMallocs int64
	if *pipe != "" {
		gen := exec.Command("sh", "-c", *pipe)
		gen.Stderr = os.Stderr
		out, err := gen.StdoutPipe()
		if err != nil {
			return err
		}
		if err := gen.Start(); err != nil {
			return err
		}
		pipeRun, err = runChild(out, nil, self, "decode", "-kind", "conntrack", "-")
		if werr := gen.Wait(); err == nil && werr != nil {
			err = fmt.Errorf("%s: %v", *pipe, werr)
		}
		if err != nil {
			return err
		}
		fmt.Sscanf(pipeRun.stderr, "rows %d bytes %d warnings 0 mallocs %d", &pipeRows, &pipeBytes, &pipeMallocs)
	}

	fmt.Printf("%-24s %8s %9s %8s %7s %8s %7s %8s %7s %8s %8s %7s\n",
		"input", "MB", "entries", "wall ms", "MB/s", "ns/entry", "allocs", "cpu ms", "RSS MB", "awk ms", "awk MB/s", "vs awk")
	row := func(label string, size, rows, mallocs int64, dec run, awk *run) {
		mb := float64(size) / 1e6
		fmt.Printf("%-24s %8.1f %9d %8.1f %7.0f %8.1f %7.3f %8.1f %7.1f",
			label, mb, rows, ms(dec.wall), mb/dec.wall.Seconds(), float64(dec.wall.Nanoseconds())/float64(max(rows, 1)),
			float64(mallocs)/float64(max(rows, 1)), ms(dec.cpu), float64(dec.rssKB)/1024)
		if awk != nil {
			fmt.Printf(" %8.1f %8.0f %6.2fx\n", ms(awk.wall), mb/awk.wall.Seconds(), awk.wall.Seconds()/dec.wall.Seconds())
		} else {
			fmt.Printf(" %8s %8s %7s\n", "-", "-", "-")
		}
	}
	for _, r := range results {
		row(r.label, r.size, r.rows, r.mallocs, r.dec, &r.awk)
	}
	if *pipe != "" {
		row(*pipeLabel, pipeBytes, pipeRows, pipeMallocs, pipeRun, nil)
	}
	fmt.Printf("medians of %d runs of each process, page cache warm; wall, CPU (user+sys) and peak RSS of the whole process;\n", *runs)
	fmt.Printf("allocs = heap allocations per entry (whole process); awk = %s '{print $2, $4}' FILE >/dev/null\n", *awk)

	missed := false
	for _, r := range results {
		for _, m := range r.missed {
			fmt.Printf("MISSED %s: %s\n", r.label, m)
			missed = true
		}
	}
	if *pipe != "" {
		rss := float64(pipeRun.rssKB) / 1024
		ref := -1.0
		for _, r := range results {
			if r.label == *pipeRef {
				ref = float64(r.dec.rssKB) / 1024
			}
		}
		switch {
		case rss >= maxRSSMB:
			fmt.Printf("MISSED %s: peak RSS %.1f MB >= %d MB\n", *pipeLabel, rss, maxRSSMB)
			missed = true
		case ref >= 0 && rss > 1.5*ref+2:
			fmt.Printf("MISSED %s: peak RSS %.1f MB grows with the input (%s: %.1f MB)\n", *pipeLabel, rss, *pipeRef, ref)
			missed = true
		case ref >= 0:
			fmt.Printf("size independence: %.0f MB (%.1fx %s) from a pipe peak at %.1f MB RSS, %s at %.1f MB\n",
				float64(pipeBytes)/1e6, float64(pipeRows)/float64(max(rowsOf(results, *pipeRef), 1)), *pipeRef, rss, *pipeRef, ref)
		}
	}
	if missed {
		return fmt.Errorf("a target was missed")
	}
	fmt.Printf("targets met: conntrack text >= %d MB/s and >= %.0fx awk; peak RSS < %d MB\n", minTextMBps, minVsAwk, maxRSSMB)
	return nil
}

func rowsOf(results []result, label string) int64 {
	for _, r := range results {
		if r.label == label {
			return r.rows
		}
	}
	return 0
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func measure(self, awk string, e entry, runs int) (result, error) {
	r := result{entry: e}
	st, err := os.Stat(e.file)
	if err != nil {
		return r, err
	}
	r.size = st.Size()
	if err := warm(e.file); err != nil {
		return r, err
	}
	var decs, awks []run
	for i := range runs {
		// Alternate which goes first, so that neither always follows the other.
		for k := range 2 {
			if (i+k)%2 == 0 {
				var env []string
				if e.seq {
					env = []string{"GOMAXPROCS=1"}
				}
				d, err := runChild(nil, env, self, "decode", "-kind", e.kind, e.file)
				if err != nil {
					return r, err
				}
				decs = append(decs, d)
				fmt.Sscanf(d.stderr, "rows %d bytes %d warnings 0 mallocs %d", &r.rows, new(int64), &r.mallocs)
			} else {
				a, err := runChild(nil, nil, awk, "{print $2, $4}", e.file)
				if err != nil {
					return r, err
				}
				awks = append(awks, a)
			}
		}
	}
	r.dec, r.awk = median(decs), median(awks)
	mbps := float64(r.size) / 1e6 / r.dec.wall.Seconds()
	if e.text {
		if mbps < minTextMBps {
			r.missed = append(r.missed, fmt.Sprintf("%.0f MB/s < %d MB/s", mbps, minTextMBps))
		}
		if vs := r.awk.wall.Seconds() / r.dec.wall.Seconds(); vs < minVsAwk {
			r.missed = append(r.missed, fmt.Sprintf("%.2fx awk < %.0fx", vs, minVsAwk))
		}
	}
	if mb := float64(r.dec.rssKB) / 1024; mb >= maxRSSMB {
		r.missed = append(r.missed, fmt.Sprintf("peak RSS %.1f MB >= %d MB", mb, maxRSSMB))
	}
	return r, nil
}

// warm reads a file once so that the runs find it in the page cache.
func warm(name string) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(io.Discard, f)
	return err
}

// median takes the median of each measure on its own.
func median(rs []run) run {
	pick := func(get func(run) int64) int64 {
		v := make([]int64, len(rs))
		for i, r := range rs {
			v[i] = get(r)
		}
		slices.Sort(v)
		return v[len(v)/2]
	}
	return run{
		wall:  time.Duration(pick(func(r run) int64 { return int64(r.wall) })),
		cpu:   time.Duration(pick(func(r run) int64 { return int64(r.cpu) })),
		rssKB: pick(func(r run) int64 { return r.rssKB }),
	}
}
