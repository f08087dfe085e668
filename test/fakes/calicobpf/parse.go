// Package calicobpf emulates the command line of Calico's calico-bpf tool
// (cobra + pflag) as it behaves in a given Calico release: which
// subcommands and flags exist, what cobra prints for bad input, and which
// data file ("key") answers a valid dump. It is pure: no I/O.
package calicobpf

import (
	"slices"
	"strconv"
	"strings"

	"github.com/calico-ebpf/kubectl-calico-ebpf/test/fakes/calver"
)

// Outcome says what the tool does with an argv.
type Outcome int

const (
	// Print: write Result.Stdout and exit 0 (help, version, completion).
	Print Outcome = iota
	// Fail: cobra rejected the argv; write Stdout and Stderr, exit 1.
	Fail
	// Data: a read-only dump; answer with the data filed under Result.Key.
	Data
	// Mutating: a verb that changes BPF state (clean, set, del, …).
	Mutating
)

func (o Outcome) String() string {
	names := [...]string{"print", "fail", "data", "mutating"}
	if o < 0 || int(o) >= len(names) {
		return "outcome(" + strconv.Itoa(int(o)) + ")"
	}
	return names[o]
}

// Result is the emulated tool's reaction to one argv.
type Result struct {
	Outcome Outcome
	// Command is the resolved command path below the root, e.g.
	// ["conntrack", "dump"]; empty for the root itself.
	Command []string
	// Args are the positional arguments left after the command path.
	Args []string
	// Flags holds the flags given, by long name ("ipv6" → "true").
	Flags map[string]string
	// Key names the data files that answer a Data outcome (see Key).
	Key            string
	Stdout, Stderr string
}

// ExitCode is the process exit status cobra would produce.
func (r Result) ExitCode() int {
	if r.Outcome == Fail {
		return 1
	}
	return 0
}

// Parse runs argv (the words after "calico-bpf", or after "calico-node -bpf"
// once the literal "-bpf" words are removed) through the calico-bpf command
// line of Calico release v.
func Parse(v calver.Version, argv []string) Result {
	p := parser{v: v, root: tree()}
	return p.run(argv)
}

type parser struct {
	v    calver.Version
	root *command
}

func (p parser) run(argv []string) Result {
	cmd, path, rest := p.find(argv)
	if cmd == p.root {
		if words := commandWords(rest, p.flagsOf(cmd, path)); len(words) > 0 {
			return p.unknownCommand(words[0])
		}
	}
	flags := p.flagsOf(cmd, path)
	values, positional, err := parseFlags(flags, rest)
	res := Result{Command: path, Args: positional, Flags: values}
	if err != nil {
		res.Outcome = Fail
		res.Stderr = "Error: " + err.Error() + "\n"
		res.Stdout = p.usage(cmd, path) + "\n"
		return res
	}
	if values["help"] == "true" {
		res.Outcome, res.Stdout = Print, p.help(cmd, path)
		return res
	}
	switch cmd.kind {
	case kindGroup:
		res.Outcome, res.Stdout = Print, p.help(cmd, path)
	case kindHelp:
		res.Outcome, res.Stdout = Print, p.helpTopic(positional)
	case kindVersion:
		res.Outcome, res.Stdout = Print, VersionText(p.v)
	case kindCompletion:
		res.Outcome = Print
		res.Stdout = "# " + cmd.name + " completion for calico-bpf (stub printed by the test fake)\n"
	case kindMutating:
		res.Outcome = Mutating
	case kindData:
		res.Outcome, res.Key = Data, p.key(cmd, path, values, positional)
	}
	return res
}

// find walks the command tree like cobra's Command.Find: at each level the
// first word that is not a flag (or a flag's value) names the next
// subcommand; the search stops at the first word that is not one.
func (p parser) find(argv []string) (*command, []string, []string) {
	cmd, path := p.root, []string(nil)
	rest := slices.Clone(argv)
	for {
		idx := firstCommandWord(rest, p.flagsOf(cmd, path))
		if idx < 0 {
			return cmd, path, rest
		}
		next := cmd.child(p.v, rest[idx])
		if next == nil {
			return cmd, path, rest
		}
		rest = slices.Delete(rest, idx, idx+1)
		cmd, path = next, append(slices.Clone(path), next.name)
	}
}

