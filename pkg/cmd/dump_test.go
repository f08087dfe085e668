package cmd

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"k8s.io/cli-runtime/pkg/genericiooptions"
)

// fixtures is pkg/parse's testdata: real output of Calico's tools, per version.
const fixtures = "../parse/testdata/"

func runRootWithStdin(t *testing.T, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut bytes.Buffer
	streams := genericiooptions.IOStreams{In: strings.NewReader(stdin), Out: &out, ErrOut: &errOut}
	code = Execute(context.Background(), streams, args)
	return out.String(), errOut.String(), code
}

// Every dump command reads a real fixture and prints a table with its header.
func TestDumpCommandsReadFixtures(t *testing.T) {
	for _, c := range []struct {
		args   []string
		header string
	}{
		{[]string{"routes", "--input", fixtures + "v3.32.1/routes-dump.stdout.txt"}, "DESTINATION"},
		{[]string{"routes", "--input", fixtures + "v3.32.1/routes-dump-json.stdout.txt"}, "DESTINATION"},
		{[]string{"nat", "--input", fixtures + "v3.32.1/nat-dump.stdout.txt"}, "FRONTEND"},
		{[]string{"nat", "--affinity", "--input", fixtures + "v3.32.1/nat-aff.stdout.txt"}, "CLIENT"},
		{[]string{"nat", "--maglev", "--input", fixtures + "v3.32.1/nat-maglev.stdout.txt"}, "ID"},
		{[]string{"ipsets", "--input", fixtures + "v3.32.1/ipsets-dump.stdout.txt"}, "SET ID"},
		{[]string{"conntrack", "--input", fixtures + "v3.32.1/conntrack-dump.stdout.txt"}, "TYPE"},
		{[]string{"conntrack", "--input", fixtures + "v3.22.5/conntrack-dump.stdout.txt", "-o", "wide"}, "TYPE"},
		{[]string{"conntrack", "--stats", "--input", fixtures + "v3.32.1/conntrack-stats.stdout.txt"}, "MAP SIZE"},
		{[]string{"arp", "--input", fixtures + "v3.32.1/arp-dump.stdout.txt"}, "IFINDEX"},
		{[]string{"counters", "--input", fixtures + "v3.32.1/counters-dump.stdout.txt"}, "INTERFACE"},
		{[]string{"ifstate", "--input", fixtures + "v3.32.1/ifstate-dump.stdout.txt"}, "IFINDEX"},
		{[]string{"qdisc", "--input", fixtures + "handwritten/qdisc-runbook-2021.txt"}, "DEV"},
		{[]string{"trace", "--input", fixtures + "handwritten/trace-runbook-2021.txt"}, "TIME"},
	} {
		out, errOut, code := runRoot(t, c.args...)
		if code != 0 || errOut != "" || !strings.HasPrefix(out, c.header+" ") || strings.Count(out, "\n") < 2 {
			t.Errorf("%v: exit %d, stderr %q, stdout:\n%s", c.args, code, errOut, out)
		}
	}
}

