package fakenode

import (
	"fmt"
	"path"
	"strings"
)

// runLs lists directories only from data key "ls" + path with "/" as "-"
// (ls /sys/fs/bpf/tcx → ls-sys-fs-bpf-tcx, one entry per line), plus
// defaults for the bpffs root and its tcx directory. It never reads the
// real file system. -1, -a and -A are accepted; output is one name per
// line, as GNU ls prints when stdout is not a terminal.
func runLs(p *proc, args []string) int {
	var dirs []string
	for _, a := range args {
		switch {
		case a == "-1" || a == "-a" || a == "-A" || a == "--":
		case strings.HasPrefix(a, "-") && len(a) > 1:
			fmt.Fprintf(p.stderr, "ls: invalid option -- '%s'\nTry 'ls --help' for more information.\n", strings.TrimLeft(a, "-"))
			return 2
		default:
			dirs = append(dirs, a)
		}
	}
	if len(dirs) == 0 {
		dirs = []string{"."}
	}
	code := 0
	for i, dir := range dirs {
		entries, ok := p.listDir(path.Clean(dir))
		if !ok {
			fmt.Fprintf(p.stderr, "ls: cannot access '%s': No such file or directory\n", dir)
			code = 2
			continue
		}
		if len(dirs) > 1 {
			if i > 0 {
				fmt.Fprintln(p.stdout)
			}
			fmt.Fprintf(p.stdout, "%s:\n", dir)
		}
		for _, e := range entries {
			fmt.Fprintln(p.stdout, e)
		}
	}
	return code
}

// listDir returns a directory's entries, ok=false when it does not exist.
func (p *proc) listDir(dir string) ([]string, bool) {
	under := func(root string) bool { return dir == root || strings.HasPrefix(dir, root+"/") }
	if under("/sys/fs/bpf") && !p.env.BPFFSMounted() {
		return nil, false
	}
	if path.IsAbs(dir) && dir != "/" {
		data, ok, err := p.data.readStdout("ls" + strings.ReplaceAll(dir, "/", "-"))
		if err == nil && ok {
			return strings.Fields(string(data)), true
		}
	}
	tcx := p.env.AttachMode() == "tcx"
	switch dir {
	case "/sys/fs/bpf":
		entries := []string{"calico", "tc"}
		if tcx {
			entries = append(entries, "tcx")
		}
		return entries, true
	case "/sys/fs/bpf/tcx":
		// Felix creates the directory only when it attaches with TCX; which
		// links it holds is up to the test bed's data file.
		return nil, tcx
	}
	return nil, false
}
