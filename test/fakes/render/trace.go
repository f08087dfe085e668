package render

import (
	"fmt"
	"os"
	"path/filepath"
)

// TraceKey is the data key of a node's kernel trace pipe, which the fake's `tc exec bpf debug`
// and `cat …/trace_pipe` replay.
const TraceKey = "trace-pipe"

// traceFixtures are the hand-written trace pipes (testdata/handwritten) a node of each fixture
// family replays. A trace line's shape comes from the kernel (the task, irq-flags and function
// columns) and from Calico (the interface prefix, IPv6, CTLB); each file pairs a family with a
// kernel of its time, so that the nodes of the test bed cover every shape the parser knows.
var traceFixtures = map[string]string{
	FamilyV3_22: "trace-v3.22-kernel5.4.txt",
	FamilyV3_29: "trace-v3.29-kernel5.15.txt",
	FamilyV3_32: "trace-v3.32-kernel6.8.txt",
}

// TraceFixture returns the path of the trace pipe a node of version replays.
func TraceFixture(testdataDir, version string) (string, error) {
	family, err := FamilyFor(version)
	if err != nil {
		return "", err
	}
	name, ok := traceFixtures[family]
	if !ok {
		return "", fmt.Errorf("render: no trace fixture for family %s", family)
	}
	return filepath.Join(testdataDir, "handwritten", name), nil
}

// renderTrace writes the trace-pipe data file of a node of version, addresses rewritten.
func renderTrace(testdataDir, version, dst string, ipMap map[string]string) error {
	src, err := TraceFixture(testdataDir, version)
	if err != nil {
		return err
	}
	raw, err := os.ReadFile(src)
	if err != nil {
		return fmt.Errorf("render: %w", err)
	}
	ips, err := newIPRewriter(ipMap)
	if err != nil {
		return fmt.Errorf("render: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dst, TraceKey+".stdout.txt"), ips.Rewrite(raw), 0o644); err != nil {
		return fmt.Errorf("render: %w", err)
	}
	return nil
}
