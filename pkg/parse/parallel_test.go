package parse

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/parse/internal/gendump"
)

// withParallel runs f with parallel mode set up to start early and often,
// over small chunks.
func withParallel(workers, chunk int, f func()) {
	saved := [...]int{parallelWorkers, parallelChunk, parallelMinBuffer, parallelCooldown}
	defer func() {
		parallelWorkers, parallelChunk, parallelMinBuffer, parallelCooldown = saved[0], saved[1], saved[2], saved[3]
	}()
	parallelWorkers, parallelChunk, parallelMinBuffer, parallelCooldown = workers, chunk, 0, 7
	f()
}

// perturb mixes into a generated dump what real captures contain, at random lines.
func perturb(r *rand.Rand, dump []byte, long int) []byte {
	extras := []string{
		"",
		"   ",
		"2026-11-26 10:34:29.794 [INFO][23526] confd/maps.go 308: Loaded map file descriptor.",
		"user@host:~$ kubectl exec -n calico-system ds/calico-node -- calico-node -bpf conntrack dump",
		"--",
		"...",
		"something else entirely",
		"TCP 10.65.0.5:51000 -> 10.96.0.1:443 -> 192.168.1.10:6443  Age: 1m4.2s Active ago 4.2s ESTABLISHED",
		"TCP [fd00::1]:443 -> fd00::2:80  Active ago 1s ESTABLISHED",
		"ConntrackKey{proto=6 10.65.0.5:51000 <-> 10.96.0.1:443} -> Entry{Type:1, Created:1, LastSeen:2, Flags: <none> REVKey: ConntrackKey{proto=6 10.65.0.5:51000 <-> 192.168.1.10:6443} NATSPort: 0} Active ago 1s",
		"ConntrackKey{proto=6 10.65.0.5:51000 <-> 10.96.0.1:443} -> Entry{Type:0, Future:1, LastSeen:2, Flags: <none> Data: {A2B:{Seqno:1} B2A:{Seqno:2} OrigDst:0.0.0.0}} Active ago 1s",
		strings.Repeat("x", long),
	}
	var out bytes.Buffer
	for line := range bytes.Lines(dump) {
		if r.IntN(40) == 0 {
			out.WriteString(extras[r.IntN(len(extras))])
			out.WriteString([]string{"\n", "\r\n"}[r.IntN(2)])
		}
		if r.IntN(50) == 0 {
			line = bytes.Replace(line, []byte("\n"), []byte("\r\n"), 1)
		}
		if r.IntN(60) == 0 {
			line = append([]byte("  \t"), line...)
		}
		out.Write(line)
	}
	return out.Bytes()
}

// TestParallelMatchesSequential: with and without workers, over any chunk
// size, the rows, the report and the error are the same.
func TestParallelMatchesSequential(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	plain := func(b []byte) io.Reader { return bytes.NewReader(b) }
	readers := map[string]func([]byte) io.Reader{
		"plain":    plain,
		"one byte": func(b []byte) io.Reader { return &oneByteReader{b: b} },
		"failing": func(b []byte) io.Reader {
			return io.MultiReader(bytes.NewReader(b[:len(b)*2/3]), errReader{errors.New("connection reset")})
		},
	}
	type variant struct {
		name  string
		input []byte
	}
	var variants []variant
	for _, style := range []gendump.Style{gendump.ConntrackRawV322, gendump.ConntrackRawV332, gendump.ConntrackPrettyV329, gendump.ConntrackPrettyV332} {
		dump := generate(t, style, 600)
		variants = append(variants,
			variant{string(style), dump},
			variant{string(style) + " perturbed", perturb(r, dump, 700)},
			variant{string(style) + " cut", dump[:len(dump)-7]},
			variant{string(style) + " tool error", append(append([]byte(nil), dump[:len(dump)/2]...), "\ncommand terminated with exit code 137\n"...)},
		)
	}
	for _, v := range variants {
		for rname, reader := range readers {
			if rname == "one byte" && !strings.Contains(v.name, "perturbed") {
				continue
			}
			for _, stop := range []int{0, 1000} {
				for _, opts := range []Options{{}, {MaxLineBytes: 600, MaxWarnings: 5}} {
					what := fmt.Sprintf("%s, %s reader, stop after %d, %+v", v.name, rname, stop, opts)
					var want conntrackOutcome
					withParallel(-1, 0, func() { want = decodeConntrack(v.input, opts, reader, stop) })
					for _, workers := range []int{1, 3} {
						for _, chunk := range []int{700, 4096, 64 << 10} {
							var got conntrackOutcome
							before := parallelRuns.Load()
							withParallel(workers, chunk, func() { got = decodeConntrack(v.input, opts, reader, stop) })
							sameOutcome(t, fmt.Sprintf("%s, %d workers, chunk %d", what, workers, chunk), got, want)
							if parallelRuns.Load() == before && rname != "one byte" {
								t.Fatalf("%s: parallel mode did not run", what)
							}
						}
					}
				}
			}
		}
	}
}

// TestParallelOnLargeInput: a full-size dump from an ordinary reader takes
// parallel mode with the default settings (when there is more than one
// CPU) and gives the rows of the sequential decoder.
func TestParallelOnLargeInput(t *testing.T) {
	if workerCount() == 0 {
		t.Skip("one CPU")
	}
	dump := generate(t, gendump.ConntrackPrettyV332, 60000)
	plain := func(b []byte) io.Reader { return bytes.NewReader(b) }
	var want conntrackOutcome
	withParallel(-1, 0, func() { want = decodeConntrack(dump, Options{}, plain, 0) })
	before := parallelRuns.Load()
	got := decodeConntrack(dump, Options{}, plain, 0)
	if parallelRuns.Load() == before {
		t.Error("parallel mode did not run")
	}
	sameOutcome(t, "large", got, want)
}

// TestParallelTakeover: when workers seem to stall, the caller's goroutine
// parses their chunks itself and, soon, goes on one line at a time; the
// outcome stays the same.
func TestParallelTakeover(t *testing.T) {
	defer func(d time.Duration) { parallelTakeover = d }(parallelTakeover)
	parallelTakeover = time.Nanosecond
	r := rand.New(rand.NewPCG(7, 8))
	plain := func(b []byte) io.Reader { return bytes.NewReader(b) }
	for _, style := range []gendump.Style{gendump.ConntrackRawV332, gendump.ConntrackPrettyV329} {
		dump := perturb(r, generate(t, style, 3000), 10)
		var want conntrackOutcome
		withParallel(-1, 0, func() { want = decodeConntrack(dump, Options{}, plain, 0) })
		var got conntrackOutcome
		withParallel(2, 2048, func() { got = decodeConntrack(dump, Options{}, plain, 0) })
		sameOutcome(t, string(style), got, want)
	}
}
