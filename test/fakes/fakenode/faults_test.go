package fakenode

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

func TestHangModeBlocksUntilKilled(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	got, err := node{version: "v3.29.7", mode: "hang"}.runCtx(ctx, "calico-node", "-bpf", "routes", "dump")
	if elapsed := time.Since(start); elapsed > 10*time.Second {
		t.Fatalf("not killed promptly: %v", elapsed)
	}
	if err == nil && got.exit == 0 {
		t.Fatalf("a hung exec must end by being killed: %+v", got)
	}
	if ctx.Err() == nil || got.stdout != "" {
		t.Errorf("hang returned before the timeout or printed: %+v err %v", got, err)
	}
}

func TestGarbageAndFailModes(t *testing.T) {
	g := node{name: "n7", version: "v3.32.1", mode: "garbage"}
	first := g.run(t, "calico-node", "-bpf", "routes", "dump")
	again := g.run(t, "calico-node", "-bpf", "routes", "dump")
	if first.exit != 0 || first.stdout == "" || first != again {
		t.Errorf("garbage must be non-empty, exit 0 and reproducible: %+v vs %+v", first, again)
	}
	if strings.ContainsAny(first.stdout, ".:>") {
		t.Errorf("garbage looks like Calico data: %q", first.stdout)
	}
	f := node{name: "n7", version: "v3.32.1", mode: "fail"}
	got := f.run(t, "tc", "qdisc", "show")
	if got.exit != 1 || got.stdout != "" || !strings.Contains(got.stderr, `"n7"`) {
		t.Errorf("fail mode: %+v", got)
	}
	got = node{version: "v3.32.1", mode: "sideways"}.run(t, "ls")
	if got.exit != exitMisconfigured || !strings.Contains(got.stderr, "FAKE_MODE") {
		t.Errorf("bad FAKE_MODE must be loud: %+v", got)
	}
}

// Odd argv must not panic in any program (run in-process for speed; the
// context is already cancelled so blocking answers return at once).
func TestOddArgvNeverPanics(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	env := map[string]string{"FAKE_CALICO_VERSION": "v3.32.1", "FAKE_DATA_DIR": t.TempDir()}
	odd := [][]string{{}, {""}, {"-"}, {"--"}, {"-bpf"}, {"-bpf", ""}, {"-bpf", "-"}, {"-bpf", "--", "routes"},
		{"-bpf", "nat", "dump", "x", "y"}, {"-bpf", "nat", "dump", "::1", "99999", "tcp"}, {"-bpf=maybe"},
		{"-bpf", "counters", "dump", "--iface"}, {"-bpf", "policy", "dump", "../../etc", "all"}, {"--bpf", "routes"},
		{"component"}, {"component", "node", "bpf"}, {"-s"}, {"qdisc", "show", "dev"}, {"filter"}, {"exec", "bpf", "debug"},
		{"-t"}, {"-t", "bpf,cgroup2", "-l"}, {"/proc/self/mountinfo", "/nope"}, {"-la"}, {"net", "show", "dev"}, {"prog", "tracelog"}}
	for _, program := range append(ProgramNames(), "fakenode", "") {
		for _, args := range odd {
			var stdout, stderr bytes.Buffer
			code := Main(ctx, append([]string{"/x/" + program}, args...), func(k string) string { return env[k] }, &stdout, &stderr)
			if code < 0 || strings.Contains(stderr.String(), "panic") {
				t.Errorf("%s %q: exit %d stderr %q", program, args, code, stderr.String())
			}
		}
	}
	if code := Main(ctx, nil, func(string) string { return "" }, &bytes.Buffer{}, &bytes.Buffer{}); code != exitNotFound {
		t.Errorf("empty argv: exit %d", code)
	}
}
