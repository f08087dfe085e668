package fakenode

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/calico-ebpf/kubectl-calico-ebpf/test/fakes/calicobpf"
	"github.com/calico-ebpf/kubectl-calico-ebpf/test/fakes/calver"
)

var (
	v3_18 = calver.MustParse("v3.18.0")
	v3_31 = calver.MustParse("v3.31.0")
)

// runCalicoNode emulates /bin/calico-node (v3.18–v3.32): Go's flag package
// parses its own flags first and stops at the first non-flag word, then
// "-bpf" hands the argv, minus every literal "-bpf", to calico-bpf's cobra
// tree. So calico-bpf flags before the first subcommand word fail here.
func runCalicoNode(p *proc, args []string) int {
	v, err := p.env.CalicoVersion()
	if err != nil {
		fmt.Fprintf(p.stderr, "fakenode: %v\n", err)
		return exitMisconfigured
	}
	set, err := parseNodeFlags(v, args)
	if err != nil {
		// calico-node prints the error itself on stdout; the flag package
		// already printed it, with the usage, on stderr.
		fmt.Fprintln(p.stdout, err)
		fmt.Fprintf(p.stderr, "%v\nUsage of Calico:\n%s", err, nodeFlagDefaults(v))
		return 1
	}
	switch {
	case set["v"]:
		fmt.Fprint(p.stdout, nodeVersionText(v))
		return 0
	case set["bpf"]:
		var bpfArgs []string
		for _, a := range args {
			if a != "-bpf" {
				bpfArgs = append(bpfArgs, a)
			}
		}
		return p.runBPF(v, bpfArgs)
	}
	if len(set) > 0 {
		names := slices.Sorted(maps.Keys(set))
		fmt.Fprintf(p.stderr, "fakenode: calico-node -%s is not simulated\n", strings.Join(names, " -"))
		return 1
	}
	fmt.Fprintln(p.stdout, "No valid options provided. Usage:")
	fmt.Fprint(p.stderr, nodeFlagDefaults(v))
	return 1
}

// nodeVersionText is "calico-node -v": the bare version up to v3.30, the
// buildinfo block from v3.31 (reference §2.9).
func nodeVersionText(v calver.Version) string {
	if !v.AtLeast(v3_31) {
		return v.String() + "\n"
	}
	commit, date := calicobpf.BuildInfo(v)
	return "Version:      " + v.String() + "\nBuild date:   " + date + "\nGit commit:   " + commit + "\n"
}

// runCalico emulates the combined /usr/bin/calico of v3.33+. Its
// "component node bpf" command disables cobra flag parsing and passes the
// rest to calico-bpf untouched, so "-6" may come first there.
func runCalico(p *proc, args []string) int {
	v, err := p.env.CalicoVersion()
	if err != nil {
		fmt.Fprintf(p.stderr, "fakenode: %v\n", err)
		return exitMisconfigured
	}
	switch {
	case len(args) >= 3 && args[0] == "component" && args[1] == "node" && args[2] == "bpf":
		return p.runBPF(v, args[3:])
	case len(args) == 1 && args[0] == "version":
		fmt.Fprint(p.stdout, nodeVersionText(v))
		return 0
	case len(args) == 0:
		fmt.Fprint(p.stdout, "Calico combined binary (test fake): supports \"calico component node bpf …\" and \"calico version\"\n")
		return 0
	}
	fmt.Fprintf(p.stderr, "Error: unknown command %q for \"calico\"\nRun 'calico --help' for usage.\n", args[0])
	return 1
}

// nodeFlag is one flag of calico-node's own Go flag set.
type nodeFlag struct {
	name, valueType, usage string // valueType "" = bool
}

