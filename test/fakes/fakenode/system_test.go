package fakenode

import (
	"path/filepath"
	"strings"
	"testing"
)

const bpffsLine = "bpffs /sys/fs/bpf bpf rw,nosuid,nodev,noexec,relatime,mode=700 0 0\n"

func TestMountsWithAndWithoutBPFFS(t *testing.T) {
	mounted := node{version: "v3.29.7"}
	for _, args := range [][]string{{"/proc/mounts"}, {"/proc/self/mounts"}} {
		got := mounted.run(t, "cat", args...)
		if got.exit != 0 || !strings.Contains(got.stdout, bpffsLine) || !strings.Contains(got.stdout, " cgroup2 ") {
			t.Errorf("cat %v: %+v", args, got)
		}
	}
	got := mounted.run(t, "cat", "/proc/self/mountinfo")
	if got.exit != 0 || !strings.Contains(got.stdout, " / /sys/fs/bpf rw,nosuid,nodev,noexec,relatime,mode=700 - bpf bpffs ") {
		t.Errorf("mountinfo: %+v", got)
	}
	mounted.run(t, "mount", "-t", "bpf").expect(t, "mount -t bpf", 0,
		"bpffs on /sys/fs/bpf type bpf (rw,nosuid,nodev,noexec,relatime,mode=700)\n", "")

	absent := node{version: "v3.29.7", bpffs: "absent"}
	for _, args := range [][]string{{"/proc/mounts"}, {"/proc/1/mountinfo"}} {
		if got := absent.run(t, "cat", args...); got.exit != 0 || strings.Contains(got.stdout, "bpf") || !strings.Contains(got.stdout, "cgroup2") {
			t.Errorf("absent: cat %v: %+v", args, got)
		}
	}
	absent.run(t, "mount", "-t", "bpf").expect(t, "absent: mount -t bpf", 0, "", "")
	absent.run(t, "ls", "/sys/fs/bpf").expect(t, "absent: ls", 2, "", "ls: cannot access '/sys/fs/bpf': No such file or directory\n")

	// A data file replaces the default table; absent still removes bpffs.
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "mounts.stdout.txt"), "none /sys/fs/bpf bpf rw 0 0\nproc /proc proc rw 0 0\n")
	node{version: "v3.29.7", dataDir: dir}.run(t, "mount").expect(t, "data mounts", 0,
		"none on /sys/fs/bpf type bpf (rw)\nproc on /proc type proc (rw)\n", "")
	node{version: "v3.29.7", dataDir: dir, bpffs: "absent"}.run(t, "cat", "/proc/mounts").expect(t, "data mounts, absent", 0,
		"proc /proc proc rw 0 0\n", "")
	mounted.run(t, "mount", "bpffs", "/sys/fs/bpf", "-t", "bpf").exitIs(t, "mounting is refused", 1)
}

func TestNeverReadsRealFiles(t *testing.T) {
	n := node{version: "v3.29.7", dataDir: t.TempDir()}
	n.run(t, "cat", "/etc/hostname").expect(t, "cat real file", 1, "", "cat: /etc/hostname: No such file or directory\n")
	n.run(t, "cat", "/proc/../etc/passwd").exitIs(t, "cat traversal", 1)
	n.run(t, "ls", "/etc").expect(t, "ls real dir", 2, "", "ls: cannot access '/etc': No such file or directory\n")
	writeFile(t, filepath.Join(n.dataDir, "cat-etc-os-release.stdout.txt"), "ID=rhel\n")
	n.run(t, "cat", "/etc/os-release").expect(t, "cat from data", 0, "ID=rhel\n", "")
}

func TestBPFTool(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "bpftool-net-show.stdout.txt"),
		"xdp:\n\ntc:\neth0(2) tcx/ingress cali_tc_preamble prog_id 51 link_id 3\neth1(3) tcx/ingress cali_tc_preamble prog_id 52 link_id 4\n")
	n := node{version: "v3.32.1", dataDir: dir}
	got := n.run(t, "bpftool", "net")
	if got.exit != 0 || !strings.Contains(got.stdout, "eth1(3)") {
		t.Errorf("bpftool net: %+v", got)
	}
	got = n.run(t, "bpftool", "net", "show", "dev", "eth0")
	if got.exit != 0 || strings.Contains(got.stdout, "eth1") || !strings.Contains(got.stdout, "eth0(2)") {
		t.Errorf("bpftool net show dev eth0: %+v", got)
	}
	n.run(t, "bpftool", "prog", "show").exitIs(t, "no data", 1)
	n.run(t, "bpftool", "map", "update", "id", "1").exitIs(t, "mutating", 1)
}

func (r result) exitIs(t *testing.T, what string, exit int) {
	t.Helper()
	if r.exit != exit {
		t.Errorf("%s: exit %d, want %d (%+v)", what, r.exit, exit, r)
	}
}
