package fakenode

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/calico-ebpf/kubectl-calico-ebpf/test/fakes/render"
)

func TestNormalDumpServesRenderedData(t *testing.T) {
	for _, version := range []string{"v3.22.5", "v3.26.5", "v3.29.7", "v3.32.1"} {
		t.Run(version, func(t *testing.T) {
			dir := rendered(t, version, render.Options{})
			n := node{name: "n1", version: version, dataDir: dir}
			got := n.run(t, "calico-node", "-bpf", "conntrack", "dump")
			wantErr := ""
			if version == "v3.22.5" { // Info logging by default before v3.24
				wantErr = readFile(t, filepath.Join(dir, "conntrack-dump.stderr.txt"))
				if !strings.Contains(wantErr, "confd/maps.go 308: Loaded map file descriptor.") {
					t.Errorf("v3.22 stderr lacks the map-loading line: %q", wantErr)
				}
			}
			got.expect(t, "conntrack dump", 0, readFile(t, filepath.Join(dir, "conntrack-dump.stdout.txt")), wantErr)
		})
	}
}

func TestJSONFlagByVersion(t *testing.T) {
	dir := rendered(t, "v3.32.1", render.Options{})
	want := readFile(t, filepath.Join(dir, "routes-dump-json.stdout.txt"))
	for _, version := range []string{"v3.31.5", "v3.32.0", "v3.32.1"} {
		node{version: version, dataDir: dir}.run(t, "calico-node", "-bpf", "routes", "dump", "-j").
			expect(t, version+" -j", 0, want, "")
	}
	for _, version := range []string{"v3.29.7", "v3.31.4"} {
		got := node{version: version, dataDir: dir}.run(t, "calico-node", "-bpf", "routes", "dump", "-j")
		got.expect(t, version+" -j", 1, fixture(t, "v3.29.7", "json-flag-unsupported.stdout.txt"),
			fixture(t, "v3.29.7", "json-flag-unsupported.stderr.txt"))
	}
	got := node{version: "v3.30.3", dataDir: dir}.run(t, "calico-node", "-bpf", "routes", "dump", "--json")
	if got.exit != 1 || got.stderr != "Error: unknown flag: --json\n" {
		t.Errorf("--json on v3.30: %+v", got)
	}
}

func TestDash6Placement(t *testing.T) {
	dir := rendered(t, "v3.32.1", render.Options{})
	n := node{version: "v3.32.1", dataDir: dir}
	// Before the subcommand it fails in calico-node's Go flag parser.
	n.run(t, "calico-node", "-bpf", "-6", "routes", "dump").expect(t, "-6 before", 1,
		fixture(t, "v3.32.1", "node-bpf-dash6-before.stdout.txt"), fixture(t, "v3.32.1", "node-bpf-dash6-before.stderr.txt"))
	n.run(t, "calico-node", "-bpf", "--log-level=info", "routes", "dump").expect(t, "--log-level before", 1,
		fixture(t, "v3.32.1", "node-bpf-loglevel-before.stdout.txt"), fixture(t, "v3.32.1", "node-bpf-loglevel-before.stderr.txt"))
	// After it, cobra takes it as a persistent flag.
	n.run(t, "calico-node", "-bpf", "routes", "dump", "-6").expect(t, "-6 after", 0,
		readFile(t, filepath.Join(dir, "routes-dump-v6.stdout.txt")), "")
	// Before v3.27 there is no -6 at all.
	got := node{version: "v3.26.5", dataDir: dir}.run(t, "calico-node", "-bpf", "routes", "dump", "-6")
	if got.exit != 1 || got.stderr != "Error: unknown shorthand flag: '6' in -6\n" || !strings.HasPrefix(got.stdout, "Usage:\n") {
		t.Errorf("-6 on v3.26: %+v", got)
	}
}