// nodeFlags is calico-node's flag set as of v3.32.1 ("Usage of Calico:" in
// the node-bpf-dash6-before fixture). Older releases had a few flags fewer
// or more; only -bpf (from v3.18) matters to the plugin.
var nodeFlags = []nodeFlag{
	{"allocate-tunnel-addrs", "", "Configure tunnel addresses for this node"},
	{"allocate-tunnel-addrs-run-once", "", "Run allocate-tunnel-addrs in oneshot mode"},
	{"best-effort", "", "Used in combination with the init flag. Report errors but do not fail if an error occurs during initialisation."},
	{"bird-live", "", "Run bird liveness checks"},
	{"bird-ready", "", "Run BIRD readiness checks"},
	{"bird6-live", "", "Run bird6 liveness checks"},
	{"bird6-ready", "", "Run BIRD6 readiness checks"},
	{"bpf", "", "Run BPF debug tool"},
	{"complete-startup", "", "Update the NetworkUnavailable condition in Kubernetes on successful startup."},
	{"confd", "", "Run confd"},
	{"confd-confdir", "string", "Confd configuration directory. (default \"/etc/calico/confd\")"},
	{"confd-keep-stage-file", "", "Keep stage file when running confd"},
	{"confd-run-once", "", "Run confd in oneshot mode"},
	{"felix", "", "Run Felix"},
	{"felix-live", "", "Run felix liveness checks"},
	{"felix-ready", "", "Run felix readiness checks"},
	{"flows", "int", "Fetch a number of Flows. Use a negative value to watch forever."},
	{"hostpath-init", "", "Initialize hostpaths for non-root access"},
	{"init", "", "Do privileged initialisation of a new node (mount file systems etc)."},
	{"monitor-addresses", "", "Deprecated: use -node-services instead."},
	{"monitor-token", "", "Deprecated: use -node-services instead."},
	{"node-services", "", "Run consolidated node services (complete-startup, tunnel-ip-allocator, monitor-addresses, node-status-reporter, cni-config-monitor)"},
	{"show-status", "", "Print out node status"},
	{"shutdown", "", "Do shutdown routine."},
	{"startup", "", "Do non-privileged start-up routine."},
	{"status-reporter", "", "Deprecated: use -node-services instead."},
	{"threshold-time", "duration", "Threshold time for bird readiness (default 30s)"},
	{"v", "", "Display version"},
}

func nodeFlagsIn(v calver.Version) []nodeFlag {
	var out []nodeFlag
	for _, f := range nodeFlags {
		if f.name == "bpf" && !v.AtLeast(v3_18) {
			continue // "calico-node -bpf" arrived in v3.18
		}
		out = append(out, f)
	}
	return out
}

// nodeFlagDefaults renders flag.PrintDefaults: one-letter bool flags share
// the name's line, the others get the usage on a tab-indented next line.
func nodeFlagDefaults(v calver.Version) string {
	var b strings.Builder
	for _, f := range nodeFlagsIn(v) {
		line := "  -" + f.name
		if f.valueType != "" {
			line += " " + f.valueType
		}
		if len(line) <= 4 {
			b.WriteString(line + "\t" + f.usage + "\n")
		} else {
			b.WriteString(line + "\n    \t" + f.usage + "\n")
		}
	}
	return b.String()
}

// parseNodeFlags is Go's flag.FlagSet.Parse with ContinueOnError over
// calico-node's flags: it stops at the first non-flag word or after "--".
// It returns the flags that were set to a true (or any) value.
func parseNodeFlags(v calver.Version, args []string) (map[string]bool, error) {
	known := map[string]nodeFlag{}
	for _, f := range nodeFlagsIn(v) {
		known[f.name] = f
	}
	set := map[string]bool{}
	for len(args) > 0 {
		s := args[0]
		if len(s) < 2 || s[0] != '-' {
			break
		}
		args = args[1:]
		name := strings.TrimPrefix(s[1:], "-")
		if s == "--" {
			break
		}
		if name == "" || name[0] == '-' || name[0] == '=' {
			return nil, fmt.Errorf("bad flag syntax: %s", s)
		}
		name, value, hasValue := strings.Cut(name, "=")
		f, ok := known[name]
		switch {
		case !ok && (name == "help" || name == "h"):
			return nil, errors.New("flag: help requested")
		case !ok:
			return nil, fmt.Errorf("flag provided but not defined: -%s", name)
		}
		switch {
		case f.valueType == "" && hasValue:
			on, err := strconv.ParseBool(value)
			if err != nil {
				return nil, fmt.Errorf("invalid boolean value %q for -%s: parse error", value, name)
			}
			set[name] = on
		case f.valueType == "":
			set[name] = true
		case hasValue:
			set[name] = true
		case len(args) > 0:
			args, set[name] = args[1:], true
		default:
			return nil, fmt.Errorf("flag needs an argument: -%s", name)
		}
	}
	for name, on := range set {
		if !on {
			delete(set, name)
		}
	}
	return set, nil
}
