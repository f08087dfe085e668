package fakenode

import (
	"fmt"
	"strings"
)

// runTC emulates iproute2's tc for the read-only forms the plugin uses:
//
//	tc [-s] qdisc [show|list|ls] [dev X]   keys tc-s-qdisc-show / tc-qdisc-show
//	tc filter show dev X ingress|egress    key  tc-filter-show-<X>-<dir>
//	tc exec bpf debug                      key  trace-pipe, replayed until killed (or tc-exec-bpf-debug)
//
// Without data files the answers follow FAKE_ATTACH: in TC mode eth0 has a
// clsact qdisc with Calico's preamble program on both hooks; in TCX mode
// Felix removed clsact, so there is none (reference §3.2).
func runTC(p *proc, args []string) int {
	stats := false
	for len(args) > 0 && strings.HasPrefix(args[0], "-") {
		switch args[0] {
		case "-s", "-stats", "-statistics":
			stats = true
		default:
			fmt.Fprintf(p.stderr, "Option \"%s\" is unknown, try \"tc -help\".\n", args[0])
			return 255
		}
		args = args[1:]
	}
	if len(args) == 0 {
		fmt.Fprint(p.stderr, "Usage: tc [ OPTIONS ] OBJECT { COMMAND | help }\n")
		return 255
	}
	object, rest := args[0], args[1:]
	switch {
	case prefixOf(object, "qdisc"):
		return p.tcQdisc(stats, rest)
	case prefixOf(object, "filter"):
		return p.tcFilter(rest)
	case prefixOf(object, "exec"):
		return p.tcExec(rest)
	}
	fmt.Fprintf(p.stderr, "Object \"%s\" is unknown, try \"tc help\".\n", object)
	return 1
}

// prefixOf is iproute2's matches(): any non-empty prefix selects a word.
func prefixOf(arg, word string) bool { return arg != "" && strings.HasPrefix(word, arg) }

func isShowVerb(arg string) bool {
	return prefixOf(arg, "show") || prefixOf(arg, "list") || arg == "ls"
}

func (p *proc) tcQdisc(stats bool, args []string) int {
	if len(args) > 0 {
		if !isShowVerb(args[0]) {
			return p.refuse("tc qdisc " + strings.Join(args, " "))
		}
		args = args[1:]
	}
	dev := ""
	switch {
	case len(args) == 2 && args[0] == "dev":
		dev = args[1]
	case len(args) != 0:
		fmt.Fprintf(p.stderr, "What is \"%s\"? Try \"tc qdisc help\".\n", args[0])
		return 1
	}
	// A file for exactly this listing answers as it is (and can make tc
	// fail on a node); a per-device listing is cut out of the full one.
	exactKey := "tc-qdisc-show"
	if stats {
		exactKey = "tc-s-qdisc-show"
	}
	if a, found, err := p.data.find(exactKey); err == nil && found && (dev == "" || a.stdout == "") {
		return p.serve(a)
	}
	text, code, ok := p.qdiscText(stats)
	if !ok {
		return code
	}
	if dev == "" {
		fmt.Fprint(p.stdout, text)
		return 0
	}
	blocks, found := qdiscBlocksFor(text, dev)
	if !found {
		fmt.Fprintf(p.stderr, "Cannot find device \"%s\"\n", dev)
		return 1
	}
	fmt.Fprint(p.stdout, blocks)
	return 0
}

// qdiscText is the node's full qdisc listing. The plain listing can be
// derived from the -s one by dropping the indented statistics lines.
func (p *proc) qdiscText(stats bool) (string, int, bool) {
	keys := []string{"tc-qdisc-show", "tc-s-qdisc-show"}
	if stats {
		keys = []string{"tc-s-qdisc-show"}
	}
	for _, key := range keys {
		data, ok, err := p.data.readStdout(key)
		if err != nil {
			fmt.Fprintf(p.stderr, "fakenode: %v\n", err)
			return "", exitMisconfigured, false
		}
		if ok {
			text := string(data)
			if !stats && key == "tc-s-qdisc-show" {
				text = dropIndented(text)
			}
			return text, 0, true
		}
	}
	return defaultQdiscs(p.env.AttachMode() == "tc", stats), 0, true
}

func dropIndented(text string) string {
	var b strings.Builder
	for _, l := range strings.SplitAfter(text, "\n") {
		if !strings.HasPrefix(l, " ") && !strings.HasPrefix(l, "\t") {
			b.WriteString(l)
		}
	}
	return b.String()
}

