package collect

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/util/version"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/parse"
)

// dumpCommand is how one kind is asked for: the subcommand words and, where JSON came later
// than -j itself, the first version whose subcommand honours it.
type dumpCommand struct {
	words     []string
	jsonSince *version.Version // nil: JSON whenever the form has it
	noJSON    bool             // the subcommand never prints JSON
	since     *version.Version // first version with the subcommand
}

var (
	v3_23   = version.MustParseGeneric("3.23.0")
	v3_24   = version.MustParseGeneric("3.24.0")
	v3_30   = version.MustParseGeneric("3.30.0")
	v3_31_7 = version.MustParseGeneric("3.31.7")
	v3_32_1 = version.MustParseGeneric("3.32.1")
)

var dumpCommands = map[parse.Kind]dumpCommand{
	parse.KindRoutes:         {words: []string{"routes", "dump"}},
	parse.KindNAT:            {words: []string{"nat", "dump"}},
	parse.KindNATAffinity:    {words: []string{"nat", "aff"}, jsonSince: v3_31_7, since: v3_23},
	parse.KindMaglev:         {words: []string{"nat", "maglev"}, since: v3_32_1},
	parse.KindIPSets:         {words: []string{"ipsets", "dump"}},
	parse.KindConntrack:      {words: []string{"conntrack", "dump"}},
	parse.KindConntrackStats: {words: []string{"conntrack", "stats"}, since: v3_30},
	parse.KindARP:            {words: []string{"arp", "dump"}},
	parse.KindCounters:       {words: []string{"counters", "dump"}, since: v3_24},
	parse.KindIfState:        {words: []string{"ifstate", "dump"}, since: v3_24},
}

// Request is what to dump, independent of the node.
type Request struct {
	Kind parse.Kind
	IPv6 bool
	// Raw asks conntrack for one line per map entry (--raw, v3.28+; older versions only have it).
	Raw bool
}

// Argv returns the command for a dump on a node speaking form, and the format its output
// will be in. The tool's global flags go after the subcommand words: calico-node parses its own
// flags up to the first word and rejects -6 or -j before it.
func Argv(form Form, req Request) ([]string, parse.Format, error) {
	if req.Kind == parse.KindQdisc {
		return []string{"tc", "-s", "qdisc", "show"}, parse.FormatText, nil
	}
	dc, ok := dumpCommands[req.Kind]
	if !ok {
		return nil, 0, fmt.Errorf("no calico-bpf command dumps %s", req.Kind)
	}
	if !form.Known() {
		return nil, 0, fmt.Errorf("this Calico version has no calico-bpf in calico-node (before v3.18 it shipped only in the felix image)")
	}
	if dc.since != nil && form.Version != nil && !form.Version.AtLeast(dc.since) {
		return nil, 0, fmt.Errorf("calico-bpf %s needs Calico %s or later, the node runs %s", strings.Join(dc.words, " "), "v"+dc.since.String(), "v"+form.Version.String())
	}
	if req.IPv6 && !form.IPv6 {
		return nil, 0, fmt.Errorf("calico-bpf has no IPv6 dumps before Calico v3.27")
	}
	argv := append(append([]string{}, form.Prefix...), dc.words...)
	if req.IPv6 {
		argv = append(argv, "-6")
	}
	if req.Raw && req.Kind == parse.KindConntrack && (form.Version == nil || form.Version.AtLeast(v3_28)) {
		argv = append(argv, "--raw")
	}
	format := parse.FormatText
	if form.JSON && !dc.noJSON && (dc.jsonSince == nil || form.Version == nil || form.Version.AtLeast(dc.jsonSince)) {
		argv = append(argv, "--json")
		format = parse.FormatJSON
	}
	return argv, format, nil
}

var v3_28 = version.MustParseGeneric("3.28.0")
