package render

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/calico-ebpf/kubectl-calico-ebpf/test/fakes/calver"
)

const testdata = "../../../pkg/parse/testdata"

func renderTo(t *testing.T, version string, opts Options) string {
	t.Helper()
	dst := t.TempDir()
	if err := RenderVersion(testdata, version, dst, opts); err != nil {
		t.Fatal(err)
	}
	return dst
}

func read(t *testing.T, path string) string {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

func exists(path string) bool { _, err := os.Stat(path); return err == nil }

func TestFamilyFor(t *testing.T) {
	for v, want := range map[string]string{
		"v3.16.0": FamilyV3_22, "v3.22.5": FamilyV3_22, "v3.27.5": FamilyV3_22,
		"v3.28.0": FamilyV3_29, "v3.30.7": FamilyV3_29,
		"v3.31.0": FamilyV3_32, "v3.32.1": FamilyV3_32, "v3.33.0-0.dev": FamilyV3_32,
	} {
		if got, err := FamilyFor(v); err != nil || got != want {
			t.Errorf("FamilyFor(%s) = %s, %v; want %s", v, got, err, want)
		}
	}
	if _, err := FamilyFor("latest"); err == nil {
		t.Error("FamilyFor(latest) must fail")
	}
}

func TestRenderFilesRunsUnderKeys(t *testing.T) {
	dst := renderTo(t, "v3.32.1", Options{})
	for _, key := range []string{"routes-dump", "routes-dump-v6", "conntrack-dump-raw-json", "nat-dump-grouped-json", "nat-maglev", "conntrack-stats"} {
		if !exists(filepath.Join(dst, key+".stdout.txt")) {
			t.Errorf("missing %s.stdout.txt", key)
		}
	}
	// Error reproductions and help stay under their names, out of the way.
	for _, name := range []string{"node-bpf-dash6-before", "bad-flag", "nat-dump-filter", "node-bpf-help"} {
		if !exists(filepath.Join(dst, RunsDir, name+".stdout.txt")) || exists(filepath.Join(dst, name+".stdout.txt")) {
			t.Errorf("%s must be kept only under %s/", name, RunsDir)
		}
	}
	if got := read(t, filepath.Join(dst, RunsDir, "bad-flag.exit")); got != "1\n" {
		t.Errorf("bad-flag.exit = %q", got)
	}
	// calico-node's capture wins over the standalone tool's.
	var m Manifest
	if err := json.Unmarshal([]byte(read(t, filepath.Join(dst, ManifestFile))), &m); err != nil {
		t.Fatal(err)
	}
	if m.Keys["routes-dump-v6"] != "node-bpf-dash6-after" || m.Keys["routes-dump-loginfo"] != "node-bpf-loginfo" {
		t.Errorf("manifest keys: %v", m.Keys)
	}
}

func TestRenderWritesExitFiles(t *testing.T) {
	dst := t.TempDir()
	if err := Render(os.DirFS(filepath.Join(testdata, FamilyNoMap)), dst, Options{Version: "v3.31.7"}); err != nil {
		t.Fatal(err)
	}
	if got := read(t, filepath.Join(dst, "conntrack-dump.exit")); got != "1\n" {
		t.Errorf("conntrack-dump.exit = %q", got)
	}
	if exists(filepath.Join(dst, "routes-dump.exit")) || !exists(filepath.Join(dst, "routes-dump.stderr.txt")) {
		t.Error("routes-dump: exit 0 needs no exit file, but its stderr must be there")
	}
}

func TestRenderDropsWhatTheVersionLacks(t *testing.T) {
	dst := renderTo(t, "v3.31.4", Options{})
	entries, _ := os.ReadDir(dst)
	for _, e := range entries {
		if strings.Contains(e.Name(), "-json") || strings.Contains(e.Name(), "-grouped") || strings.HasPrefix(e.Name(), "nat-maglev") {
			t.Errorf("v3.31.4 has no %s", e.Name())
		}
	}
	if !exists(filepath.Join(dst, "conntrack-dump.stdout.txt")) || !exists(filepath.Join(dst, "nat-aff.stdout.txt")) {
		t.Error("text dumps must stay")
	}
	old := renderTo(t, "v3.26.5", Options{})
	if exists(filepath.Join(old, "routes-dump-v6.stdout.txt")) || exists(filepath.Join(old, "nat-aff.stdout.txt")) {
		t.Error("v3.26 family v3.22.5 has neither -6 nor a nat aff capture")
	}
}

func TestRenderMapLogLines(t *testing.T) {
	// v3.22: Info by default, so the lines stay, as calico-node prints them
	// (the standalone tool's logrus line is converted).
	dst := renderTo(t, "v3.22.5", Options{})
	line := regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} \[INFO\]\[\d+\] confd/maps\.go 308: Loaded map file descriptor\. fd=0x3 name="/sys/fs/bpf/tc/globals/cali_v4_arp2"\n$`)
	if got := read(t, filepath.Join(dst, "arp-dump.stderr.txt")); !line.MatchString(got) {
		t.Errorf("arp-dump.stderr.txt = %q", got)
	}
	// v3.24+ logs at warn: the same family renders without stderr.
	if dst := renderTo(t, "v3.25.0", Options{}); exists(filepath.Join(dst, "routes-dump.stderr.txt")) {
		t.Error("v3.25 prints no map lines by default")
	}
	if dst := renderTo(t, "v3.22.5", Options{MapLogs: MapLogsDrop}); exists(filepath.Join(dst, "routes-dump.stderr.txt")) {
		t.Error("MapLogsDrop must drop them")
	}
	// v3.26–v3.30 print the bare map name.
	if got, _ := mapLogLine(`2026-11-26 10:34:48.662 [INFO][23787] confd/maps.go 308: Loaded map file descriptor. fd=0x6 name="/sys/fs/bpf/tc/globals/cali_v4_routes"`, calver.MustParse("v3.26.5")); !strings.HasSuffix(got, `confd/maps.go 564: Loaded map file descriptor. fd=0x6 name="cali_v4_routes"`) {
		t.Errorf("v3.26 line: %q", got)
	}
}

func TestRenderRewritesIPsAndRefitsColumns(t *testing.T) {
	dst := renderTo(t, "v3.32.1", Options{IPMap: map[string]string{
		"10.65.0.5": "10.244.100.200", "192.168.1.12": "172.18.0.3", "fd00:10:65::5": "fd00:10:244::7"}})
	routes := read(t, filepath.Join(dst, "routes-dump.stdout.txt"))
	for _, want := range []string{"  10.65.0.1/32: local host", "10.244.100.200/32: local workload", "  172.18.0.3/32: remote host", "nh 172.18.0.3\n"} {
		if !strings.Contains(routes, want) {
			t.Errorf("routes dump lacks %q:\n%s", want, routes)
		}
	}
	if strings.Index(routes, "10.244.100.200/32") < strings.Index(routes, "10.65.9.64/26") {
		t.Errorf("routes must stay sorted by address:\n%s", routes)
	}
	if arp := read(t, filepath.Join(dst, "arp-dump.stdout.txt")); !strings.Contains(arp, "dev    2:      172.18.0.3 : ") {
		t.Errorf("arp dump:\n%s", arp)
	}
	ct := read(t, filepath.Join(dst, "conntrack-dump-v6.stdout.txt"))
	if !strings.Contains(ct, "TCP fd00:10:244::7:43210 -> fd00:10:65:1::7:8080") {
		t.Errorf("conntrack -6:\n%s", ct)
	}
	if js := read(t, filepath.Join(dst, "conntrack-dump-json.stdout.txt")); !strings.Contains(js, `"src": "10.244.100.200:5353"`) || strings.Contains(js, `"10.65.0.5:`) {
		t.Error("JSON strings must be rewritten")
	}
	if nat := read(t, filepath.Join(dst, "nat-dump.stdout.txt")); !strings.Contains(nat, "10.65.0.50:9000") {
		t.Error("10.65.0.50 must not be touched by the 10.65.0.5 mapping")
	}
}

