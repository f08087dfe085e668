package render

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"time"
)

// WriteLargeConntrack writes a deterministic conntrack dump of at least
// size bytes to path, in the v3.30+ pretty text format ("TCP a:p -> b:p
// Active ago 3.2s ESTABLISHED", reference §2.3.2), for exec round-trip and
// streaming tests. The same seed gives the same bytes. It returns the
// number of lines written.
func WriteLargeConntrack(path string, size int64, seed uint64) (int64, error) {
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	lines, err := WriteConntrackLines(f, size, seed)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return lines, err
}

// WriteConntrackLines is WriteLargeConntrack to any writer.
func WriteConntrackLines(w io.Writer, size int64, seed uint64) (int64, error) {
	bw := bufio.NewWriterSize(w, 1<<16)
	cw := &countingWriter{w: bw}
	rng := rand.New(rand.NewPCG(seed, 0xc0ffee))
	var lines int64
	for cw.n < size {
		writeConntrackLine(cw, rng)
		lines++
		if cw.err != nil {
			return lines, cw.err
		}
	}
	return lines, bw.Flush()
}

type countingWriter struct {
	w   io.Writer
	n   int64
	err error
}

func (c *countingWriter) Write(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	n, err := c.w.Write(p)
	c.n += int64(n)
	c.err = err
	return n, err
}

var tcpStates = []string{"ESTABLISHED", "ESTABLISHED", "ESTABLISHED", "SYN-SENT", "CLOSED", "RESET"}

func podIP(rng *rand.Rand) string {
	return fmt.Sprintf("10.65.%d.%d", rng.IntN(64), 1+rng.IntN(254))
}

func serviceIP(rng *rand.Rand) string {
	return fmt.Sprintf("10.96.%d.%d", rng.IntN(256), 1+rng.IntN(254))
}

func ephemeralPort(rng *rand.Rand) int { return 32768 + rng.IntN(28232) }

// writeConntrackLine writes one line of prettyDump: "<proto> <src> -> <dst>
// " or the NAT form "<proto> <client> -> <vip> -> <backend> ", optional
// tunnel / port-change notes, then " Active ago <d>" (note the double
// space) and, for TCP, the state.
func writeConntrackLine(w io.Writer, rng *rand.Rand) {
	proto := "TCP"
	switch r := rng.IntN(100); {
	case r < 20:
		proto = "UDP"
	case r < 25:
		proto = "ICMP"
	}
	sport, dport := ephemeralPort(rng), []int{80, 443, 53, 5432, 6379, 8080, 8443, 9090}[rng.IntN(8)]
	if proto == "ICMP" {
		sport, dport = 0, 0
	}
	fmt.Fprintf(w, "%s %s:%d -> ", proto, podIP(rng), sport)
	switch r := rng.IntN(100); {
	case r < 15: // NAT reverse entry: client -> service -> backend
		fmt.Fprintf(w, "%s:%d -> %s:%d ", serviceIP(rng), dport, podIP(rng), 8000+rng.IntN(1000))
		if rng.IntN(5) == 0 {
			fmt.Fprintf(w, "external client, service forwarded to/from 192.168.1.%d ", 10+rng.IntN(20))
		}
		if rng.IntN(10) == 0 {
			fmt.Fprintf(w, "source port changed from %d ", ephemeralPort(rng))
		}
	default:
		fmt.Fprintf(w, "%s:%d ", podIP(rng), dport)
	}
	ago := time.Duration(rng.Int64N(int64(10 * time.Minute)))
	fmt.Fprintf(w, " Active ago %s", ago)
	if proto == "TCP" {
		fmt.Fprintf(w, " %s", tcpStates[rng.IntN(len(tcpStates))])
	}
	io.WriteString(w, "\n")
}
