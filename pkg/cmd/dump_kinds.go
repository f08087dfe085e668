package cmd

import (
	"fmt"
	"io"
	"strings"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/output"
	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/parse"
)

// dumpKind is one dump command: the data that makes `routes` differ from `nat`.
type dumpKind struct {
	name  string // the subcommand
	short string
	// what says what the command prints, for the long help.
	what string
	// modes are what the command can read; the first is the default, the others are chosen
	// with their flag (nat --affinity reads `nat aff` output).
	modes []dumpMode
}

// dumpMode is one kind of input a dump command reads and how it prints it.
type dumpMode struct {
	flag  string // "" for the default mode
	usage string
	kind  parse.Kind
	// source is the command whose saved output this mode reads.
	source string
	// file is the example file name in the help; comment introduces a mode's example.
	file    string
	comment string
	view    output.View
	// check compares the nodes' maps with the cluster instead of printing them (nat --check);
	// it needs live nodes.
	check bool
	// newPrinter replaces the plain list printer (nat --explain).
	newPrinter func(out, errOut io.Writer, f output.Format, kind string) output.ListPrinter
}

func (m dumpMode) printer(out, errOut io.Writer, f output.Format) output.ListPrinter {
	if m.newPrinter != nil {
		return m.newPrinter(out, errOut, f, m.kind.String())
	}
	return output.NewListPrinter(out, errOut, f, m.kind.String(), m.view)
}

// calicoBPF is how the help names Calico's dump tool: `calico-node -bpf` inside calico-node
// (`calico component node bpf` from v3.33).
const calicoBPF = "calico-node -bpf"

// dumpKinds lists the dump commands in the order help shows them.
var dumpKinds = []dumpKind{
	{
		name: "routes", short: "Print the nodes' BPF routes, live or from a saved dump",
		what:  "the BPF route map: one row per destination CIDR, with where it is (local or remote, host or workload), its next hop and flags",
		modes: []dumpMode{{kind: parse.KindRoutes, source: calicoBPF + " routes dump", file: "routes.txt", view: output.RouteView}},
	},
	{
		name: "nat", short: "Print, explain or check the nodes' BPF NAT frontends and backends, live or from a saved dump",
		what: "the BPF NAT maps: one row per frontend (service IP, NodePort, external or LoadBalancer IP)\n" +
			"with its service-port id, backend count, local backends, flags and backends",
		modes: []dumpMode{
			{kind: parse.KindNAT, source: calicoBPF + " nat dump", file: "nat.txt", view: output.NATView},
			{
				flag: "explain", kind: parse.KindNAT, source: calicoBPF + " nat dump", file: "nat.txt",
				usage:      "Explain the dump in plain words: a legend, then every frontend, grouped by service-port id (-o wide lists every backend; -o json adds role and explanation to each item).",
				comment:    "Explain every frontend in plain words",
				newPrinter: output.NewNATExplainPrinter,
			},
			{
				flag: "check", kind: parse.KindNAT, source: calicoBPF + " nat dump", check: true,
				usage:   "Compare each selected node's NAT map with what the Services and EndpointSlices call for, and the nodes with each other; list every drift (missing or stale frontend, stale or missing backend, wrong count) and exit 1 if there is any. Needs --node, --all-nodes or -l.",
				comment: "Check every node's NAT map against the Services and EndpointSlices",
			},
			{
				flag: "affinity", kind: parse.KindNATAffinity, source: calicoBPF + " nat aff", file: "nat-aff.txt",
				usage:   "Read saved nat aff output: which backend each client is pinned to (sessionAffinity: ClientIP).",
				comment: "Print saved `" + calicoBPF + " nat aff` output",
				view:    output.NATAffinityView,
			},
			{
				flag: "maglev", kind: parse.KindMaglev, source: calicoBPF + " nat maglev", file: "maglev.txt",
				usage:   "Read saved nat maglev output: the Maglev lookup table of each service.",
				comment: "Print saved `" + calicoBPF + " nat maglev` output",
				view:    output.MaglevView,
			},
		},
	},
	{
		name: "ipsets", short: "Print the nodes' BPF IP sets, live or from a saved dump",
		what:  "the BPF IP sets that policy matches on: one row per set, with its members",
		modes: []dumpMode{{kind: parse.KindIPSets, source: calicoBPF + " ipsets dump", file: "ipsets.txt", view: output.IPSetView}},
	},
	{
		name: "conntrack", short: "Print the nodes' BPF conntrack entries or statistics, live or from a saved dump",
		what: "the BPF conntrack table: one row per entry, read as source -> service -> destination\n" +
			"(pretty or --raw, every Calico version)",
		modes: []dumpMode{
			{kind: parse.KindConntrack, source: calicoBPF + " conntrack dump", file: "conntrack.txt", view: output.ConntrackView},
			{
				flag: "stats", kind: parse.KindConntrackStats, source: calicoBPF + " conntrack stats", file: "conntrack-stats.txt",
				usage:   "Read saved conntrack stats output (Calico v3.30+): the table's size and connections by protocol and state.",
				comment: "Print saved `" + calicoBPF + " conntrack stats` output",
				view:    output.ConntrackStatsView,
			},
		},
	},
	{
		name: "arp", short: "Print the neighbours Calico's BPF programs cache, live or from a saved dump",
		what:  "the BPF ARP map: the neighbours cached for forwarding NodePort traffic to other nodes",
		modes: []dumpMode{{kind: parse.KindARP, source: calicoBPF + " arp dump", file: "arp.txt", view: output.ARPView}},
	},
	{
		name: "counters", short: "Print the nodes' BPF packet counters per interface, live or from a saved dump",
		what:  "the BPF counters: one row per counter and interface (accepted, dropped and why, redirected)",
		modes: []dumpMode{{kind: parse.KindCounters, source: calicoBPF + " counters dump", file: "counters.txt", view: output.CountersView}},
	},
	{
		name: "ifstate", short: "Print the interfaces Calico's BPF dataplane manages, live or from a saved dump",
		what:  "the BPF interface state map: one row per interface with its flags (and, with -o wide, its policy program indexes)",
		modes: []dumpMode{{kind: parse.KindIfState, source: calicoBPF + " ifstate dump", file: "ifstate.txt", view: output.IfStateView}},
	},
	{
		name: "qdisc", short: "Print the nodes' tc qdiscs, live or from saved `tc -s qdisc show` output",
		what:  "the node's queueing disciplines: on TC-attached nodes every Calico interface has a clsact qdisc",
		modes: []dumpMode{{kind: parse.KindQdisc, source: "tc -s qdisc show", file: "qdisc.txt", view: output.QdiscView}},
	},
}