func TestLogLevelInfoServesMapLines(t *testing.T) {
	dir := rendered(t, "v3.29.7", render.Options{})
	got := node{version: "v3.29.7", dataDir: dir}.run(t, "calico-node", "-bpf", "routes", "dump", "--log-level=info")
	if got.exit != 0 || !strings.Contains(got.stderr, `node/maps.go 569: Loaded map file descriptor. fd=0x3 name="cali_v4_routes"`) {
		t.Errorf("--log-level=info: %+v", got)
	}
	// No capture at debug level for nat: falls back to the plain answer.
	got = node{version: "v3.29.7", dataDir: dir}.run(t, "calico-node", "-bpf", "nat", "dump", "--log-level=debug")
	got.expect(t, "nat dump --log-level=debug", 0, readFile(t, filepath.Join(dir, "nat-dump.stdout.txt")), "")
}

func TestCombinedBinaryFromV3_33(t *testing.T) {
	dir := rendered(t, "v3.33.0", render.Options{})
	n := node{version: "v3.33.0", dataDir: dir}
	want := readFile(t, filepath.Join(dir, "routes-dump-v6.stdout.txt"))
	// DisableFlagParsing: -6 may come first here.
	n.run(t, "calico", "component", "node", "bpf", "-6", "routes", "dump").expect(t, "v3.33 calico", 0, want, "")
	n.run(t, "calico-node", "-bpf", "routes", "dump").expect(t, "v3.33 calico-node", 127, "",
		"exec: \"calico-node\": executable file not found in $PATH\n")
	dev := node{version: "v3.33.0-0.dev", dataDir: dir}
	dev.run(t, "calico", "component", "node", "bpf", "routes", "dump", "-6").expect(t, "dev tag", 0, want, "")

	old := node{version: "v3.32.1", dataDir: dir}
	old.run(t, "calico", "component", "node", "bpf", "routes", "dump").expect(t, "v3.32 calico", 127, "",
		"exec: \"calico\": executable file not found in $PATH\n")
}

func TestNodeVersionFlag(t *testing.T) {
	node{version: "v3.29.7"}.run(t, "calico-node", "-v").expect(t, "v3.29 -v", 0, "v3.29.7\n", "")
	got := node{version: "v3.32.1"}.run(t, "calico-node", "-v")
	if got.exit != 0 || !regexp.MustCompile(`^Version:      v3\.32\.1\nBuild date:   \S+\nGit commit:   [0-9a-f]{40}\n$`).MatchString(got.stdout) {
		t.Errorf("v3.32 -v: %+v", got)
	}
	got = node{version: "v3.29.7"}.run(t, "calico-node", "-bpf", "version")
	got.expect(t, "v3.29 -bpf version (no buildinfo in calico-node)", 0, fixture(t, "v3.29.7", "version.stdout.txt"), "")
}

func TestCobraErrors(t *testing.T) {
	n := node{version: "v3.32.1", dataDir: rendered(t, "v3.32.1", render.Options{})}
	n.run(t, "calico-node", "-bpf", "conntrack", "dump", "--bogus").expect(t, "unknown flag", 1,
		fixture(t, "v3.32.1", "bad-flag.stdout.txt"), fixture(t, "v3.32.1", "bad-flag.stderr.txt"))
	n.run(t, "calico-node", "-bpf", "frobnicate").expect(t, "unknown command", 1, "",
		"Error: unknown command \"frobnicate\" for \"calico-bpf\"\nRun 'calico-bpf --help' for usage.\n")
	n.run(t, "calico-node", "-bpf", "help").expect(t, "help", 0, fixture(t, "v3.32.1", "node-bpf-help.stdout.txt"), "")
	old := node{version: "v3.22.5"}
	old.run(t, "calico-node", "-bpf", "nat", "aff").expect(t, "nat aff on v3.22", 0, fixture(t, "v3.22.5", "nat-aff.stdout.txt"), "")
}

func TestMutatingVerbsRefused(t *testing.T) {
	n := node{name: "n1", version: "v3.32.1", dataDir: rendered(t, "v3.32.1", render.Options{})}
	for _, args := range [][]string{
		{"-bpf", "conntrack", "clean"}, {"-bpf", "nat", "del", "front", "1"}, {"-bpf", "connect-time", "clean"},
		{"-bpf", "cleanup"}, {"-bpf", "counters", "flush"}, {"-bpf", "routes", "add", "10.0.0.0/8"}, {"-bpf", "arp", "clean"},
	} {
		got := n.run(t, "calico-node", args...)
		if got.exit != 1 || got.stdout != "" || !strings.Contains(got.stderr, "refusing mutating command") {
			t.Errorf("%q: %+v", args, got)
		}
	}
	got := n.run(t, "tc", "qdisc", "del", "dev", "eth0", "clsact")
	if got.exit != 1 || !strings.Contains(got.stderr, "refusing mutating command") {
		t.Errorf("tc qdisc del: %+v", got)
	}
}

