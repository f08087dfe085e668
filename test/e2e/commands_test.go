//go:build e2e

package e2e

import (
	"strings"
	"sync"
	"testing"
)

// command is one plugin invocation: path names the (sub)command, for checking that the built
// plugin has it; args follow it.
type command struct {
	path []string
	args []string
}

func (c command) argv() []string {
	return append(append([]string{"calico-ebpf"}, c.path...), c.args...)
}

func (c command) String() string { return strings.Join(c.argv()[1:], " ") }

func (c command) cmdPath() []string { return c.path }

// readCommands are every read-only command with what it reads most of: all nodes, every dump
// kind, the NAT analyses. optionalReadCommands are being written; they join when the built
// plugin has them.
var (
	readCommands = []command{
		{[]string{"version"}, []string{"-o", "json"}},
		{[]string{"verify"}, []string{"--all-nodes", "-o", "json"}},
		{[]string{"preflight"}, []string{"-o", "json"}},
		{[]string{"routes"}, []string{"--all-nodes", "-o", "json"}},
		{[]string{"nat"}, []string{"--all-nodes", "-o", "json"}},
		{[]string{"ipsets"}, []string{"--all-nodes", "-o", "json"}},
		{[]string{"conntrack"}, []string{"--all-nodes", "-o", "json"}},
		{[]string{"arp"}, []string{"--all-nodes", "-o", "json"}},
		{[]string{"counters"}, []string{"--all-nodes", "-o", "json"}},
		{[]string{"ifstate"}, []string{"--all-nodes", "-o", "json"}},
		{[]string{"qdisc"}, []string{"--all-nodes", "-o", "json"}},
		{[]string{"nat"}, []string{"--explain", "--all-nodes"}},
		{[]string{"nat"}, []string{"--check", "--all-nodes"}},
		{[]string{"conntrack"}, []string{"--stats", "--all-nodes", "-o", "json"}},
	}
	optionalReadCommands = []command{
		{[]string{"config", "get"}, nil},
		{[]string{"dsr", "status"}, nil},
		{[]string{"debug", "status"}, nil},
		{[]string{"trace"}, []string{"--node", "node-3", "--count", "1", "-o", "json"}},
	}
)

// writeCase is a command that changes the cluster (issue 6). The e2e cluster rests where some
// of them would leave it, and a command with nothing to do rightly writes nothing and needs
// no permission; setup, when set, gives the command work and returns its undo.
type writeCase struct {
	command
	setup func(t *testing.T) (undo func())
	// noDryRun: the command has no --dry-run (trace --debug switches debug on and back).
	noDryRun bool
}

var writeCases = []writeCase{
	{command{[]string{"enable"}, nil}, nil, false},
	{command{[]string{"disable"}, nil}, kubeProxyOff, false},
	{command{[]string{"dsr", "enable"}, nil}, nil, false},
	{command{[]string{"dsr", "disable"}, nil}, felixSpec("bpfExternalServiceMode", "DSR"), false},
	{command{[]string{"config", "set"}, []string{"bpfLogLevel=Debug"}}, nil, false},
	{command{[]string{"debug", "on"}, nil}, nil, false},
	{command{[]string{"debug", "off"}, nil}, felixSpec("bpfLogLevel", "Debug"), false},
	{command{[]string{"trace"}, []string{"--node", "node-3", "--count", "1", "--debug"}}, nil, true},
}

// prepare runs the case's setup, if any, and returns its undo (never nil).
func (w writeCase) prepare(t *testing.T) func() {
	t.Helper()
	if w.setup == nil {
		return func() {}
	}
	return w.setup(t)
}

// dryRuns are the write cases asking only for their plan: --dry-run=server sends every
// write with dryRun=All, --dry-run=client sends none.
func dryRuns(cases []writeCase) []writeCase {
	var out []writeCase
	for _, w := range cases {
		if w.noDryRun {
			continue
		}
		for _, mode := range []string{"--dry-run=server", "--dry-run=client"} {
			c := w
			c.args = append(append([]string{}, w.args...), mode)
			out = append(out, c)
		}
	}
	return out
}

var (
	hasMu  sync.Mutex
	hasCmd = map[string]bool{}
)

// pluginHas reports whether the built plugin has the (sub)command: its help's usage line
// starts with the whole path. The exit status alone would not do: cobra answers a parent's
// help for an unknown subcommand of it.
func pluginHas(t *testing.T, path []string) bool {
	t.Helper()
	key := strings.Join(path, " ")
	hasMu.Lock()
	defer hasMu.Unlock()
	if has, ok := hasCmd[key]; ok {
		return has
	}
	r := kubectl(t, append(append([]string{"calico-ebpf"}, path...), "--help")...)
	has := false
	if lines := strings.Split(r.stdout, "\n"); r.code == 0 {
		for i, l := range lines {
			if strings.TrimSpace(l) == "Usage:" && i+1 < len(lines) {
				use := strings.TrimSpace(lines[i+1]) + " "
				has = strings.HasPrefix(use, "kubectl calico-ebpf "+key+" ")
				break
			}
		}
	}
	hasCmd[key] = has
	return has
}

// available returns the commands the built plugin has, and logs the ones it lacks.
func available[C interface{ cmdPath() []string }](t *testing.T, cmds []C) []C {
	t.Helper()
	var out, missing []C
	for _, c := range cmds {
		if pluginHas(t, c.cmdPath()) {
			out = append(out, c)
		} else {
			missing = append(missing, c)
		}
	}
	if len(missing) > 0 {
		t.Logf("not in the built plugin yet, skipped: %v", missing)
	}
	return out
}
