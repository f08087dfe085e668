package fakenode

import (
	"fmt"
	"path"
	"regexp"
	"strings"
)

// mountEntry is one line of /proc/mounts: source target fstype options.
type mountEntry struct{ source, target, fstype, options string }

// defaultMounts is a calico-node container's view of its mounts. The bpffs
// line is the one the plugin's preflight looks for.
var defaultMounts = []mountEntry{
	{"overlay", "/", "overlay", "rw,relatime,lowerdir=/var/lib/containers/l/1,upperdir=/var/lib/containers/u/1,workdir=/var/lib/containers/w/1"},
	{"proc", "/proc", "proc", "rw,nosuid,nodev,noexec,relatime"},
	{"tmpfs", "/dev", "tmpfs", "rw,nosuid,size=65536k,mode=755"},
	{"sysfs", "/sys", "sysfs", "rw,nosuid,nodev,noexec,relatime"},
	{"cgroup2", "/sys/fs/cgroup", "cgroup2", "rw,nosuid,nodev,noexec,relatime"},
	{"bpffs", "/sys/fs/bpf", "bpf", "rw,nosuid,nodev,noexec,relatime,mode=700"},
	{"cgroup2", "/run/calico/cgroup", "cgroup2", "rw,relatime"},
	{"/dev/root", "/var/lib/calico", "ext4", "rw,relatime"},
	{"/dev/root", "/var/run/calico", "ext4", "rw,relatime"},
	{"/dev/root", "/var/log/calico", "ext4", "rw,relatime"},
}

// mounts returns the node's mount table: data key "mounts" (in /proc/mounts
// format) or the default. With FAKE_BPFFS=absent every bpf mount is dropped.
func (p *proc) mounts() ([]mountEntry, error) {
	entries := defaultMounts
	data, ok, err := p.data.readStdout("mounts")
	if err != nil {
		return nil, err
	}
	if ok {
		entries = nil
		for _, line := range strings.Split(string(data), "\n") {
			f := strings.Fields(line)
			if len(f) >= 4 {
				entries = append(entries, mountEntry{f[0], f[1], f[2], f[3]})
			}
		}
	}
	var out []mountEntry
	for _, e := range entries {
		if e.fstype == "bpf" && !p.env.BPFFSMounted() {
			continue
		}
		out = append(out, e)
	}
	// tracefs where FAKE_TRACEFS puts it, unless a data file gives the whole table.
	if p.env.Tracefs != "none" && !ok {
		out = append(out, mountEntry{"tracefs", p.env.Tracefs, "tracefs", "rw,nosuid,nodev,noexec,relatime"})
	}
	return out, nil
}

func procMountsText(entries []mountEntry) string {
	var b strings.Builder
	for _, e := range entries {
		fmt.Fprintf(&b, "%s %s %s %s 0 0\n", e.source, e.target, e.fstype, e.options)
	}
	return b.String()
}

// mountinfoText renders /proc/self/mountinfo with made-up but consistent
// mount IDs and device numbers.
func mountinfoText(entries []mountEntry) string {
	var b strings.Builder
	for i, e := range entries {
		id, parent := 600+i, 600
		if i == 0 {
			parent = 500
		}
		fmt.Fprintf(&b, "%d %d 0:%d / %s %s - %s %s %s\n", id, parent, 30+i, e.target, e.options, e.fstype, e.source, e.options)
	}
	return b.String()
}

// runMount answers "mount" and "mount [-l] [-t type[,type…]]" (util-linux
// listing format). Anything else would mount something and is refused.
func runMount(p *proc, args []string) int {
	var types []string
	for i := 0; i < len(args); i++ {
		switch a := args[i]; {
		case a == "-l":
		case (a == "-t" || a == "--types") && i+1 < len(args):
			i++
			types = strings.Split(args[i], ",")
		default:
			return p.refuse("mount " + strings.Join(args, " "))
		}
	}
	entries, err := p.mounts()
	if err != nil {
		fmt.Fprintf(p.stderr, "fakenode: %v\n", err)
		return exitMisconfigured
	}
	for _, e := range entries {
		if len(types) == 0 || contains(types, e.fstype) {
			fmt.Fprintf(p.stdout, "%s on %s type %s (%s)\n", e.source, e.target, e.fstype, e.options)
		}
	}
	return 0
}

var procMountFile = regexp.MustCompile(`^/proc/(?:self|thread-self|\d+)/(mounts|mountinfo)$`)

// runCat serves the mount tables, and any other path only from data key
// "cat" + path with "/" as "-" (cat /etc/os-release → cat-etc-os-release).
// It never opens the real file.
func runCat(p *proc, args []string) int {
	code := 0
	for _, arg := range args {
		file := path.Clean(arg)
		kind := ""
		switch {
		case file == "/proc/mounts" || file == "/etc/mtab":
			kind = "mounts"
		case procMountFile.MatchString(file):
			kind = procMountFile.FindStringSubmatch(file)[1]
		}
		if kind != "" {
			entries, err := p.mounts()
			if err != nil {
				fmt.Fprintf(p.stderr, "fakenode: %v\n", err)
				return exitMisconfigured
			}
			if kind == "mountinfo" {
				fmt.Fprint(p.stdout, mountinfoText(entries))
			} else {
				fmt.Fprint(p.stdout, procMountsText(entries))
			}
			continue
		}
		if path.Base(file) == "trace_pipe" && path.Dir(file) == p.env.Tracefs {
			return p.streamTracePipe(append([]string{"cat"}, args...))
		}
		if path.IsAbs(file) {
			if c, ok := p.serveKey("cat" + strings.ReplaceAll(file, "/", "-")); ok {
				code = max(code, c)
				continue
			}
		}
		fmt.Fprintf(p.stderr, "cat: %s: No such file or directory\n", arg)
		code = 1
	}
	return code
}