// dumpLong is the long help of a dump command.
func dumpLong(k dumpKind) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Print %s.\n\n", k.what)
	if liveKinds[k.modes[0].kind] {
		b.WriteString("Live: --node NAME (repeatable), --all-nodes or -l SELECTOR reads the nodes through their\n" +
			"calico-node pods, in parallel (--parallel, --timeout), with the command each node's Calico version\n" +
			"speaks. Every address is named in Kubernetes terms (pod, Service, node). Nodes that cannot be read\n" +
			"are listed after the results with the reason, and the command then exits 1.\n\n")
	}
	fmt.Fprintf(&b, "Offline mode: --input reads the saved output of `%s` (%s)\n", k.modes[0].source, inputForms(k.modes[0].kind))
	b.WriteString("from a file, or from stdin with '-'; no cluster is needed. Pasted terminal output and log lines\n" +
		"are fine: they are skipped, and lines that are not understood are warnings on stderr.\n")
	if len(k.modes) > 1 {
		b.WriteString("\nOther inputs:\n")
		for _, m := range k.modes[1:] {
			fmt.Fprintf(&b, "  --%-9s %s\n", m.flag, m.usage)
		}
	}
	b.WriteString("\n-o json prints {\"kind\", \"items\", \"warnings\"}: the items use the field names of the tool's own\n" +
		"JSON, so one jq script reads both. JSON is written as it is decoded; table, wide and yaml wait for\n" +
		"the whole input.")
	return b.String()
}

// inputForms names the encodings a kind's input may come in.
func inputForms(k parse.Kind) string {
	switch {
	case k == parse.KindQdisc:
		return "text, or tc -j JSON"
	case k.HasJSON():
		return "text, or Calico's --json"
	}
	return "text"
}

// dumpExample shows how to save a dump and read it back.
func dumpExample(k dumpKind) string {
	m := k.modes[0]
	var b strings.Builder
	if liveKinds[m.kind] {
		fmt.Fprintf(&b, "  # Read every node, or some\n")
		fmt.Fprintf(&b, "  %s %s --all-nodes\n", displayName, k.name)
		fmt.Fprintf(&b, "  %s %s --node node-1 --node node-2 -o wide\n\n", displayName, k.name)
	}
	fmt.Fprintf(&b, "  # Save the output on a node, then print it\n")
	fmt.Fprintf(&b, "  kubectl -n calico-system exec calico-node-abcde -c calico-node -- %s > %s\n", m.source, m.file)
	fmt.Fprintf(&b, "  %s %s --input %s\n", displayName, k.name, m.file)
	fmt.Fprintf(&b, "\n  # Read stdin and print JSON\n")
	fmt.Fprintf(&b, "  %s %s --input - -o json < %s", displayName, k.name, m.file)
	for _, o := range k.modes[1:] {
		fmt.Fprintf(&b, "\n\n  # %s\n", o.comment)
		if o.check {
			fmt.Fprintf(&b, "  %s %s --%s --all-nodes", displayName, k.name, o.flag)
			continue
		}
		fmt.Fprintf(&b, "  %s %s --%s --input %s", displayName, k.name, o.flag, o.file)
	}
	return b.String()
}
