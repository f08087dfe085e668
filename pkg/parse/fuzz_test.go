package parse

import (
	"bytes"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Fuzz targets: one per decoder, seeded with every fixture of its kind.
// No input may panic, hang or break the report's invariants.
//
//	go test ./pkg/parse -run '^$' -fuzz '^FuzzConntrack$' -fuzztime 10s

// handwrittenPrefix names the hand-written fixtures of a kind.
var handwrittenPrefix = map[Kind]string{
	KindRoutes: "routes-", KindNAT: "nat-", KindNATAffinity: "nat-aff-", KindIPSets: "ipsets-",
	KindConntrack: "conntrack-", KindIfState: "ifstate-", KindCounters: "counters-",
	KindQdisc: "qdisc-", KindFelixLog: "felixlog-", KindTrace: "trace-",
}

func addSeeds(f *testing.F, kind Kind, extra ...string) {
	// Every real output, not only the kind's own: other kinds' lines are good
	// inputs for a decoder too.
	files, _ := filepath.Glob(filepath.Join("testdata", "v*", "*.txt"))
	if p, ok := handwrittenPrefix[kind]; ok {
		hw, _ := filepath.Glob(filepath.Join("testdata", "handwritten", p+"*"))
		files = append(files, hw...)
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range extra {
		f.Add([]byte(s))
	}
}

// fuzzDecode checks what must hold for any input.
func fuzzDecode(t *testing.T, kind Kind, data []byte) {
	for _, format := range []Format{FormatAuto, FormatText} {
		if format == FormatAuto && !kind.HasJSON() {
			continue
		}
		opts := Options{Format: format, MaxBackends: 500, MaxSetMembers: 50, MaxWarnings: 20, MaxLineBytes: 4096}
		rows := 0
		rep, err := Decode(kind, bytes.NewReader(data), opts, func(any) error {
			rows++
			return nil
		})
		if rows != rep.Rows {
			t.Fatalf("delivered %d rows, report says %d", rows, rep.Rows)
		}
		if len(rep.Warnings) > opts.MaxWarnings {
			t.Fatalf("%d warnings, bound %d", len(rep.Warnings), opts.MaxWarnings)
		}
		if err != nil && rep.Rows > 0 && kind == KindConntrackStats && rep.Format == FormatText { // text stats are delivered at the end only
			t.Fatalf("stats rows despite error %v", err)
		}
		lines := bytes.Count(data, []byte("\n")) + 1
		if rep.Format == FormatText && oneRowPerLine[kind] && rep.Rows > lines {
			t.Fatalf("%d rows from %d lines", rep.Rows, lines)
		}
		// Same input, same outcome.
		rep2, err2 := Decode(kind, bytes.NewReader(data), opts, func(any) error { return nil })
		if rep2.Rows != rep.Rows || len(rep2.Warnings) != len(rep.Warnings) || (err == nil) != (err2 == nil) {
			t.Fatalf("decoding twice differs: %+v/%v vs %+v/%v", rep, err, rep2, err2)
		}
	}
}

var oneRowPerLine = map[Kind]bool{KindRoutes: true, KindConntrack: true, KindARP: true, KindIfState: true, KindMaglev: true, KindTrace: true}

func FuzzRoutes(f *testing.F) {
	addSeeds(f, KindRoutes, "fd00::/48: remote in-pool\n", "1.2.3.4/32:\n")
	f.Fuzz(func(t *testing.T, b []byte) { fuzzDecode(t, KindRoutes, b) })
}

func FuzzNAT(f *testing.F) {
	addSeeds(f, KindNAT, "1.2.3.4 port 1 proto 6 id 4 count 4294967295 local 0\n\t4:0\t is missing\n\t4:1\t is missing\n")
	f.Fuzz(func(t *testing.T, b []byte) { fuzzDecode(t, KindNAT, b) })
}

func FuzzNATAffinity(f *testing.F) {
	addSeeds(f, KindNATAffinity)
	f.Fuzz(func(t *testing.T, b []byte) { fuzzDecode(t, KindNATAffinity, b) })
}

func FuzzMaglev(f *testing.F) {
	addSeeds(f, KindMaglev)
	f.Fuzz(func(t *testing.T, b []byte) { fuzzDecode(t, KindMaglev, b) })
}

func FuzzIPSets(f *testing.F) {
	addSeeds(f, KindIPSets)
	f.Fuzz(func(t *testing.T, b []byte) { fuzzDecode(t, KindIPSets, b) })
}

func FuzzConntrack(f *testing.F) {
	addSeeds(f, KindConntrack)
	f.Fuzz(func(t *testing.T, b []byte) { fuzzDecode(t, KindConntrack, b) })
}

func FuzzConntrackStats(f *testing.F) {
	addSeeds(f, KindConntrackStats)
	f.Fuzz(func(t *testing.T, b []byte) { fuzzDecode(t, KindConntrackStats, b) })
}

func FuzzARP(f *testing.F) {
	addSeeds(f, KindARP)
	f.Fuzz(func(t *testing.T, b []byte) { fuzzDecode(t, KindARP, b) })
}

func FuzzCounters(f *testing.F) {
	addSeeds(f, KindCounters)
	f.Fuzz(func(t *testing.T, b []byte) { fuzzDecode(t, KindCounters, b) })
}

func FuzzIfState(f *testing.F) {
	addSeeds(f, KindIfState)
	f.Fuzz(func(t *testing.T, b []byte) { fuzzDecode(t, KindIfState, b) })
}

func FuzzQdisc(f *testing.F) {
	addSeeds(f, KindQdisc, "qdisc noqueue 0: dev lo root refcnt 2\n Sent 0 bytes 0 pkt (dropped 0, overlimits 0 requeues 0)\n backlog 1Kb 0p requeues 0\n")
	f.Fuzz(func(t *testing.T, b []byte) { fuzzDecode(t, KindQdisc, b) })
}

func FuzzFilter(f *testing.F) {
	addSeeds(f, KindFilter, "filter protocol all pref 49152 bpf chain 0\nfilter protocol all pref 49152 bpf chain 0 handle 0x1 cali_tc_preambl:[61] direct-action not_in_hw id 61 tag 4add0302745d594c jited\n")
	f.Fuzz(func(t *testing.T, b []byte) { fuzzDecode(t, KindFilter, b) })
}

func FuzzFelixLog(f *testing.F) {
	addSeeds(f, KindFelixLog, "time=\"x\" level=info msg=\"Program attached to tcx.\" iface=eth0\n")
	f.Fuzz(func(t *testing.T, b []byte) { fuzzDecode(t, KindFelixLog, b) })
}

func FuzzTrace(f *testing.F) {
	addSeeds(f, KindTrace, "CPU:3 [LOST 12 EVENTS]\n", "[001] 99.5: 0: IPv6 cali12345------E: Final result=DENY (2).\n")
	f.Fuzz(func(t *testing.T, b []byte) { fuzzDecode(t, KindTrace, b) })
}

func FuzzStderrFailure(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "v*", "*.stderr.txt"))
	for _, name := range files {
		b, _ := os.ReadFile(name)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if err := StderrFailure(b); err != nil && !strings.Contains(err.Error(), "line ") {
			t.Fatalf("error without a line: %v", err)
		}
	})
}

