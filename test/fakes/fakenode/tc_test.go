package fakenode

import (
	"path/filepath"
	"strings"
	"testing"
)

// From the seed runbook: tc -s qdisc show on a TC-mode node.
const runbookQdiscs = `qdisc noqueue 0: dev lo root refcnt 2 
 Sent 0 bytes 0 pkt (dropped 0, overlimits 0 requeues 0) 
 backlog 0b 0p requeues 0
qdisc clsact ffff: dev ens5 parent ffff:fff1
 Sent 21671393 bytes 63511 pkt (dropped 0, overlimits 0 requeues 0)
 backlog 0b 0p requeues 0
qdisc clsact ffff: dev tunl0 parent ffff:fff1
 Sent 4752228 bytes 24358 pkt (dropped 0, overlimits 0 requeues 0)
 backlog 0b 0p requeues 0
qdisc clsact ffff: dev calif903a7f3bc2 parent ffff:fff1
 Sent 2507245 bytes 22767 pkt (dropped 46, overlimits 0 requeues 0)
 backlog 0b 0p requeues 0
`

func TestTCQdiscFilteredByDev(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "tc-s-qdisc-show.stdout.txt"), runbookQdiscs)
	n := node{version: "v3.29.7", dataDir: dir}
	n.run(t, "tc", "-s", "qdisc", "show").expect(t, "all", 0, runbookQdiscs, "")
	n.run(t, "tc", "-s", "qdisc", "show", "dev", "calif903a7f3bc2").expect(t, "one dev", 0,
		"qdisc clsact ffff: dev calif903a7f3bc2 parent ffff:fff1\n Sent 2507245 bytes 22767 pkt (dropped 46, overlimits 0 requeues 0)\n backlog 0b 0p requeues 0\n", "")
	// Without -s the statistics lines go.
	n.run(t, "tc", "qdisc", "show", "dev", "tunl0").expect(t, "no stats", 0, "qdisc clsact ffff: dev tunl0 parent ffff:fff1\n", "")
	n.run(t, "tc", "qdisc", "show", "dev", "eth9").expect(t, "unknown dev", 1, "", "Cannot find device \"eth9\"\n")
	got := n.run(t, "tc", "filter", "show", "dev", "ens5", "ingress")
	if got.exit != 0 || !strings.Contains(got.stdout, "cali_tc_preamble direct-action") {
		t.Errorf("filter on a clsact device: %+v", got)
	}
	writeFile(t, filepath.Join(dir, "tc-filter-show-ens5-egress.stdout.txt"), "filter from data\n")
	n.run(t, "tc", "filter", "show", "dev", "ens5", "egress").expect(t, "filter data file", 0, "filter from data\n", "")
}

func TestTCXModeHasNoClsact(t *testing.T) {
	for _, n := range []node{{version: "v3.32.1"}, {version: "v3.29.7", attach: "tcx"}} {
		got := n.run(t, "tc", "-s", "qdisc", "show")
		if got.exit != 0 || strings.Contains(got.stdout, "clsact") || !strings.Contains(got.stdout, "qdisc noqueue 0: dev lo root refcnt 2") {
			t.Errorf("%+v: %+v", n, got)
		}
		if got := n.run(t, "tc", "filter", "show", "dev", "eth0", "ingress"); got.exit != 0 || got.stdout != "" {
			t.Errorf("tcx filter show: %+v", got)
		}
		if got := n.run(t, "ls", "/sys/fs/bpf/tcx"); got.exit != 0 {
			t.Errorf("tcx dir must exist in TCX mode: %+v", got)
		}
	}
	tc := node{version: "v3.32.1", attach: "tc"}
	if got := tc.run(t, "tc", "qdisc", "show", "dev", "eth0"); !strings.Contains(got.stdout, "qdisc clsact ffff: dev eth0 parent ffff:fff1") {
		t.Errorf("TC mode needs clsact: %+v", got)
	}
	tc.run(t, "ls", "/sys/fs/bpf/tcx").expect(t, "no tcx dir in TC mode", 2, "",
		"ls: cannot access '/sys/fs/bpf/tcx': No such file or directory\n")
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "ls-sys-fs-bpf-tcx.stdout.txt"), "eth0_ingress\neth0_egress\n")
	node{version: "v3.32.1", dataDir: dir}.run(t, "ls", "-1", "/sys/fs/bpf/tcx/").expect(t, "tcx links", 0, "eth0_ingress\neth0_egress\n", "")
}

// Any program's answer can be replaced by files, e.g. to make tc fail.
func TestDataFilesOverrideTC(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "tc-qdisc-show.stderr.txt"), "Cannot open netlink socket: Operation not permitted\n")
	writeFile(t, filepath.Join(dir, "tc-qdisc-show.exit"), "1\n")
	node{version: "v3.29.7", dataDir: dir}.run(t, "tc", "qdisc", "show").expect(t, "failing tc", 1, "",
		"Cannot open netlink socket: Operation not permitted\n")
}
