package calicobpf

import (
	"sort"

	"github.com/calico-ebpf/kubectl-calico-ebpf/test/fakes/calver"
)

// kind says what a command does when it is the one that runs.
type kind int

const (
	kindGroup      kind = iota // no Run: cobra prints its help, exit 0
	kindData                   // reads BPF state and prints it
	kindMutating               // changes BPF state; the fakes refuse it
	kindVersion                // "version"
	kindHelp                   // cobra's "help [command]"
	kindCompletion             // cobra's "completion <shell>"
)

// command is one node of the calico-bpf cobra tree, with the Calico
// releases that have it (reference §1.7).
type command struct {
	name  string
	use   string // cobra Use without the name; "" = none
	short string
	long  string
	kind  kind
	// from ≤ version < to; zero values leave that side open.
	from, to calver.Version
	// flags returns the command's local flags (besides -h) in a version.
	flags func(calver.Version) []Flag
	// v6 marks data whose IPv6 variant is a different dump (key "-v6").
	v6 bool
	// json reports whether the command honours -j in a version; nil = never.
	json func(calver.Version) bool
	// argsInKey puts positional arguments into the data key
	// ("policy dump eth0 all" → "policy-dump-eth0-all").
	argsInKey bool
	children  []*command
}

func (c *command) availableIn(v calver.Version) bool { return v.In(c.from, c.to) }