// firstCommandWord mirrors cobra's stripFlags: a "--flag" or "-f" without
// "=" swallows the next word unless it is a known bool flag (so an unknown
// "--bogus routes dump" hides "routes"), and such a flag as the second to
// last word ends the scan. "--" ends it too.
func firstCommandWord(args []string, flags []Flag) int {
	for i := 0; i < len(args); i++ {
		s := args[i]
		switch {
		case s == "--":
			return -1
		case strings.HasPrefix(s, "--") && !strings.Contains(s, "=") && !isBoolFlag(flags, s[2:], ""),
			strings.HasPrefix(s, "-") && !strings.HasPrefix(s, "--") && !strings.Contains(s, "=") && len(s) == 2 && !isBoolFlag(flags, "", s[1:]):
			if len(args)-i <= 2 {
				return -1
			}
			i++
		case s != "" && !strings.HasPrefix(s, "-"):
			return i
		}
	}
	return -1
}

// commandWords returns the non-flag words of args, as cobra's legacyArgs sees them.
func commandWords(args []string, flags []Flag) []string {
	var words []string
	for len(args) > 0 {
		i := firstCommandWord(args, flags)
		if i < 0 {
			break
		}
		words = append(words, args[i])
		args = args[i+1:]
	}
	return words
}

func isBoolFlag(flags []Flag, name, short string) bool {
	for _, f := range flags {
		if (name != "" && f.Name == name) || (short != "" && f.Short == short) {
			return !f.takesValue()
		}
	}
	return false
}

// flagsOf returns every flag cmd accepts: its own, -h, and the root's
// persistent flags.
func (p parser) flagsOf(cmd *command, path []string) []Flag {
	return append(p.localFlags(cmd), globalFlags(p.v)...)
}

// localFlags are cmd's own flags plus -h (and, for the root, its
// persistent flags: cobra lists those under the root's "Flags:").
func (p parser) localFlags(cmd *command) []Flag {
	var flags []Flag
	if cmd.flags != nil {
		flags = append(flags, cmd.flags(p.v)...)
	}
	return append(flags, boolFlag("help", "h", "help for "+cmd.name))
}

func (p parser) unknownCommand(word string) Result {
	msg := `unknown command "` + word + `" for "calico-bpf"` + p.suggestions(word)
	return Result{
		Outcome: Fail,
		Stderr:  "Error: " + msg + "\nRun 'calico-bpf --help' for usage.\n",
	}
}

// key names the data files that answer a dump: the command words joined by
// "-", then "-v6" (-6), "-raw" (--raw), "-grouped" (--group-by-service),
// "-json" (-j, only where the command honours it in this release) and
// "-loginfo" (--log-level info/debug/trace, which adds map-loading lines to
// stderr).
func (p parser) key(cmd *command, path []string, flags map[string]string, args []string) string {
	parts := slices.Clone(path)
	if cmd.argsInKey {
		parts = append(parts, args...)
	}
	key := strings.Join(parts, "-")
	if cmd.v6 && flags["ipv6"] == "true" {
		key += "-v6"
	}
	if flags["raw"] == "true" {
		key += "-raw"
	}
	if flags["group-by-service"] == "true" {
		key += "-grouped"
	}
	if flags["json"] == "true" && cmd.json != nil && cmd.json(p.v) {
		key += "-json"
	}
	switch strings.ToLower(flags["log-level"]) {
	case "info", "debug", "trace":
		key += "-loginfo"
	}
	return key
}

// LogInfoSuffix is the key suffix for dumps run at log level info or lower;
// callers fall back to the key without it when no such file exists.
const LogInfoSuffix = "-loginfo"
