package model_test

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/model"
	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/parse"
)

// encodeJSON is what the printers did before the appenders: a json.Encoder without HTML
// escaping, without its newline.
func encodeJSON(t *testing.T, v any) []byte {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

func checkEntry(t *testing.T, what string, e model.ConntrackEntry) {
	t.Helper()
	want := encodeJSON(t, e)
	if got := e.AppendJSON([]byte("prefix")); !bytes.Equal(got[len("prefix"):], want) {
		t.Fatalf("%s:\n got %s\nwant %s", what, got[len("prefix"):], want)
	}
}

// TestConntrackAppendJSON: every conntrack fixture, of every version and form, encodes to the
// same bytes by hand as through encoding/json.
func TestConntrackAppendJSON(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("..", "parse", "testdata", "*", "*conntrack-dump*.stdout.txt"))
	hw, _ := filepath.Glob(filepath.Join("..", "parse", "testdata", "handwritten", "conntrack*"))
	files = append(files, hw...)
	rows := 0
	for _, f := range files {
		in, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		_, err = parse.Conntrack(in, parse.Options{}, func(e model.ConntrackEntry) error {
			rows++
			checkEntry(t, f, e)
			return nil
		})
		in.Close()
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
	}
	if rows < 100 {
		t.Fatalf("only %d rows in %d fixtures", rows, len(files))
	}
}

// TestConntrackAppendJSONRandom sets every field of the entry at random (reflection, so that a
// field added later is covered without touching the test) and compares.
func TestConntrackAppendJSONRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 20000; i++ {
		var e model.ConntrackEntry
		fill(r, reflect.ValueOf(&e).Elem())
		checkEntry(t, "random", e)
	}
}

var (
	durationType = reflect.TypeFor[time.Duration]()
	addrType     = reflect.TypeFor[netip.Addr]()
	addrPortType = reflect.TypeFor[netip.AddrPort]()
)

// fill sets v at random; about a third of the values are zero, to exercise omitzero.
func fill(r *rand.Rand, v reflect.Value) {
	if r.IntN(3) == 0 {
		v.SetZero()
		return
	}
	switch {
	case v.Type() == addrType:
		v.Set(reflect.ValueOf(randAddr(r)))
		return
	case v.Type() == addrPortType:
		v.Set(reflect.ValueOf(netip.AddrPortFrom(randAddr(r), uint16(r.Uint32()))))
		return
	case v.Type() == durationType:
		// From nanoseconds to days, negative too: every unit of Duration.String.
		d := time.Duration(r.Int64N(int64(1) << r.IntN(50)))
		if r.IntN(10) == 0 {
			d = -d
		}
		v.SetInt(int64(d))
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				fill(r, v.Field(i))
			}
		}
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(r.Uint64() >> r.IntN(64) & (1<<(8*v.Type().Size()) - 1))
	case reflect.Int, reflect.Int32, reflect.Int64:
		v.SetInt(r.Int64() >> r.IntN(64))
	default:
		panic("fill: add a case for " + v.Type().String())
	}
}

func randAddr(r *rand.Rand) netip.Addr {
	var b16 [16]byte
	for i := range b16 {
		b16[i] = byte(r.Uint32())
	}
	switch r.IntN(5) {
	case 0:
		return netip.AddrFrom4([4]byte(b16[:4]))
	case 1:
		return netip.AddrFrom16(b16)
	case 2:
		// Zones are free text: the one part of an address that can need escaping.
		return netip.AddrFrom16(b16).WithZone([]string{"eth0", `a"b\c`, "µ\x01"}[r.IntN(3)])
	case 3:
		return netip.AddrFrom4([4]byte(b16[:4])).Unmap()
	}
	return netip.AddrFrom16(netip.AddrFrom4([4]byte(b16[:4])).As16()) // IPv4-mapped IPv6
}

// TestAppendJSONString checks the escaping on what encoding/json treats specially.
func TestAppendJSONString(t *testing.T) {
	for _, s := range []string{
		"", "plain", `quote " and \ backslash`, "<html> & stays", "tab\tnl\ncr\rbs\bff\f",
		"\x00\x01\x1f\x7f", "µs ünïcode 日本", "bad \xff utf8 \xc3", "sep \u2028 \u2029 end",
		"\xe2\x80", // a cut multi-byte rune
	} {
		want := encodeJSON(t, s)
		if got := model.AppendJSONString(nil, s); !bytes.Equal(got, want) {
			t.Errorf("%q: got %s, want %s", s, got, want)
		}
	}
	r := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 20000; i++ {
		b := make([]byte, r.IntN(12))
		for j := range b {
			b[j] = byte(r.Uint32())
		}
		want := encodeJSON(t, string(b))
		if got := model.AppendJSONString(nil, string(b)); !bytes.Equal(got, want) {
			t.Fatalf("%q: got %s, want %s", b, got, want)
		}
	}
}