// childrenIn returns the subcommands present in v, sorted by name like
// cobra's help listing.
func (c *command) childrenIn(v calver.Version) []*command {
	var out []*command
	for _, ch := range c.children {
		if ch.availableIn(v) {
			out = append(out, ch)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

func (c *command) child(v calver.Version, name string) *command {
	for _, ch := range c.childrenIn(v) {
		if ch.name == name {
			return ch
		}
	}
	return nil
}

func ver(s string) calver.Version { return calver.MustParse(s) }

func jsonFrom3_31_5(v calver.Version) bool { return HasJSONFlag(v) }

// natAffJSON: nat aff honours -j only on v3.31.7+ of the 3.31 line and from
// v3.32.1; v3.31.5–v3.31.6 and v3.32.0 silently print text (reference §1.6).
func natAffJSON(v calver.Version) bool {
	if v.Major == 3 && v.Minor == 31 {
		return v.AtLeast(ver("v3.31.7"))
	}
	return v.AtLeast(ver("v3.32.1"))
}

func noFlags(calver.Version) []Flag { return nil }

func conntrackDumpFlags(v calver.Version) []Flag {
	var flags []Flag
	switch {
	case v.AtLeast(v3_31):
		flags = append(flags, Flag{Name: "ver", Short: "v", Type: "int", Usage: "version to dump from", Default: "4"})
	case v.AtLeast(v3_30):
		flags = append(flags, Flag{Name: "ver", Short: "v", Type: "int", Usage: "version to dump from", Default: "3"})
	case v.AtLeast(v3_24):
		flags = append(flags, Flag{Name: "ver", Short: "v", Type: "string", Usage: "version to dump from", Default: "3"})
	}
	if v.AtLeast(v3_28) {
		flags = append(flags, boolFlag("raw", "", "dump the raw conntrack table as is. For version < 3 it is always raw"))
	}
	return flags
}

func conntrackDumpUse(v calver.Version) string {
	switch {
	case v.AtLeast(v3_28):
		return "[--ver=<version>] [--raw]"
	case v.AtLeast(v3_24):
		return "[--ver=<version>]"
	}
	return ""
}

func natDumpFlags(v calver.Version) []Flag {
	if !v.AtLeast(v3_31_5) {
		return nil
	}
	return []Flag{boolFlag("group-by-service", "", "group frontends by the service they belong to")}
}

func countersFlags(calver.Version) []Flag {
	return []Flag{{Name: "iface", Type: "string", Usage: "interface name"}}
}

func policyFlags(calver.Version) []Flag {
	return []Flag{boolFlag("asm", "a", "dump the policy program instructions")}
}

// tree returns the calico-bpf command tree. Uses that vary by version are
// resolved by useFor.
func tree() *command {
	data := func(name, short string, v6 bool, json func(calver.Version) bool) *command {
		return &command{name: name, short: short, kind: kindData, v6: v6, json: json}
	}
	mut := func(name, use, short string) *command {
		return &command{name: name, use: use, short: short, kind: kindMutating}
	}
	group := func(name, short string, children ...*command) *command {
		return &command{name: name, short: short, kind: kindGroup, children: children}
	}
	since := func(c *command, from string) *command { c.from = ver(from); return c }
	between := func(c *command, from, to string) *command { c.from, c.to = ver(from), ver(to); return c }

	ctDump := data("dump", "dumps connection tracking table", true, jsonFrom3_31_5)
	ctDump.flags = conntrackDumpFlags
	natDump := data("dump", "dumps the nat tables", true, jsonFrom3_31_5)
	natDump.flags = natDumpFlags
	countersDump := data("dump", "dumps counters", false, jsonFrom3_31_5)
	countersDump.flags, countersDump.use = countersFlags, "[--iface=<interface>]"
	countersFlush := mut("flush", "[--iface=<interface>]", "flushes counters")
	countersFlush.flags = countersFlags
	policyDump := data("dump", "dumps policy", true, nil)
	policyDump.flags, policyDump.use, policyDump.argsInKey = policyFlags, "<interface> <hook>", true

	nat := group("nat", "Manipulates network address translation (nat)",
		natDump,
		mut("set", "", "sets an entry in the NAT tables"),
		mut("del", "", "deletes an entry from the NAT tables"),
		since(data("aff", "dumps the nat affinity table", true, natAffJSON), "v3.23.0"),
		since(data("maglev", "dumps the maglev lookup tables", true, jsonFrom3_31_5), "v3.32.1"),
	)
	nat.long = "nat manipulates network address translation (nat), which implements the bpf-based replacement for kube-proxy"

	completion := &command{name: "completion", kind: kindGroup, from: v3_24,
		short: "Generate the autocompletion script for the specified shell"}
	for _, shell := range []string{"bash", "fish", "powershell", "zsh"} {
		completion.children = append(completion.children, &command{name: shell, kind: kindCompletion,
			short: "Generate the autocompletion script for " + shell})
	}

	return &command{
		name:  "calico-bpf",
		long:  "tool for interrogating Calico BPF state",
		kind:  kindGroup,
		flags: rootLocalFlags,
		children: []*command{
			since(group("arp", "Manipulates arp",
				data("dump", "dumps arp table", true, jsonFrom3_31_5),
				mut("clean", "", "cleans arp table")), "v3.17.1"),
			since(mut("cleanup", "", "Removes all calico-bpf programs and maps"), "v3.30.0"),
			completion,
			group("connect-time", "Manipulates connect-time load balancing programs",
				mut("clean", "", "removes connect-time load balancing programs")),
			group("conntrack", "Manipulates connection tracking",
				ctDump,
				mut("remove", "<proto> <ip1> <ip2>", "removes connection tracking entries"),
				since(mut("clean", "", "cleans connection tracking table"), "v3.16.0"),
				since(mut("write", "<key> <value>", "writes a connection tracking entry"), "v3.16.0"),
				between(mut("fill", "", "fills the connection tracking table"), "v3.16.0", "v3.31.0"),
				since(mut("create", "", "creates a connection tracking entry"), "v3.24.0"),
				since(data("stats", "shows connection tracking statistics", true, jsonFrom3_31_5), "v3.30.0"),
			),
			since(group("counters", "Show and reset counters", countersDump, countersFlush), "v3.24.0"),
			{name: "help", kind: kindHelp, short: "Help about any command", use: "[command]"},
			since(group("ifstate", "Manipulates ifstate",
				data("dump", "dumps ifstate", false, jsonFrom3_31_5)), "v3.24.0"),
			group("ipsets", "Manipulates ipsets",
				data("dump", "dumps ipsets", true, jsonFrom3_31_5)),
			nat,
			since(group("policy", "Dump policy attached to interface", policyDump), "v3.24.0"),
			since(group("profiling", "Show and reset profiling data",
				data("e2e", "shows end-to-end profiling data", false, nil)), "v3.30.0"),
			group("routes", "Manipulates routes",
				data("dump", "dumps routes", true, jsonFrom3_31_5),
				since(mut("add", "<cidr> <type>", "adds a route"), "v3.31.5"),
				since(mut("del", "<cidr>", "deletes a route"), "v3.31.5")),
			{name: "version", kind: kindVersion, short: "Prints the version and exits"},
		},
	}
}

// useFor returns the Use arguments of c in v, for commands whose synopsis
// changed between releases.
func useFor(c *command, path []string, v calver.Version) string {
	if len(path) == 2 && path[0] == "conntrack" && path[1] == "dump" {
		return conntrackDumpUse(v)
	}
	if len(path) == 2 && path[0] == "nat" && path[1] == "dump" && v.AtLeast(v3_31_5) {
		return "[<ip> <port> <proto>] [--group-by-service]"
	}
	return c.use
}