// qdiscBlocksFor keeps the qdisc lines (and their indented statistics) of
// one device. found is false when no line names the device at all.
func qdiscBlocksFor(text, dev string) (string, bool) {
	var b strings.Builder
	keep, found := false, false
	for _, l := range strings.SplitAfter(text, "\n") {
		if strings.HasPrefix(l, "qdisc ") {
			keep = qdiscDev(l) == dev
			found = found || keep
		}
		if keep {
			b.WriteString(l)
		}
	}
	return b.String(), found
}

// qdiscDev returns the word after "dev" in a qdisc header line.
func qdiscDev(line string) string {
	f := strings.Fields(line)
	for i := 0; i+1 < len(f); i++ {
		if f[i] == "dev" {
			return f[i+1]
		}
	}
	return ""
}

const qdiscStats = " Sent 0 bytes 0 pkt (dropped 0, overlimits 0 requeues 0) \n backlog 0b 0p requeues 0\n"

func defaultQdiscs(tcMode, stats bool) string {
	heads := []string{
		"qdisc noqueue 0: dev lo root refcnt 2 \n",
		"qdisc mq 0: dev eth0 root \n",
	}
	if tcMode {
		heads = append(heads, "qdisc clsact ffff: dev eth0 parent ffff:fff1 \n")
	}
	var b strings.Builder
	for _, h := range heads {
		b.WriteString(h)
		if stats {
			b.WriteString(qdiscStats)
		}
	}
	return b.String()
}

func (p *proc) tcFilter(args []string) int {
	if len(args) > 0 && !isShowVerb(args[0]) {
		return p.refuse("tc filter " + strings.Join(args, " "))
	}
	if len(args) > 0 {
		args = args[1:]
	}
	if len(args) != 3 || args[0] != "dev" || (args[2] != "ingress" && args[2] != "egress") {
		fmt.Fprint(p.stderr, "fakenode: only \"tc filter show dev X ingress|egress\" is simulated\n")
		return 1
	}
	dev, dir := args[1], args[2]
	if code, ok := p.serveKey("tc-filter-show-" + dev + "-" + dir); ok {
		return code
	}
	text, code, ok := p.qdiscText(false)
	if !ok {
		return code
	}
	blocks, found := qdiscBlocksFor(text, dev)
	if !found {
		fmt.Fprintf(p.stderr, "Cannot find device \"%s\"\n", dev)
		return 1
	}
	if strings.Contains(blocks, "qdisc clsact ") {
		fmt.Fprint(p.stdout, preambleFilter(dev, dir))
	}
	return 0
}

// preambleFilter is iproute2's listing of Calico's TC program. The id is
// stable per device and hook so repeated calls agree.
func preambleFilter(dev, dir string) string {
	id := 100
	for _, c := range dev + dir {
		id = (id*31 + int(c)) % 9000
	}
	return fmt.Sprintf("filter protocol all pref 49152 bpf chain 0 \n"+
		"filter protocol all pref 49152 bpf chain 0 handle 0x1 cali_tc_preamble direct-action not_in_hw id %d tag 9c5e3cf8e4b6a2d1 jited \n",
		1000+id)
}

// tcExec is "tc exec bpf debug": iproute2 looks for tracefs, announces
// itself on stderr, then relays the kernel trace pipe until it is killed (see
// streamTracePipe). Data key tc-exec-bpf-debug, when present, replaces all of
// that (printed, then blocks): a way to make tc fail on one node.
func (p *proc) tcExec(args []string) int {
	if len(args) != 2 || args[0] != "bpf" || (args[1] != "debug" && args[1] != "dbg") {
		fmt.Fprint(p.stderr, "fakenode: only \"tc exec bpf debug\" is simulated\n")
		return 1
	}
	if a, found, err := p.data.find("tc-exec-bpf-debug"); err == nil && found {
		fmt.Fprint(p.stderr, "Running! Hang up with ^C!\n\n")
		a.hang = true
		return p.serve(a)
	}
	if p.env.Tracefs == "none" {
		// iproute2's bpf_trace_pipe() when no tracefs is mounted; it exits with -1.
		fmt.Fprint(p.stderr, "tracefs not mounted?\n")
		return 255
	}
	fmt.Fprint(p.stderr, "Running! Hang up with ^C!\n\n")
	return p.streamTracePipe(append([]string{"tc", "exec"}, args...))
}
