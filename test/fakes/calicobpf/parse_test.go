package calicobpf

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/calico-ebpf/kubectl-calico-ebpf/test/fakes/calver"
)

const testdata = "../../../pkg/parse/testdata"

func fixture(t *testing.T, version, file string) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(testdata, version, file))
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

func parse(version string, args ...string) Result {
	return Parse(calver.MustParse(version), args)
}

// The emulation must print exactly what real calico-bpf printed.
func TestMatchesRealOutput(t *testing.T) {
	for _, tc := range []struct {
		name, version string
		args          []string
		stdout        string // fixture file names
		stderr        string
		outcome       Outcome
	}{
		{"root help v3.32.1", "v3.32.1", []string{"help"}, "node-bpf-help.stdout.txt", "", Print},
		{"nat aff absent in v3.22 prints nat help", "v3.22.5", []string{"nat", "aff"}, "nat-aff.stdout.txt", "", Print},
		{"unknown flag", "v3.32.1", []string{"conntrack", "dump", "--bogus"}, "bad-flag.stdout.txt", "bad-flag.stderr.txt", Fail},
		{"-j before v3.31.5", "v3.29.7", []string{"routes", "dump", "-j"}, "json-flag-unsupported.stdout.txt", "json-flag-unsupported.stderr.txt", Fail},
		{"version", "v3.32.1", []string{"version"}, "", "", Print},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := parse(tc.version, tc.args...)
			if res.Outcome != tc.outcome {
				t.Fatalf("outcome %s, want %s", res.Outcome, tc.outcome)
			}
			if tc.stdout != "" && res.Stdout != fixture(t, tc.version, tc.stdout) {
				t.Errorf("stdout:\n%s\nwant:\n%s", res.Stdout, fixture(t, tc.version, tc.stdout))
			}
			want := ""
			if tc.stderr != "" {
				want = fixture(t, tc.version, tc.stderr)
			}
			if res.Stderr != want {
				t.Errorf("stderr %q, want %q", res.Stderr, want)
			}
		})
	}
}

func TestDataKeys(t *testing.T) {
	for _, tc := range []struct {
		version string
		args    string
		key     string
	}{
		{"v3.32.1", "routes dump", "routes-dump"},
		{"v3.32.1", "conntrack dump -6 --raw", "conntrack-dump-v6-raw"},
		{"v3.32.1", "-6 conntrack dump --raw -j", "conntrack-dump-v6-raw-json"},
		{"v3.32.1", "conntrack dump -6j", "conntrack-dump-v6-json"},
		{"v3.32.1", "nat dump --group-by-service -j", "nat-dump-grouped-json"},
		{"v3.32.1", "routes dump --log-level=info", "routes-dump-loginfo"},
		{"v3.32.1", "routes dump --log-level warn", "routes-dump"},
		{"v3.32.1", "conntrack dump --ver 4", "conntrack-dump"},
		{"v3.32.1", "ifstate dump -6", "ifstate-dump"}, // one dump for both families
		{"v3.32.0", "nat aff -j", "nat-aff"},           // v3.32.0 ignores -j for nat aff
		{"v3.31.7", "nat aff -j", "nat-aff-json"},      // …v3.31.7 honours it
		{"v3.32.1", "policy dump eth0 all", "policy-dump-eth0-all"},
		{"v3.32.1", "conntrack stats -j", "conntrack-stats-json"},
		{"v3.22.5", "conntrack dump", "conntrack-dump"},
	} {
		res := parse(tc.version, strings.Fields(tc.args)...)
		if res.Outcome != Data || res.Key != tc.key {
			t.Errorf("%s %q: %s key %q (stderr %q), want data key %q", tc.version, tc.args, res.Outcome, res.Key, res.Stderr, tc.key)
		}
	}
}

