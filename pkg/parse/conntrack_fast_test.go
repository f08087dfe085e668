package parse

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/model"
	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/parse/internal/gendump"
)

// checkFastPath compares the fast conntrack paths with the general parsers
// on one line: when a fast path accepts a line, the general parser must
// accept it too, with the same entry and no note.
func checkFastPath(t *testing.T, line []byte) (fast bool) {
	t.Helper()
	line = trimSpace(dropCR(bytes.TrimSuffix(line, []byte("\n"))))
	var got, want model.ConntrackEntry
	if bytes.HasPrefix(line, []byte("ConntrackKey{")) {
		if !fastConntrackRaw(line, &got) {
			return false
		}
		ok, note := parseConntrackRaw(line, &want)
		if !ok || note != "" {
			t.Fatalf("fast raw path accepted %q; general: ok %v note %q", line, ok, note)
		}
	} else {
		if !fastConntrackPretty(line, &got) {
			return false
		}
		if !parseConntrackPretty(line, &want) {
			t.Fatalf("fast pretty path accepted %q; the general parser does not", line)
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("fast path differs on %q:\n%s", line, diffValues(want, got))
	}
	return true
}

// TestConntrackFastPath: on every conntrack fixture and every generated
// style, the fast paths agree with the general parsers, and the lines of
// the generated dumps (Calico's own shapes) all take a fast path, so the
// benchmarks measure it.
func TestConntrackFastPath(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*", "*conntrack*"))
	fast, total := 0, 0
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for line := range bytes.Lines(b) {
			total++
			if checkFastPath(t, line) {
				fast++
			}
		}
	}
	if fast == 0 {
		t.Errorf("no fixture line of %d took the fast path", total)
	}
	for _, line := range fastPathLines {
		if !checkFastPath(t, []byte(line)) {
			t.Errorf("misses the fast path: %q", line)
		}
	}
	for _, style := range []gendump.Style{gendump.ConntrackRawV322, gendump.ConntrackRawV332, gendump.ConntrackPrettyV329, gendump.ConntrackPrettyV332} {
		for line := range bytes.Lines(generate(t, style, 2000)) {
			if !checkFastPath(t, line) {
				t.Fatalf("%s: generated line misses the fast path: %q", style, line)
			}
		}
	}
}

// fastPathLines are lines in Calico's shapes that the fixtures and the
// generator leave out: the longest addresses and ports, NAT forward
// entries, the pretty line's notes.
var fastPathLines = []string{
	"TCP 255.255.255.255:65535 -> 100.100.100.100:10000 -> 199.199.199.199:9  Age: 1h2m3.5s Active ago 999.999999ms ESTABLISHED",
	"UDP 1.2.3.4:1 -> 255.255.255.254:65534  Active ago 0s",
	"TCP 203.0.113.50:40000 -> 192.168.1.11:30080 -> 10.65.2.9:8080 external client, service forwarded to/from 192.168.1.12  Active ago 7.4s ESTABLISHED",
	"TCP 192.168.1.11:20123 -> 10.96.12.34:443 -> 10.65.1.8:8443 source port changed from 36000  Active ago 9.4s ESTABLISHED",
	"ConntrackKey{proto=6 255.255.255.255:65535 <-> 100.100.100.100:10000} -> Entry{Type:1, Created:1, LastSeen:2, Flags: 0x104 np-fwd B-A REVKey: ConntrackKey{proto=6 255.255.255.255:65535 <-> 199.199.199.199:80} NATSPort: 65535} Age: 1s Active ago 1s",
	"ConntrackKey{proto=17 100.100.100.100:53 <-> 255.255.255.255:65535} -> Entry{Type:2, LastSeen:2, Flags: 16 Data: {A2B:{Bytes:1 Packets:2 Seqno:4294967295 SynSeen:false AckSeen:false FinSeen:false RstSeen:false Approved:true Opener:true Workload:true Ifindex:2147483647} B2A:{Bytes:18446744073709551615 Packets:0 Seqno:0 SynSeen:false AckSeen:false FinSeen:false RstSeen:false Approved:true Opener:false Workload:false Ifindex:2} OrigDst:255.255.255.255 OrigSrc:100.100.100.100 OrigPort:65535 OrigSPort:1 TunIP:199.199.199.199}} Active ago 1m0.000000001s RESET",
}

// FuzzConntrackFastPath: on any line, a fast path that accepts it agrees
// with the general parser.
func FuzzConntrackFastPath(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*", "*conntrack*"))
	for _, name := range files {
		b, _ := os.ReadFile(name)
		for line := range bytes.Lines(b) {
			f.Add(line)
		}
	}
	for _, style := range []gendump.Style{gendump.ConntrackRawV322, gendump.ConntrackRawV332, gendump.ConntrackPrettyV329, gendump.ConntrackPrettyV332} {
		for line := range bytes.Lines(generate(f, style, 40)) {
			f.Add(line)
		}
	}
	for _, line := range fastPathLines {
		f.Add([]byte(line))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		if i := bytes.IndexByte(line, '\n'); i >= 0 {
			line = line[:i]
		}
		checkFastPath(t, line)
	})
}