// FuzzDuration: parseDuration accepts exactly what time.ParseDuration does.
func FuzzDuration(f *testing.F) {
	for _, s := range []string{"1m4.11277541s", "850ms", "12.345µs", "0", "-3s", "2h3m4.5s", "1.5μs", ".5s", "9223372036854775807ns", "-9223372036854775808ns", "1.s", "1.23456789012h", "2.5m", "0.0000000001m", "3.999999999999s", "1.5µs7.25ms", "1h2m3.5s", "59m59.999999999s", "12.5ms", "1msx", "1m 2s", "1m\t2s", "999999h", "1234567h", "3.1234567890123h"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, werr := time.ParseDuration(s)
		got, ok := parseDuration([]byte(s))
		if ok != (werr == nil) || (ok && got != want) {
			t.Fatalf("parseDuration(%q) = %v, %v; time.ParseDuration = %v, %v", s, got, ok, want, werr)
		}
		// parseDurationAt reads a field up to a space.
		field, _, _ := strings.Cut(s, " ")
		want, werr = time.ParseDuration(field)
		if strings.Contains(field, "\t") {
			werr = errors.New("a tab")
		}
		got, end, ok := parseDurationAt([]byte(s+" x"), 0)
		if ok != (werr == nil) || (ok && (got != want || end != len(field))) {
			t.Fatalf("parseDurationAt(%q) = %v, %d, %v; time.ParseDuration(%q) = %v, %v", s+" x", got, end, ok, field, want, werr)
		}
		got, end, ok = parseDurationAt([]byte(s), 0)
		if ok != (werr == nil) || (ok && (got != want || end != len(field))) {
			t.Fatalf("parseDurationAt(%q) = %v, %d, %v; time.ParseDuration(%q) = %v, %v", s, got, end, ok, field, want, werr)
		}
	})
}