func TestAvailabilityByVersion(t *testing.T) {
	for _, tc := range []struct {
		version, args string
		outcome       Outcome
		stderr        string
	}{
		{"v3.26.5", "routes dump -6", Fail, "Error: unknown shorthand flag: '6' in -6\n"},
		{"v3.31.4", "routes dump --json", Fail, "Error: unknown flag: --json\n"},
		{"v3.31.5", "routes dump --json", Data, ""},
		{"v3.27.0", "conntrack dump --raw", Fail, "Error: unknown flag: --raw\n"},
		{"v3.28.0", "conntrack dump --raw", Data, ""},
		{"v3.23.9", "routes dump --log-level=info", Fail, "Error: unknown flag: --log-level\n"},
		{"v3.31.4", "nat dump --group-by-service", Fail, "Error: unknown flag: --group-by-service\n"},
		{"v3.29.7", "conntrack stats", Print, ""}, // conntrack help: no stats before v3.30
		{"v3.30.0", "conntrack stats", Data, ""},
		{"v3.23.0", "ifstate dump", Fail, "Error: unknown command \"ifstate\" for \"calico-bpf\"\nRun 'calico-bpf --help' for usage.\n"},
		{"v3.24.0", "counters dump", Data, ""},
		{"v3.22.5", "nat aff", Print, ""},
		{"v3.23.0", "nat aff", Data, ""},
		{"v3.32.0", "nat maglev", Print, ""},
		{"v3.32.1", "nat maglev", Data, ""},
	} {
		res := parse(tc.version, strings.Fields(tc.args)...)
		if res.Outcome != tc.outcome || res.Stderr != tc.stderr {
			t.Errorf("%s %q: %s stderr %q, want %s stderr %q", tc.version, tc.args, res.Outcome, res.Stderr, tc.outcome, tc.stderr)
		}
	}
}

func TestUnknownCommandSuggests(t *testing.T) {
	res := parse("v3.32.1", "rout", "dump")
	want := "Error: unknown command \"rout\" for \"calico-bpf\"\n\nDid you mean this?\n\troutes\n\nRun 'calico-bpf --help' for usage.\n"
	if res.Outcome != Fail || res.Stderr != want || res.Stdout != "" {
		t.Errorf("got %s stdout %q stderr %q", res.Outcome, res.Stdout, res.Stderr)
	}
}

func TestMutatingVerbs(t *testing.T) {
	for _, args := range []string{"conntrack clean", "conntrack remove 6 1.1.1.1 2.2.2.2", "nat set front",
		"nat del back", "arp clean", "connect-time clean", "cleanup", "counters flush", "routes add 10.0.0.0/8 x"} {
		if res := parse("v3.32.1", strings.Fields(args)...); res.Outcome != Mutating {
			t.Errorf("%q: %s, want mutating", args, res.Outcome)
		}
	}
}

func TestHelpFlagAndGroups(t *testing.T) {
	res := parse("v3.32.1", "routes", "dump", "-h")
	if res.Outcome != Print || !strings.HasPrefix(res.Stdout, "dumps routes\n\nUsage:\n  calico-bpf routes dump [flags]\n") {
		t.Errorf("routes dump -h: %s %q", res.Outcome, res.Stdout)
	}
	res = parse("v3.32.1")
	if res.Outcome != Print || res.Stdout != fixture(t, "v3.32.1", "node-bpf-help.stdout.txt") {
		t.Errorf("no args must print the root help")
	}
}

// Odd argv must never panic; seeds run in every `go test`.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"", "-", "--", "---x", "-=", "--=", "-6j", "-v", "conntrack dump -v", "-jx",
		"help help help", "nat dump 1 2", "conntrack dump --raw=", "--log-level", "routes dump -- -6", "\x00"} {
		f.Add(s, "v3.32.1")
		f.Add(s, "v3.22.5")
	}
	f.Fuzz(func(t *testing.T, args, version string) {
		v, err := calver.Parse(version)
		if err != nil {
			return
		}
		res := Parse(v, strings.Split(args, " "))
		if res.Outcome == Data && res.Key == "" {
			t.Errorf("%q: data without key", args)
		}
	})
}
