package parse

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/model"
	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/parse/internal/gendump"
)

// conntrackOutcome is everything a decode run shows: rows, report, error.
type conntrackOutcome struct {
	rows []model.ConntrackEntry
	rep  Report
	err  string
}

func decodeConntrack(input []byte, opts Options, r func([]byte) io.Reader, stopAfter int) conntrackOutcome {
	var o conntrackOutcome
	rep, err := Conntrack(r(input), opts, func(e model.ConntrackEntry) error {
		o.rows = append(o.rows, e)
		if stopAfter > 0 && len(o.rows) == stopAfter {
			return errors.New("enough")
		}
		return nil
	})
	o.rep = rep
	if err != nil {
		o.err = err.Error()
	}
	return o
}

func sameOutcome(t *testing.T, what string, got, want conntrackOutcome) {
	t.Helper()
	if !reflect.DeepEqual(got.rep, want.rep) || got.err != want.err || len(got.rows) != len(want.rows) {
		t.Fatalf("%s: outcome differs:\n got rows %d report %+v err %q\nwant rows %d report %+v err %q",
			what, len(got.rows), got.rep, got.err, len(want.rows), want.rep, want.err)
	}
	for i := range got.rows {
		if !reflect.DeepEqual(got.rows[i], want.rows[i]) {
			t.Fatalf("%s: row %d differs:\n%s", what, i, diffValues(want.rows[i], got.rows[i]))
		}
	}
}

// checkJSONFastPath decodes input with the conntrack JSON fast path and
// with encoding/json alone; everything must be the same.
func checkJSONFastPath(t *testing.T, what string, input []byte, readers ...func([]byte) io.Reader) {
	if os.Getenv("ZZTRACE") != "" {
		fmt.Fprintln(os.Stderr, what)
	}
	t.Helper()
	if len(readers) == 0 {
		readers = []func([]byte) io.Reader{func(b []byte) io.Reader { return bytes.NewReader(b) }}
	}
	for _, r := range readers {
		for _, stop := range []int{0, 2} {
			conntrackJSONFast = false
			want := decodeConntrack(input, Options{}, r, stop)
			conntrackJSONFast = true
			got := decodeConntrack(input, Options{}, r, stop)
			sameOutcome(t, what, got, want)
		}
	}
}

func conntrackJSONInputs(t testing.TB) map[string][]byte {
	inputs := map[string][]byte{}
	files, _ := filepath.Glob(filepath.Join("testdata", "*", "*conntrack*json*"))
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		inputs[name] = b
	}
	var buf bytes.Buffer
	if err := gendump.Write(&buf, gendump.ConntrackJSON, 40); err != nil {
		t.Fatal(err)
	}
	inputs["generated"] = buf.Bytes()
	return inputs
}

