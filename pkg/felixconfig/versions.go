package felixconfig

import (
	"fmt"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/util/version"
)

// NodeVersion is the Calico version one node runs ("" or unparsable when unknown).
type NodeVersion struct {
	Node    string
	Version string
}

func parse(v string) *version.Version {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil
	}
	pv, err := version.ParseGeneric(v)
	if err != nil {
		return nil
	}
	// A pre-release such as v3.33.0-0.dev is that release as far as fields go.
	return version.MajorMinor(pv.Major(), pv.Minor()).WithPatch(pv.Patch())
}

func atLeast(v *version.Version, since string) bool {
	s := parse(since)
	return s == nil || v.AtLeast(s)
}

// DefaultFor is the field's default on a Calico version (the newest band when v is nil or
// unparsable). ok is false when the field has no default there.
func (f Field) DefaultFor(v string) (string, bool) {
	if len(f.Defaults) == 0 {
		return "", false
	}
	pv := parse(v)
	if pv == nil {
		d := f.Defaults[len(f.Defaults)-1].Value
		return d, d != ""
	}
	val := ""
	for _, b := range f.Defaults {
		if atLeast(pv, b.From) {
			val = b.Value
		}
	}
	return val, val != ""
}

// DefaultText is the default across the versions the cluster runs: one value when they
// agree, else "X (v3.22.5), Y (v3.32.1)"; "-" when there is none.
func (f Field) DefaultText(versions []NodeVersion) string {
	byValue := map[string][]string{}
	var order []string
	for _, v := range distinctVersions(versions) {
		if pv := parse(v); pv != nil && !atLeast(pv, f.Since) {
			continue
		}
		d, ok := f.DefaultFor(v)
		if !ok {
			d = "-"
		}
		if _, seen := byValue[d]; !seen {
			order = append(order, d)
		}
		byValue[d] = append(byValue[d], v)
	}
	switch len(order) {
	case 0:
		d, ok := f.DefaultFor("")
		if !ok {
			return "-"
		}
		return d
	case 1:
		return order[0]
	}
	parts := make([]string, len(order))
	for i, d := range order {
		parts[i] = d + " (" + strings.Join(byValue[d], ", ") + ")"
	}
	return strings.Join(parts, ", ")
}

// distinctVersions lists the versions the nodes run, oldest first; unknown ones last.
func distinctVersions(nodes []NodeVersion) []string {
	seen := map[string]bool{}
	var out []string
	for _, n := range nodes {
		if !seen[n.Version] {
			seen[n.Version] = true
			out = append(out, n.Version)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := parse(out[i]), parse(out[j])
		switch {
		case a == nil:
			return false
		case b == nil:
			return true
		}
		return a.LessThan(b)
	})
	return out
}

// VersionError says which nodes run a Calico that does not read a field (or value).
type VersionError struct {
	Field, Value  string
	Since, Before string // the field needs ≥ Since, or was removed at Before
	Nodes         []NodeVersion
}

func (e *VersionError) Error() string {
	var nodes []string
	for _, n := range e.Nodes {
		nodes = append(nodes, n.Node+" runs "+n.Version)
	}
	what := e.Field
	if e.Value != "" {
		what = e.Field + "=" + e.Value
	}
	if e.Before != "" {
		return fmt.Sprintf("%s was removed in Calico %s and every node runs %s or newer (%s): Felix would ignore it; --force writes it anyway",
			what, trimPatch(e.Before), trimPatch(e.Before), strings.Join(nodes, ", "))
	}
	return fmt.Sprintf("%s needs Calico %s or newer, but %s: Felix there would ignore it; upgrade first, or --force to write it anyway",
		what, trimPatch(e.Since), strings.Join(nodes, ", "))
}

// trimPatch shows v3.31.0 as v3.31 and keeps v3.30.5.
func trimPatch(v string) string { return strings.TrimSuffix(v, ".0") }

// CheckVersions refuses a field (or an enum value) that some node's Calico is too old to
// read, or that no node reads any more. Nodes whose version is unknown are not held against
// it: the caller warns about them.
func (f Field) CheckVersions(value any, nodes []NodeVersion) error {
	if value == nil {
		return nil // removing a field is understood by every version
	}
	var old []NodeVersion
	since := f.Since
	valueText := ""
	if s, ok := value.(string); ok && f.ValueSince[s] != "" {
		since, valueText = f.ValueSince[s], s
	}
	allRemoved := f.Removed != ""
	known := 0
	for _, n := range nodes {
		v := parse(n.Version)
		if v == nil {
			continue
		}
		known++
		if !atLeast(v, since) {
			old = append(old, n)
		}
		if f.Removed != "" && !atLeast(v, f.Removed) {
			allRemoved = false
		}
	}
	if len(old) > 0 {
		return &VersionError{Field: f.Name, Value: valueText, Since: since, Nodes: old}
	}
	if allRemoved && known > 0 {
		return &VersionError{Field: f.Name, Before: f.Removed, Nodes: nodes}
	}
	return nil
}
