package parse

import (
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/model"
)

// endlessBlackhole is what `nat dump` of v3.15–v3.26 prints for a blackhole
// frontend: count 4294967295 and then "\tID:N\t is missing" for N up to
// 4294967294, about 80 GB. It never ends here.
type endlessBlackhole struct {
	head string
	n    uint64
	buf  []byte
	read int64
}

func (e *endlessBlackhole) Read(p []byte) (int, error) {
	if len(e.buf) == 0 {
		if e.head != "" {
			e.buf, e.head = []byte(e.head), ""
		} else {
			e.buf = fmt.Appendf(e.buf[:0], "\t4:%d\t is missing\n", e.n)
			e.n++
		}
	}
	n := copy(p, e.buf)
	e.buf = e.buf[n:]
	e.read += int64(n)
	return n, nil
}

func TestNATBlackholeLoopStopsEarly(t *testing.T) {
	src := &endlessBlackhole{head: "10.96.0.10 port 53 proto 17 id 1 count 1 local 1\n\t1:0\t 10.65.0.20:53\n" +
		"198.51.100.10 port 443 proto 6 id 4 count 4294967295 local 0\n"}
	type result struct {
		rows []model.NATEntry
		rep  Report
		err  error
	}
	done := make(chan result, 1)
	go func() {
		rows, rep, err := Collect(NAT, src, Options{})
		done <- result{rows, rep, err}
	}()
	var res result
	select {
	case res = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("NAT did not return on an endless blackhole backend list")
	}
	if res.err != nil {
		t.Fatal(res.err)
	}
	if len(res.rows) != 2 || !res.rows[1].Frontend.Blackhole() || res.rows[1].Backends != nil || len(res.rows[0].Backends) != 1 {
		t.Errorf("rows %+v", res.rows)
	}
	if !res.rep.Incomplete || len(res.rep.Warnings) != 1 || !strings.Contains(res.rep.Warnings[0].Reason, "endless") {
		t.Errorf("report %+v", res.rep)
	}
	// Bounded: about MaxBackends lines plus one read buffer, not the stream.
	if limit := int64(DefaultMaxBackends)*32 + 2*readBufferSize; src.read > limit {
		t.Errorf("read %d bytes, more than %d", src.read, limit)
	}
}

func TestNATBackendBound(t *testing.T) {
	var b strings.Builder
	b.WriteString("10.96.0.10 port 53 proto 17 id 1 count 50 local 0\n")
	for i := range 50 {
		fmt.Fprintf(&b, "\t1:%d\t 10.65.0.%d:53\n", i, i%250+1)
	}
	b.WriteString("10.96.0.11 port 53 proto 17 id 2 count 0 local 0\n")
	rows, rep, err := Collect(NAT, io.Reader(strings.NewReader(b.String())), Options{MaxBackends: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || len(rows[0].Backends) != 10 || !rep.Incomplete {
		t.Errorf("rows %d (backends %d) report %+v", len(rows), len(rows[0].Backends), rep)
	}
}

func TestNATGroupedText(t *testing.T) {
	input := "10.96.45.12 port 80 proto 6 id 3 count 2 local 1\n" +
		"192.168.1.11 port 30080 proto 6 id 3 count 2 local 1 flags external-local\n" +
		"\t3:0\t 10.65.0.30:8080\n\t3:1\t 10.65.1.30:8080\n" +
		"10.96.0.1 port 443 proto 6 id 2 count 0 local 0\n" +
		"10.96.0.2 port 443 proto 6 id 2 count 0 local 0\n"
	rows := mustDecode(t, NAT, input)
	if len(rows) != 4 || len(rows[0].Backends) != 2 || len(rows[1].Backends) != 2 || rows[2].Backends != nil || rows[3].Backends != nil {
		t.Errorf("rows %+v", rows)
	}
}
