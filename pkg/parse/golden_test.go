package parse

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/golden from the current decoders")

// golden is what a golden file holds: the decoded rows and the report.
type golden struct {
	Report Report `json:"report"`
	Rows   []any  `json:"rows"`
}

// checkGolden compares got, as indented JSON, with testdata/golden/<name>.json,
// or rewrites the file under -update.
func checkGolden(t *testing.T, name string, got golden) {
	t.Helper()
	b, err := json.MarshalIndent(got, "", "  ")
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	b = append(b, '\n')
	path := filepath.Join("testdata", "golden", name+".json")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden (run with -update to create it): %v", err)
	}
	if !bytes.Equal(want, b) {
		t.Errorf("%s differs from the decoder's output (-want +got):\n%s", path, lineDiff(string(want), string(b)))
	}
}

func TestFixtureGoldens(t *testing.T) {
	for _, set := range loadFixtureSets(t) {
		for _, run := range set.Runs {
			kind, _, isDump := dumpKindOf(run.Argv)
			if !isDump || run.Stdout == "" || run.ExitCode != 0 || stdoutIsToolError[set.Version+"/"+run.Name] {
				continue
			}
			t.Run(set.Version+"/"+run.Name, func(t *testing.T) {
				input, err := os.ReadFile(filepath.Join(set.Dir, run.Stdout))
				if err != nil {
					t.Fatal(err)
				}
				rows, rep, err := decodeAll(t, kind, input, Options{})
				if err != nil {
					t.Fatal(err)
				}
				checkGolden(t, filepath.Join(set.Version, run.Name), golden{Report: rep, Rows: rows})
			})
		}
	}
}

func mustJSON(v any) []byte {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return []byte(fmt.Sprintf("%#v", v))
	}
	return b
}

// TestHandwrittenGoldens pins the decoded form of every hand-written fixture,
// including the kinds without real-tool fixtures (tc, Felix log, trace).
func TestHandwrittenGoldens(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "handwritten", "*.txt"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no hand-written fixtures: %v", err)
	}
	for _, name := range files {
		base := filepath.Base(name)
		kind, ok := handwrittenKind(base)
		if !ok {
			t.Errorf("%s: no kind for this file name", base)
			continue
		}
		t.Run(base, func(t *testing.T) {
			input, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			rows, rep, err := decodeAll(t, kind, input, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Warnings) > 0 || len(rows) == 0 {
				t.Errorf("report %+v with %d rows", rep, len(rows))
			}
			checkGolden(t, filepath.Join("handwritten", strings.TrimSuffix(base, ".txt")), golden{Report: rep, Rows: rows})
		})
	}
}

// handwrittenKind finds a fixture's kind from its name's prefix, longest first.
func handwrittenKind(base string) (Kind, bool) {
	best, bestLen := Kind(0), 0
	for k, p := range handwrittenPrefix {
		if strings.HasPrefix(base, p) && len(p) > bestLen {
			best, bestLen = k, len(p)
		}
	}
	return best, bestLen > 0
}