// FuzzAddr: the fast address parsers agree with net/netip.
func FuzzAddr(f *testing.F) {
	for _, s := range []string{"10.65.0.5", "0.0.0.0", "255.255.255.255", "010.1.1.1", "1.2.3", "fd00:10:65::5", "::", "10.65.0.5:8080", "[fd00::1]:443", "fd00::1:443", "10.0.0.0/8", "fd00::/48", "1.2.3.4/033"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if a, ok := parseAddr([]byte(s)); ok {
			if want, err := netip.ParseAddr(s); err != nil || want != a {
				t.Fatalf("parseAddr(%q) = %v; netip: %v %v", s, a, want, err)
			}
		} else if want, err := netip.ParseAddr(s); err == nil && want.Zone() == "" {
			t.Fatalf("parseAddr(%q) failed; netip parses %v", s, want)
		}
		if p, ok := parsePrefix([]byte(s)); ok {
			if want, err := netip.ParsePrefix(s); err != nil || want != p {
				t.Fatalf("parsePrefix(%q) = %v; netip: %v %v", s, p, want, err)
			}
		}
		if ap, ok := parseAddrPort([]byte(s)); ok && strings.HasPrefix(s, "[") {
			if want, err := netip.ParseAddrPort(s); err != nil || want != ap {
				t.Fatalf("parseAddrPort(%q) = %v; netip: %v %v", s, ap, want, err)
			}
		}
	})
}

// FuzzIPv4Port: the fast paths' address and port readers agree with each
// other and with net/netip.
func FuzzIPv4Port(f *testing.F) {
	for _, s := range []string{"10.65.1.2:80 -> 10.1.2.3:4567 ESTABLISHED xxxxxxxxxx", "255.255.255.255:65535}", "1.2.3.4:0 ", "01.2.3.4:80 <-> ", "1.2.3.4:65536 x", "1.2.3.4:000080 xxxxxxxxxxxxxxxxxxxxxxx", "0.0.0.0 OrigPort:0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b := []byte(s)
		ap, n, ok := fastIPv4Port(b, 0)
		ap2, n2, ok2 := scalarIPv4Port(b, 0)
		if ap != ap2 || ok != ok2 || (ok && n != n2) {
			t.Fatalf("%q: fast %v %d %v, scalar %v %d %v", s, ap, n, ok, ap2, n2, ok2)
		}
		if ok {
			if want, err := netip.ParseAddrPort(s[:n]); err != nil || want != ap {
				t.Fatalf("%q: %v; netip: %v %v", s[:n], ap, want, err)
			}
		}
		if a, n, ok := fastIPv4(b, 0); ok {
			if want, err := netip.ParseAddr(s[:n]); err != nil || want != a {
				t.Fatalf("%q: %v; netip: %v %v", s[:n], a, want, err)
			}
		}
	})
}