func TestNoMapsLikeCalico(t *testing.T) {
	n := node{version: "v3.32.1", dataDir: t.TempDir()}
	got := n.run(t, "calico-node", "-bpf", "routes", "dump")
	errLine := regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} \[ERROR\]\[\d+\] node/routes\.go 48: Failed to dump routes map\. error=failed to open map: stat /sys/fs/bpf/tc/globals/cali_v4_routes: no such file or directory\n$`)
	if got.exit != 0 || got.stdout != "" || !errLine.MatchString(got.stderr) {
		t.Errorf("routes dump without maps: %+v", got)
	}
	got = n.run(t, "calico-node", "-bpf", "conntrack", "dump")
	if got.exit != 1 || !strings.Contains(got.stderr, "[FATAL]") || !strings.Contains(got.stderr, "node/conntrack.go 118: Failed to get ConntrackMap error=failed to access conntrack Map") {
		t.Errorf("conntrack dump without maps: %+v", got)
	}
	got = node{version: "v3.27.0"}.run(t, "calico-node", "-bpf", "nat", "dump", "-6")
	if got.exit != 0 || !strings.Contains(got.stderr, "[ERROR]") || !strings.Contains(got.stderr, "confd/nat.go") || !strings.Contains(got.stderr, "cali_v6_nat_fe3") {
		t.Errorf("v3.27 nat dump -6 without maps: %+v", got)
	}
	// A bpffs-less node has no maps whatever its data dir holds.
	absent := node{version: "v3.32.1", dataDir: rendered(t, "v3.32.1", render.Options{}), bpffs: "absent"}
	if got := absent.run(t, "calico-node", "-bpf", "routes", "dump"); got.stdout != "" || !strings.Contains(got.stderr, "Failed to dump routes map.") {
		t.Errorf("routes dump without bpffs: %+v", got)
	}
	// The rendered no-maps fixture set answers from its files.
	noMaps := t.TempDir()
	if err := render.Render(os.DirFS(filepath.Join(testdata, render.FamilyNoMap)), noMaps, render.Options{}); err != nil {
		t.Fatal(err)
	}
	node{version: "v3.32.1", dataDir: noMaps}.run(t, "calico-node", "-bpf", "conntrack", "stats").expect(t, "rendered no-maps",
		1, "", fixture(t, render.FamilyNoMap, "empty-conntrack-stats.stderr.txt"))
}

func TestNATDumpFilterAndCountersIface(t *testing.T) {
	n := node{version: "v3.32.1", dataDir: rendered(t, "v3.32.1", render.Options{})}
	got := n.run(t, "calico-node", "-bpf", "nat", "dump", "10.96.45.12", "80", "tcp")
	if got.exit != 0 || strings.Count(got.stdout, "id 3 ") != 3 || strings.Contains(got.stdout, "id 2 ") {
		t.Errorf("nat dump filter: %+v", got)
	}
	got = n.run(t, "calico-node", "-bpf", "nat", "dump", "10.96.45.12", "80", "tcp", "-j")
	if got.exit != 0 || strings.Count(got.stdout, `"id": 3`) != 3 || strings.Contains(got.stdout, `"id": 2`) {
		t.Errorf("nat dump filter -j: %+v", got)
	}
	got = n.run(t, "calico-node", "-bpf", "counters", "dump", "--iface=lo")
	if got.exit != 0 || !strings.HasSuffix(got.stdout, "dumped lo counters.\n") {
		t.Errorf("counters --iface lo: %+v", got)
	}
	got = n.run(t, "calico-node", "-bpf", "counters", "dump", "--iface=nope0")
	if got.exit != 0 || got.stdout != "" || !strings.Contains(got.stderr, "no such network interface") {
		t.Errorf("counters --iface nope0: %+v", got)
	}
}