func TestDumpJSONIsOneDocument(t *testing.T) {
	out, errOut, code := runRoot(t, "nat", "--input", fixtures+"v3.32.1/nat-dump.stdout.txt", "-o", "json")
	if code != 0 || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	var doc struct {
		Kind  string `json:"kind"`
		Items []struct {
			Frontend struct {
				Addr  string `json:"addr"`
				Count int    `json:"count"`
			} `json:"frontend"`
			Backends []json.RawMessage `json:"backends"`
		} `json:"items"`
		Warnings []any `json:"warnings"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	if doc.Kind != "nat" || len(doc.Items) != 10 || doc.Warnings == nil || doc.Items[0].Frontend.Addr == "" {
		t.Errorf("document = %+v", doc)
	}
}

func TestDumpReadsStdin(t *testing.T) {
	in := "10.65.0.0/16: remote in-pool nat-out\n192.168.1.11/32: local host\n"
	out, errOut, code := runRootWithStdin(t, in, "routes", "--input", "-", "-o", "yaml")
	if code != 0 || errOut != "" || !strings.Contains(out, "dest: 10.65.0.0/16") || !strings.Contains(out, "kind: routes") {
		t.Errorf("exit %d, stderr %q, stdout:\n%s", code, errOut, out)
	}
}

func TestDumpEmptyInput(t *testing.T) {
	out, errOut, code := runRootWithStdin(t, "", "routes", "--input", "-")
	if code != 0 || out != "" || errOut != "No routes found.\n" {
		t.Errorf("table: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	out, errOut, code = runRootWithStdin(t, "", "conntrack", "--input", "-", "-o", "json")
	if code != 0 || errOut != "" || !strings.Contains(out, `"items": []`) || !strings.Contains(out, `"kind": "conntrack"`) {
		t.Errorf("json: exit %d, stderr %q, stdout %q", code, errOut, out)
	}
}

func TestDumpWarningsGoToStderrAfterData(t *testing.T) {
	out, errOut, code := runRoot(t, "routes", "--input", "testdata/routes-messy.txt")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if strings.Count(out, "\n") != 5 || strings.Contains(out, "warning") {
		t.Errorf("stdout:\n%s", out)
	}
	if errOut != "warning: line 5: not understood: \"this line is not a route\"\n" {
		t.Errorf("stderr %q", errOut)
	}
	out, _, _ = runRoot(t, "routes", "--input", "testdata/routes-messy.txt", "-o", "json")
	if !strings.Contains(out, `"reason": "not understood"`) || !strings.Contains(out, `"line": 5`) {
		t.Errorf("json warnings missing:\n%s", out)
	}
}

func TestDumpToolErrorNamesTheFile(t *testing.T) {
	file := fixtures + "v3.32.1-no-maps/empty-routes-dump.stderr.txt"
	for _, o := range []string{"table", "json"} {
		out, errOut, code := runRoot(t, "routes", "--input", file, "-o", o)
		want := "error: parse routes from " + file + ": the dump tool reported an error on line 1: "
		if code != 1 || out != "" || !strings.HasPrefix(errOut, want) || !strings.Contains(errOut, "Failed to dump routes map") {
			t.Errorf("-o %s: exit %d, stdout %q, stderr %q", o, code, out, errOut)
		}
		if strings.Contains(errOut, "--help") {
			t.Errorf("-o %s: a parse error is not a usage error: %q", o, errOut)
		}
	}
}

func TestDumpUsageErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"routes"}, "error: routes needs nodes to read: add --node NAME, --all-nodes or -l SELECTOR (or --input FILE for a saved dump)"},
		{[]string{"nat", "--explain"}, "error: nat needs nodes to read: add --node NAME"},
		{[]string{"trace"}, "error: trace needs a node to follow (--node NAME) or a saved trace (--input FILE"},
		{[]string{"routes", "--node", "n1", "--input", "-"}, "error: --input reads a saved dump; it cannot be combined with --node"},
		{[]string{"routes", "--all-nodes", "--parallel", "0"}, "error: --parallel must be at least 1"},
		{[]string{"nat", "--check", "--input", "-"}, "error: --check compares live nodes with the cluster"},
		{[]string{"routes", "--input", "-", "-o", "xml"}, `error: unknown output format "xml": use one of table|wide|json|yaml`},
		{[]string{"routes", "--input", "-", "--format", "yaml"}, `error: unknown input format "yaml": use auto, text or json`},
		{[]string{"nat", "--input", "-", "--affinity", "--maglev"}, "error: --affinity and --maglev cannot be used together"},
		{[]string{"routes", "--input", "-", "extra"}, `error: unknown command "extra"`},
	} {
		out, errOut, code := runRoot(t, c.args...)
		if code != 1 || out != "" || !strings.HasPrefix(errOut, c.want) || !strings.Contains(errOut, "See 'kubectl calico-ebpf --help' for usage.") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", c.args, code, out, errOut)
		}
	}
}

func TestDumpMissingFile(t *testing.T) {
	_, errOut, code := runRoot(t, "arp", "--input", "testdata/no-such-file.txt")
	if code != 1 || !strings.HasPrefix(errOut, "error: read arp dump: open testdata/no-such-file.txt: ") {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
}

func TestNATExplain(t *testing.T) {
	file := fixtures + "v3.32.1/nat-dump.stdout.txt"
	out, errOut, code := runRoot(t, "nat", "--explain", "--input", file)
	if code != 0 || errOut != "" || !strings.HasPrefix(out, "How to read a NAT dump:") ||
		!strings.Contains(out, "255.255.255.255:30080/TCP: the NodePort frontend for any node address (same id 3 as 10.96.45.12:80/TCP") {
		t.Errorf("exit %d, stderr %q, stdout:\n%s", code, errOut, out)
	}
	out, _, code = runRoot(t, "nat", "--explain", "--input", file, "-o", "json")
	var doc struct {
		Kind  string `json:"kind"`
		Items []struct {
			Role        string `json:"role"`
			Explanation string `json:"explanation"`
		} `json:"items"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil || code != 0 {
		t.Fatalf("exit %d, %v:\n%s", code, err, out)
	}
	if doc.Kind != "nat" || len(doc.Items) != 10 || doc.Items[0].Explanation == "" || doc.Items[0].Role != "service" {
		t.Errorf("document = %+v", doc)
	}
}

// Help text shows the kubectl spelling and how to save each kind's input.
func TestDumpHelp(t *testing.T) {
	for _, k := range dumpKinds {
		out, _, code := runRoot(t, k.name, "--help")
		if code != 0 || !strings.Contains(out, "kubectl calico-ebpf "+k.name+" --input "+k.modes[0].file) ||
			!strings.Contains(out, k.modes[0].source) {
			t.Errorf("%s --help: exit %d:\n%s", k.name, code, out)
		}
		for _, m := range k.modes {
			if !m.check && (m.view == nil) == (m.newPrinter == nil) {
				t.Errorf("%s: mode %q needs exactly one of view and newPrinter", k.name, m.flag)
			}
		}
	}
}
