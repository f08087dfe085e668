package calicobpf

import (
	"fmt"
	"sort"
	"strings"

	"github.com/calico-ebpf/kubectl-calico-ebpf/test/fakes/calver"
)

// Flag is one pflag flag as calico-bpf declares it.
type Flag struct {
	Name  string
	Short string // one letter, or ""
	Type  string // "bool", "string" or "int"
	Usage string
	// Default is the value shown as "(default …)" in usage; "" shows none.
	Default string
}

func (f Flag) takesValue() bool { return f.Type != "bool" }

func boolFlag(name, short, usage string) Flag {
	return Flag{Name: name, Short: short, Type: "bool", Usage: usage}
}

var (
	v3_24   = calver.MustParse("v3.24.0")
	v3_27   = calver.MustParse("v3.27.0")
	v3_28   = calver.MustParse("v3.28.0")
	v3_30   = calver.MustParse("v3.30.0")
	v3_31   = calver.MustParse("v3.31.0")
	v3_31_5 = calver.MustParse("v3.31.5")
)

// globalFlags are the root's persistent flags (cmd/calico-bpf/commands/root.go):
// every subcommand inherits them, which is why `routes dump -6` works.
func globalFlags(v calver.Version) []Flag {
	flags := []Flag{{Name: "config", Type: "string", Usage: "config file (default is $HOME/.calico-bpf.yaml)"}}
	if v.AtLeast(v3_27) {
		flags = append(flags, boolFlag("ipv6", "6", "Use IPv6 instead of IPv4"))
	}
	if HasJSONFlag(v) {
		flags = append(flags, boolFlag("json", "j", "Output in JSON format"))
	}
	if v.AtLeast(v3_24) {
		flags = append(flags, Flag{Name: "log-level", Type: "string", Usage: "Set log level", Default: "warn"})
	}
	return flags
}

// rootLocalFlags: the dead cobra-template "toggle" flag lived on the root
// (not persistent) until v3.26.
func rootLocalFlags(v calver.Version) []Flag {
	if v.AtLeast(v3_27) {
		return nil
	}
	return []Flag{boolFlag("toggle", "t", "Help message for toggle")}
}

// HasJSONFlag reports whether -j/--json exists (v3.31.5+, and so v3.32.0+).
func HasJSONFlag(v calver.Version) bool { return v.AtLeast(v3_31_5) }

// flagUsages renders flags the way pflag's FlagSet.FlagUsages does: sorted by
// name, usage column aligned one space past the longest "-x, --name type".
// The exact layout matters because tests compare against real help output.
func flagUsages(flags []Flag) string {
	sorted := append([]Flag(nil), flags...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })
	type row struct{ left, usage string }
	rows := make([]row, 0, len(sorted))
	maxLen := 0
	for _, f := range sorted {
		left := "      --" + f.Name
		if f.Short != "" {
			left = "  -" + f.Short + ", --" + f.Name
		}
		if f.takesValue() {
			left += " " + f.Type
		}
		usage := f.Usage
		if f.Default != "" {
			if f.Type == "string" {
				usage += fmt.Sprintf(" (default %q)", f.Default)
			} else {
				usage += fmt.Sprintf(" (default %s)", f.Default)
			}
		}
		maxLen = max(maxLen, len(left)+1) // pflag counts its \x00 marker
		rows = append(rows, row{left, usage})
	}
	var b strings.Builder
	for _, r := range rows {
		fmt.Fprintln(&b, r.left, strings.Repeat(" ", maxLen-len(r.left)), r.usage)
	}
	return b.String()
}

// HasNATDumpFilter reports whether "nat dump <ip> <port> <proto>" filters
// (v3.31.5+, like --group-by-service); before, the words are ignored.
func HasNATDumpFilter(v calver.Version) bool { return v.AtLeast(v3_31_5) }
