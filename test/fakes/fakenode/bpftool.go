package fakenode

import (
	"fmt"
	"strings"
)

// runBPFTool answers read-only bpftool commands from data keys
// "bpftool-" + the words, e.g. "bpftool net show" → bpftool-net-show and
// "bpftool prog tracelog" → bpftool-prog-tracelog (a live trace pipe: it
// blocks after printing). "-j"/"--json" adds "-json". "net show dev X"
// without its own file is cut out of bpftool-net-show. Other subcommands
// that could change state are refused.
func runBPFTool(p *proc, args []string) int {
	asJSON := false
	var words []string
	for _, a := range args {
		switch a {
		case "-j", "--json", "-p", "--pretty":
			asJSON = true
		default:
			words = append(words, a)
		}
	}
	if len(words) == 1 && words[0] == "net" {
		words = append(words, "show")
	}
	if len(words) >= 2 && words[0] == "net" && words[1] == "list" {
		words[1] = "show"
	}
	if len(words) < 2 || !readOnlyBPFTool(words) {
		return p.refuse("bpftool " + strings.Join(args, " "))
	}
	key := "bpftool-" + strings.Join(words, "-")
	if asJSON {
		key += "-json"
	}
	tracelog := words[0] == "prog" && words[1] == "tracelog"
	if a, found, err := p.data.find(key); err == nil && found {
		a.hang = a.hang || tracelog
		return p.serve(a)
	}
	if len(words) == 4 && words[1] == "show" && words[2] == "dev" && !asJSON {
		if data, ok, _ := p.data.readStdout("bpftool-net-show"); ok {
			fmt.Fprint(p.stdout, netShowFor(string(data), words[3]))
			return 0
		}
	}
	fmt.Fprintf(p.stderr, "Error: no data for %q on node %q (test fake)\n", "bpftool "+strings.Join(words, " "), p.env.Node)
	return 1
}

func readOnlyBPFTool(words []string) bool {
	switch words[0] + " " + words[1] {
	case "net show", "prog show", "prog list", "map show", "map list", "prog tracelog", "link show", "link list", "feature probe", "map dump":
		return true
	}
	return false
}

// netShowFor keeps bpftool net's section headers ("tc:", "xdp:" …) and the
// lines of one device ("eth0(2) tcx/ingress cali_tc_preamble …").
func netShowFor(text, dev string) string {
	var b strings.Builder
	for _, l := range strings.SplitAfter(text, "\n") {
		t := strings.TrimSpace(l)
		if t == "" || strings.HasSuffix(t, ":") || strings.HasPrefix(t, dev+"(") {
			b.WriteString(l)
		}
	}
	return b.String()
}
