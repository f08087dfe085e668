package parse

import (
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/model"
)

// decodeString runs a decoder over a string.
func decodeString[T any](t *testing.T, dec Decoder[T], input string, opts Options) ([]T, Report, error) {
	t.Helper()
	return Collect(dec, strings.NewReader(input), opts)
}

// mustDecode runs a decoder and fails on an error or any warning.
func mustDecode[T any](t *testing.T, dec Decoder[T], input string) []T {
	t.Helper()
	rows, rep, err := decodeString(t, dec, input, Options{})
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	if len(rep.Warnings) > 0 || rep.Truncated || rep.Incomplete {
		t.Fatalf("unexpected report: %+v", rep)
	}
	return rows
}

func handwritten(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "handwritten", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func ap(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }
func ip(s string) netip.Addr     { return netip.MustParseAddr(s) }
func cidr(s string) netip.Prefix { return netip.MustParsePrefix(s) }

func dur(s string) model.Duration {
	d, err := time.ParseDuration(s)
	if err != nil {
		panic(err)
	}
	return model.D(d)
}

// checkRows compares whole rows and prints a diff of their JSON.
func checkRows[T any](t *testing.T, got, want []T) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("rows differ (-want +got):\n%s", diffValues(want, got))
	}
}