// TestConntrackJSONFastPath compares the fast path with encoding/json on
// real and generated dumps and on many damaged or unusual variants of them.
func TestConntrackJSONFastPath(t *testing.T) {
	defer func() { conntrackJSONFast = true }()
	oneByte := func(b []byte) io.Reader { return &oneByteReader{b: b} }
	plain := func(b []byte) io.Reader { return bytes.NewReader(b) }
	failing := func(b []byte) io.Reader {
		return io.MultiReader(bytes.NewReader(b[:len(b)/2]), errReader{errors.New("connection reset")})
	}
	for name, input := range conntrackJSONInputs(t) {
		checkJSONFastPath(t, name, input, plain, oneByte, failing)
		// Cut anywhere.
		for i := 0; i < len(input); i += max(1, len(input)/60) {
			checkJSONFastPath(t, fmt.Sprintf("%s cut at %d", name, i), input[:i])
		}
		// Every kind of byte where a value, key or separator was.
		for i := 0; i < len(input); i += max(1, len(input)/40) {
			for _, c := range []byte{'x', '"', '\\', '}', ']', ',', ':', '1', ' ', '-'} {
				mutated := append(append(append([]byte(nil), input[:i]...), c), input[i+1:]...)
				checkJSONFastPath(t, fmt.Sprintf("%s byte %d = %q", name, i, c), mutated)
			}
		}
	}
	// Shapes the fast path leaves to encoding/json, and ones it takes.
	for i, s := range []string{
		`[]`, `[ ]`, `null`, `{"type":"normal"}`, `[{}]`, `[{},{}]`, `[{}]` + "\n" + `[{}]`, `[{}] trailing text`,
		`[{"TYPE":"normal","Src":"10.0.0.1:1"}]`,
		`[{"type":"type-7"}]`, `[{"type":"nat"},{"type":"bogus"},{"type":"normal"}]`,
		`[{"proto":"tcp"},{"proto":"Proto-47"},{"proto":6}]`,
		`[{"src":"[fd00::1]:443","dst":"fd00::2:80"},{"src":"10.0.0.1:0080"},{"src":""},{"src":"10.0.0.1"}]`,
		`[{"addr_a":"fd00::1","addr_b":"fe80::1%eth0","port_a":80,"port_b":65536}]`,
		`[{"port_a":1.0},{"port_a":-1},{"port_a":1e2},{"port_a":01},{"port_a":"80"}]`,
		`[{"flags":null},{"flags":[]},{"flags":["B-A","np-fwd"]},{"flags":["bogus"]},{"flags":["0x10"]},{"flags":["cluster-external"]},{"flags":7}]`,
		`[{"active_ago":"1.5s","age":"1h2m3.000000001s"},{"active_ago":1500},{"active_ago":null},{"active_ago":"1.5\u0073"},{"active_ago":"bogus"}]`,
		`[{"tcp_state":""},{"tcp_state":"RESET"},{"tcp_state":"bogus"},{"tcp_state":null}]`,
		`[{"a2b":{"bytes":1,"packets":2,"seqno":3,"syn_seen":true,"ack_seen":false,"fin_seen":true,"rst_seen":false,"approved":true,"opener":true,"workload":false,"ifindex":4},"b2a":{}}]`,
		`[{"a2b":{"seqno":3},"a2b":{"ifindex":4}},{"a2b":null},{"a2b":{"seqno":4294967296}},{"a2b":{"ifindex":-1}},{"a2b":{"opener":1}},{"a2b":{"opener":truex}}]`,
		`[{"created":18446744073709551615,"last_seen":18446744073709551616}]`,
		`[{"addr_a":"10.65.0.5","port_a":51000,"addr_b":"10.96.0.1","port_b":443,"type":"nat-forward","rev_proto":"TCP","rev_addr_a":"10.65.0.5","rev_port_a":51000,"rev_addr_b":"192.168.1.10","rev_port_b":6443,"nat_sport":7}]`,
		`[{"type":"normal"} {"type":"normal"}]`, `[{"type":"normal"},]`, `[,{"type":"normal"}]`, `[{"type":"normal",}]`,
		`[{"type":"normal"}` + strings.Repeat(" ", 70000) + `,{"type":"nat"}]`,
		`[{"unknown":1,"type":"normal"}]`, "[{\"type\":\"nor\u00e9mal\"}]", "[{\"type\":\"normal\t\"}]",
		`[{"type":"normal","src":"10.0.0.1:1","dst":"10.0.0.2:2","orig_dst":"10.0.0.3:3","tunnel_ip":"192.168.0.1","orig_src":"10.9.9.9","orig_src_port":9}]`,
	} {
		checkJSONFastPath(t, fmt.Sprintf("case %d %q", i, s), []byte(s), plain, oneByte)
	}
	// The fast path does take Calico's own dumps.
	runs := 0
	conntrackJSONFast = true
	for name, input := range conntrackJSONInputs(t) {
		rows, rep, err := Collect(Conntrack, bytes.NewReader(input), Options{})
		if err != nil || len(rep.Warnings) > 0 || len(rows) == 0 {
			t.Fatalf("%s: rows %d report %+v err %v", name, len(rows), rep, err)
		}
		runs++
	}
	if runs < 4 {
		t.Errorf("only %d JSON inputs", runs)
	}
}

// oneByteReader returns one byte per Read, to cut values at every point.
type oneByteReader struct{ b []byte }

func (r *oneByteReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	if len(p) == 0 {
		return 0, nil
	}
	p[0], r.b = r.b[0], r.b[1:]
	return 1, nil
}

// FuzzConntrackJSONFastPath: on any input, the JSON fast path and
// encoding/json alone agree.
func FuzzConntrackJSONFastPath(f *testing.F) {
	for _, input := range conntrackJSONInputs(f) {
		f.Add(input)
	}
	f.Add([]byte(`[{"a2b":{"seqno":3},"flags":["B-A"],"src":"10.0.0.1:1","active_ago":"1s"}]`))
	f.Fuzz(func(t *testing.T, input []byte) {
		defer func() { conntrackJSONFast = true }()
		checkJSONFastPath(t, "fuzz", input)
	})
}
