// Package fakenode answers, on the local machine, the commands the
// kubectl-calico_ebpf plugin execs in a calico-node container: calico-node,
// calico, tc, bpftool, mount, cat and ls. One binary is installed under all
// those names and dispatches on the base name of argv[0].
//
// The answers come only from the environment and the node's data directory,
// never from the machine's real state:
//
//	FAKE_NODE            node name (used in messages and to seed FAKE_MODE=garbage)
//	FAKE_CALICO_VERSION  Calico release of the node, e.g. v3.29.7
//	FAKE_DATA_DIR        directory of rendered outputs, see below
//	FAKE_MODE            "" | hang | garbage | fail, applies to every program
//	FAKE_ATTACH          tc | tcx; default tcx from v3.31, tc before
//	FAKE_BPFFS           mounted (default) | absent
//	FAKE_TC              present (default) | absent: an image without tc
//	FAKE_TRACEFS         /sys/kernel/tracing (default) | /sys/kernel/debug/tracing | none
//
// A data key names up to four files in FAKE_DATA_DIR: <key>.stdout.txt and
// <key>.stderr.txt (printed as they are), <key>.exit (exit status, default
// 0) and <key>.hang (present: block until killed after printing). Keys are
// documented with each program.
package fakenode

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strings"

	"github.com/calico-ebpf/kubectl-calico-ebpf/test/fakes/calver"
)

// Exit statuses used beside the emulated programs' own.
const (
	exitMisconfigured = 125 // the FAKE_* environment is wrong
	exitNotFound      = 127 // what a container runtime returns for a missing binary
	exitKilled        = 137 // in-process runs whose context ended (128+SIGKILL)
)

// proc is one invocation of one emulated program.
type proc struct {
	ctx    context.Context
	env    Env
	data   dataDir
	stdout io.Writer
	stderr io.Writer
}

type program func(p *proc, args []string) int

var programs = map[string]program{
	"calico-node": runCalicoNode,
	"calico":      runCalico,
	"tc":          runTC,
	"bpftool":     runBPFTool,
	"mount":       runMount,
	"cat":         runCat,
	"ls":          runLs,
}

// ProgramNames lists the names the binary must be installed under.
func ProgramNames() []string {
	names := make([]string, 0, len(programs))
	for n := range programs {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Main runs one invocation and returns its exit status. argv[0] selects the
// program. ctx ends blocking answers (hang, trace pipes); the real binary
// passes a context that never ends and is simply killed.
func Main(ctx context.Context, argv []string, getenv func(string) string, stdout, stderr io.Writer) int {
	name := ""
	if len(argv) > 0 {
		name = filepath.Base(argv[0])
	}
	var args []string
	if len(argv) > 1 {
		args = argv[1:]
	}
	run, ok := programs[name]
	if !ok {
		fmt.Fprintf(stderr, "fakenode: unknown program name %q; install this binary as one of %s\n",
			name, strings.Join(ProgramNames(), ", "))
		return exitNotFound
	}
	env, err := LoadEnv(getenv)
	if err != nil {
		fmt.Fprintf(stderr, "fakenode: %v\n", err)
		return exitMisconfigured
	}
	p := &proc{ctx: ctx, env: env, data: dataDir(env.DataDir), stdout: stdout, stderr: stderr}
	if code, done := p.missingBinary(name); done {
		return code
	}
	if code, done := p.injectFault(args); done {
		return code
	}
	return run(p, args)
}

// missingBinary answers like a container runtime when the node's image has
// no such binary: calico-node is gone from v3.33 (replaced by the combined
// "calico" binary, which older images lack); tc is gone with FAKE_TC=absent.
func (p *proc) missingBinary(name string) (int, bool) {
	if name == "tc" && p.env.TC == "absent" {
		return p.notFound(name), true
	}
	if name != "calico-node" && name != "calico" {
		return 0, false
	}
	v, err := p.env.CalicoVersion()
	if err != nil {
		fmt.Fprintf(p.stderr, "fakenode: %v\n", err)
		return exitMisconfigured, true
	}
	combined := v.AtLeast(calver.MustParse("v3.33.0"))
	if (name == "calico") == combined {
		return 0, false
	}
	return p.notFound(name), true
}

func (p *proc) notFound(name string) int {
	fmt.Fprintf(p.stderr, "exec: %q: executable file not found in $PATH\n", name)
	return exitNotFound
}

// refuse rejects a command that would change node state. The test bed never
// pretends to mutate, and the plugin must never ask it to; the message says
// so plainly to whoever reads a failed test.
func (p *proc) refuse(what string) int {
	fmt.Fprintf(p.stderr, "fakenode: refusing mutating command %q on node %q: the test bed never changes BPF state\n",
		what, p.env.Node)
	return 1
}