func TestWriteLargeConntrack(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	lines, err := WriteLargeConntrack(a, 1<<20, 7)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := WriteLargeConntrack(b, 1<<20, 7); err != nil {
		t.Fatal(err)
	}
	textA := read(t, a)
	if textA != read(t, b) {
		t.Error("same seed must give the same bytes")
	}
	if len(textA) < 1<<20 || int64(strings.Count(textA, "\n")) != lines {
		t.Errorf("size %d, lines %d", len(textA), lines)
	}
	// The parser regex from the reference (§2.3.2), Age optional.
	pretty := regexp.MustCompile(`^(\S+) (\S+):(\d+) -> (\S+):(\d+)(?: -> (\S+):(\d+))? (?:external client, service forwarded to/from (\S+) )?(?:source port changed from (\d+) )? (?:Age: (\S+) )?Active ago (\S+)(?: (CLOSED|RESET|ESTABLISHED|SYN-SENT))?$`)
	for i, l := range strings.Split(strings.TrimSuffix(textA, "\n"), "\n") {
		if !pretty.MatchString(l) {
			t.Fatalf("line %d is not a pretty conntrack line: %q", i+1, l)
		}
	}
	if !strings.Contains(textA, "ICMP") || !strings.Contains(textA, "external client") || !strings.Contains(textA, "source port changed from") {
		t.Error("the dump should exercise every line form")
	}
}

// Every node gets the trace pipe of its era, with the cluster's addresses.
func TestRenderTracePipePerFamily(t *testing.T) {
	for version, marker := range map[string]string{
		"v3.22.5": " 0: ens192---I: ", "v3.26.1": " 0: ens192---I: ",
		"v3.29.7": "bpf_trace_printk: IPv6 calia1b2c3d4e5f-E: ",
		"v3.32.1": "CPU:4 [LOST 12 EVENTS]", "v3.33.0": "CPU:4 [LOST 12 EVENTS]",
	} {
		dst := t.TempDir()
		if err := RenderVersion(testdata, version, dst, Options{IPMap: map[string]string{"10.96.0.10": "10.96.0.99"}}); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(dst, TraceKey+".stdout.txt"))
		if err != nil || !strings.Contains(string(b), marker) {
			t.Errorf("%s: trace pipe lacks %q (%v):\n%s", version, marker, err, b)
		}
		if version == "v3.22.5" && !strings.Contains(string(b), "NAT: 10.96.0.99:53 -> ") {
			t.Errorf("%s: addresses not rewritten:\n%s", version, b)
		}
	}
}
