// Package render builds a fake node's FAKE_DATA_DIR (see package fakenode)
// from a fixture set of real Calico output (pkg/parse/testdata/<version>):
// it files every run under the data key the fake looks up, rewrites the
// fixtures' IP addresses to the simulated cluster's, and keeps or drops
// stderr map-loading lines as the target release prints them.
package render

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/calico-ebpf/kubectl-calico-ebpf/test/fakes/calicobpf"
	"github.com/calico-ebpf/kubectl-calico-ebpf/test/fakes/calver"
)

// Options tune one rendering.
type Options struct {
	// Version is the node's Calico release; "" means the fixture set's own.
	// Runs this release could not produce are dropped.
	Version string
	// IPMap maps fixture addresses to cluster addresses (IPv4 to IPv4,
	// IPv6 to IPv6), applied to stdout and stderr.
	IPMap map[string]string
	// MapLogs decides the fate of "Loaded map file descriptor." lines.
	MapLogs MapLogs
}

// RunsDir is the subdirectory of a rendered data dir holding the runs that
// do not answer a data key (help, version, error reproductions such as
// node-bpf-dash6-before), under their fixture names, for reference. The
// fake never reads them: it produces those answers itself.
const RunsDir = "runs"

// ManifestFile records what Render did, for whoever debugs a test.
const ManifestFile = "render-manifest.json"

type fixtureIndex struct {
	CalicoVersion string       `json:"calico_version"`
	Runs          []fixtureRun `json:"runs"`
}

type fixtureRun struct {
	Name     string `json:"name"`
	Argv     string `json:"argv"`
	ExitCode int    `json:"exit_code"`
	Stdout   string `json:"stdout"`
	Stderr   string `json:"stderr"`
}

// Manifest is the content of ManifestFile.
type Manifest struct {
	FixtureVersion string            `json:"fixture_version"`
	TargetVersion  string            `json:"target_version"`
	Keys           map[string]string `json:"keys"`    // data key → fixture run
	Kept           []string          `json:"kept"`    // runs copied to RunsDir
	Dropped        []string          `json:"dropped"` // runs the target release lacks
}

// RenderVersion renders the fixture family of version (FamilyFor) from
// testdataDir (…/pkg/parse/testdata) into dst, with the trace pipe of its era.
func RenderVersion(testdataDir, version, dst string, opts Options) error {
	family, err := FamilyFor(version)
	if err != nil {
		return err
	}
	opts.Version = version
	if err := Render(os.DirFS(filepath.Join(testdataDir, family)), dst, opts); err != nil {
		return err
	}
	return renderTrace(testdataDir, version, dst, opts.IPMap)
}

// Render writes the data directory dst from the fixture set src (a
// directory with index.json). Existing files in dst with the same names are
// overwritten; start from an empty directory.
func Render(src fs.FS, dst string, opts Options) error {
	idx, err := readIndex(src)
	if err != nil {
		return err
	}
	fixtureVer, err := calver.Parse(idx.CalicoVersion)
	if err != nil {
		return fmt.Errorf("render: index.json: %w", err)
	}
	target := fixtureVer
	if opts.Version != "" {
		if target, err = calver.Parse(opts.Version); err != nil {
			return fmt.Errorf("render: %w", err)
		}
	}
	ips, err := newIPRewriter(opts.IPMap)
	if err != nil {
		return fmt.Errorf("render: %w", err)
	}
	plan := planRuns(idx.Runs, fixtureVer, target)
	w := writer{src: src, dst: dst, ips: ips, target: target, mapLogs: opts.MapLogs}
	if err := os.MkdirAll(filepath.Join(dst, RunsDir), 0o755); err != nil {
		return fmt.Errorf("render: %w", err)
	}
	manifest := Manifest{FixtureVersion: fixtureVer.String(), TargetVersion: target.String(),
		Keys: map[string]string{}, Kept: []string{}, Dropped: plan.dropped}
	for _, key := range sortedKeys(plan.byKey) {
		run := plan.byKey[key]
		if err := w.writeRun(run, filepath.Join(dst, key), key); err != nil {
			return err
		}
		manifest.Keys[key] = run.Name
	}
	for _, run := range plan.kept {
		if err := w.writeRun(run, filepath.Join(dst, RunsDir, run.Name), ""); err != nil {
			return err
		}
		manifest.Kept = append(manifest.Kept, run.Name)
	}
	data, _ := json.MarshalIndent(manifest, "", "  ")
	return os.WriteFile(filepath.Join(dst, ManifestFile), append(data, '\n'), 0o644)
}

