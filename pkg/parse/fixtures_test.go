package parse

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fixtureRun is one run listed in a fixture set's index.json.
type fixtureRun struct {
	Name     string `json:"name"`
	Argv     string `json:"argv"`
	ExitCode int    `json:"exit_code"`
	Stdout   string `json:"stdout"`
	Stderr   string `json:"stderr"`
}

// fixtureSet is one testdata/<version> directory of real tool output.
type fixtureSet struct {
	Version string
	Dir     string
	Runs    []fixtureRun
}

func loadFixtureSets(t testing.TB) []fixtureSet {
	t.Helper()
	indexes, err := filepath.Glob(filepath.Join("testdata", "v*", "index.json"))
	if err != nil || len(indexes) == 0 {
		t.Fatalf("no fixture sets found: %v", err)
	}
	var sets []fixtureSet
	for _, idx := range indexes {
		var doc struct {
			Runs []fixtureRun `json:"runs"`
		}
		b, err := os.ReadFile(idx)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatalf("%s: %v", idx, err)
		}
		dir := filepath.Dir(idx)
		sets = append(sets, fixtureSet{Version: filepath.Base(dir), Dir: dir, Runs: doc.Runs})
	}
	return sets
}

// dumpKindOf maps an argv of index.json to the kind and format its stdout
// holds; ok is false for runs that are not dumps (help, version, policy).
func dumpKindOf(argv string) (kind Kind, format Format, ok bool) {
	words := strings.Fields(argv)
	var sub []string
	format = FormatText
	for _, w := range words {
		switch {
		case w == "-j" || w == "--json":
			format = FormatJSON
		case strings.HasPrefix(w, "-"), w == "calico-bpf", w == "calico-node":
		default:
			sub = append(sub, w)
		}
	}
	if len(sub) < 2 {
		return 0, 0, false
	}
	switch sub[0] + " " + sub[1] {
	case "routes dump":
		kind = KindRoutes
	case "nat dump":
		kind = KindNAT
	case "nat aff":
		kind = KindNATAffinity
	case "nat maglev":
		kind = KindMaglev
	case "ipsets dump":
		kind = KindIPSets
	case "conntrack dump":
		kind = KindConntrack
	case "conntrack stats":
		kind = KindConntrackStats
	case "arp dump":
		kind = KindARP
	case "counters dump":
		kind = KindCounters
	case "ifstate dump":
		kind = KindIfState
	default:
		return 0, 0, false
	}
	return kind, format, true
}

// stdoutIsToolError lists exit-0 runs whose stdout is not data. From the
// v3.22.5 index notes: "nat aff does not exist in v3.22 (cobra prints nat
// help, exit 0)".
var stdoutIsToolError = map[string]bool{"v3.22.5/nat-aff": true}

// stderrShowsFailure says whether a run's stderr reports a failure: a
// non-zero exit, the empty-bpffs runs (exit 0 with [ERROR]/[FATAL] lines, see
// the v3.32.1-no-maps notes), and policy dump without its map (level=error).
func stderrShowsFailure(set fixtureSet, run fixtureRun) bool {
	return run.ExitCode != 0 || strings.HasSuffix(set.Version, "-no-maps") || run.Name == "policy-dump-missing"
}

// decodeAll decodes with the kind's decoder and keeps the rows as JSON, the
// form goldens and comparisons use.
func decodeAll(t testing.TB, kind Kind, input []byte, opts Options) ([]any, Report, error) {
	t.Helper()
	var rows []any
	rep, err := Decode(kind, bytes.NewReader(input), opts, func(row any) error {
		rows = append(rows, row)
		return nil
	})
	return rows, rep, err
}

func TestFixturesParseWithoutWarnings(t *testing.T) {
	for _, set := range loadFixtureSets(t) {
		for _, run := range set.Runs {
			kind, format, isDump := dumpKindOf(run.Argv)
			if !isDump || run.Stdout == "" {
				continue
			}
			t.Run(set.Version+"/"+run.Name, func(t *testing.T) {
				input, err := os.ReadFile(filepath.Join(set.Dir, run.Stdout))
				if err != nil {
					t.Fatal(err)
				}
				rows, rep, err := decodeAll(t, kind, input, Options{})
				if run.ExitCode != 0 || stdoutIsToolError[set.Version+"/"+run.Name] {
					if !errors.Is(err, ErrToolError) {
						t.Fatalf("want an error matching ErrToolError, got %v (rows %d)", err, len(rows))
					}
					return
				}
				if err != nil {
					t.Fatalf("decode: %v", err)
				}
				if len(rep.Warnings) != 0 || rep.Truncated || rep.Incomplete {
					t.Errorf("report: %+v", rep)
				}
				if len(rows) == 0 || rep.Rows != len(rows) {
					t.Errorf("got %d rows, report says %d", len(rows), rep.Rows)
				}
				if rep.Format != format {
					t.Errorf("detected format %v, the run used %v", rep.Format, format)
				}
			})
		}
	}
}

func TestFixtureStderr(t *testing.T) {
	for _, set := range loadFixtureSets(t) {
		for _, run := range set.Runs {
			if run.Stderr == "" {
				continue
			}
			t.Run(set.Version+"/"+run.Name, func(t *testing.T) {
				stderr, err := os.ReadFile(filepath.Join(set.Dir, run.Stderr))
				if err != nil {
					t.Fatal(err)
				}
				err = StderrFailure(stderr)
				if want := stderrShowsFailure(set, run); want != (err != nil) {
					t.Fatalf("StderrFailure = %v, want failure %v", err, want)
				}
				if err != nil && !errors.Is(err, ErrToolError) {
					t.Fatalf("error %v does not match ErrToolError", err)
				}
				// The same text in a merged stream (kubectl exec -t) must be an
				// error too, never an empty result.
				kind, _, isDump := dumpKindOf(run.Argv)
				if !isDump || !stderrShowsFailure(set, run) {
					return
				}
				rows, _, err := decodeAll(t, kind, stderr, Options{})
				if !errors.Is(err, ErrToolError) {
					t.Fatalf("decoding stderr as stdout: want ErrToolError, got %v with %d rows", err, len(rows))
				}
			})
		}
	}
}