func readIndex(src fs.FS) (fixtureIndex, error) {
	raw, err := fs.ReadFile(src, "index.json")
	if err != nil {
		return fixtureIndex{}, fmt.Errorf("render: %w", err)
	}
	var idx fixtureIndex
	if err := json.Unmarshal(raw, &idx); err != nil {
		return fixtureIndex{}, fmt.Errorf("render: index.json: %w", err)
	}
	return idx, nil
}

type runPlan struct {
	byKey   map[string]fixtureRun
	kept    []fixtureRun
	dropped []string
}

// planRuns files each run under its data key. When calico-node and the
// standalone calico-bpf both answer a key, calico-node wins: the fake
// impersonates calico-node, whose stderr uses Calico's log formatter.
func planRuns(runs []fixtureRun, fixtureVer, target calver.Version) runPlan {
	plan := runPlan{byKey: map[string]fixtureRun{}, dropped: []string{}}
	viaNode := map[string]bool{}
	for _, run := range runs {
		args, fromNode, ok := bpfArgs(run.Argv)
		key := ""
		if ok {
			key = dataKey(fixtureVer, args)
		}
		switch {
		case key == "":
			plan.kept = append(plan.kept, run)
		case dataKey(target, args) != key:
			plan.dropped = append(plan.dropped, run.Name)
		default:
			if _, taken := plan.byKey[key]; !taken || (fromNode && !viaNode[key]) {
				plan.byKey[key], viaNode[key] = run, fromNode
			}
		}
	}
	return plan
}

// bpfArgs extracts the calico-bpf words of a fixture argv:
// "calico-bpf <args>" or "calico-node -bpf <args>". A calico-node argv
// with a flag before the first subcommand word fails in Go's flag parser,
// not in calico-bpf, so it is not a data run.
func bpfArgs(argv string) (args []string, fromNode, ok bool) {
	words := strings.Fields(argv)
	switch {
	case len(words) >= 1 && words[0] == "calico-bpf":
		return words[1:], false, true
	case len(words) >= 3 && words[0] == "calico-node" && words[1] == "-bpf" && !strings.HasPrefix(words[2], "-"):
		return words[2:], true, true
	}
	return nil, false, false
}

// dataKey is the key the fake serves args from in release v, or "" when
// args is not a plain data dump there (errors, help, filters).
func dataKey(v calver.Version, args []string) string {
	res := calicobpf.Parse(v, args)
	if res.Outcome != calicobpf.Data {
		return ""
	}
	if len(res.Args) > 0 && !strings.HasPrefix(res.Key, "policy-dump-") {
		return "" // e.g. "nat dump <ip> <port> <proto>": the fake filters itself
	}
	return res.Key
}

func sortedKeys(m map[string]fixtureRun) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

type writer struct {
	src     fs.FS
	dst     string
	ips     *ipRewriter
	target  calver.Version
	mapLogs MapLogs
}

// writeRun writes base.stdout.txt, base.stderr.txt and base.exit for a run.
// key is "" for runs kept for reference, whose stderr stays as captured.
func (w writer) writeRun(run fixtureRun, base, key string) error {
	if run.Stdout != "" {
		out, err := w.read(run.Stdout)
		if err != nil {
			return err
		}
		out = refitColumns(key, out)
		if err := os.WriteFile(base+".stdout.txt", out, 0o644); err != nil {
			return fmt.Errorf("render: %w", err)
		}
	}
	if run.Stderr != "" {
		out, err := w.read(run.Stderr)
		if err != nil {
			return err
		}
		if key != "" {
			out = []byte(rewriteMapLogs(string(out), w.target, w.keepMapLogs(key)))
		}
		if len(out) > 0 {
			if err := os.WriteFile(base+".stderr.txt", out, 0o644); err != nil {
				return fmt.Errorf("render: %w", err)
			}
		}
	}
	if run.ExitCode != 0 {
		if err := os.WriteFile(base+".exit", []byte(strconv.Itoa(run.ExitCode)+"\n"), 0o644); err != nil {
			return fmt.Errorf("render: %w", err)
		}
	}
	return nil
}

func (w writer) read(name string) ([]byte, error) {
	raw, err := fs.ReadFile(w.src, name)
	if err != nil {
		return nil, fmt.Errorf("render: %w", err)
	}
	return w.ips.Rewrite(raw), nil
}

func (w writer) keepMapLogs(key string) bool {
	switch w.mapLogs {
	case MapLogsKeep:
		return true
	case MapLogsDrop:
		return false
	}
	return !w.target.AtLeast(calver.MustParse("v3.24.0")) || strings.HasSuffix(key, calicobpf.LogInfoSuffix)
}
