package felixconfig

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// Object is what the plan needs to know of FelixConfiguration "default".
type Object struct {
	// Exists is false when there is no such object: a write creates it.
	Exists          bool
	ResourceVersion string
	Spec            map[string]any
	Annotations     map[string]string
}

// Assignment is one parsed `NAME=VALUE` (Value set) or `NAME-` (Unset) argument.
type Assignment struct {
	Field Field
	Value any
	Unset bool
}

// ParseAssignment reads NAME=VALUE, or NAME- to remove the field so that its default applies
// (kubectl label's convention).
func ParseAssignment(arg string) (Assignment, error) {
	name, value, found := strings.Cut(arg, "=")
	if !found {
		if strings.HasSuffix(arg, "-") && len(arg) > 1 {
			f, err := Lookup(strings.TrimSuffix(arg, "-"))
			if err != nil {
				return Assignment{}, err
			}
			return Assignment{Field: f, Unset: true}, nil
		}
		return Assignment{}, fmt.Errorf("%q: want NAME=VALUE, or NAME- to go back to the default", arg)
	}
	f, err := Lookup(name)
	if err != nil {
		return Assignment{}, err
	}
	v, err := f.Parse(value)
	if err != nil {
		return Assignment{}, err
	}
	return Assignment{Field: f, Value: v}, nil
}

// Plan is one write: spec fields to set (a nil value removes the field) and annotations to set
// (a nil value removes the annotation).
type Plan struct {
	Spec        map[string]any
	Annotations map[string]*string
}

// NewPlan builds a plan from assignments; the same field twice is an error.
func NewPlan(as []Assignment) (Plan, error) {
	p := Plan{Spec: map[string]any{}}
	for _, a := range as {
		if _, dup := p.Spec[a.Field.Name]; dup {
			return Plan{}, fmt.Errorf("%s is given twice", a.Field.Name)
		}
		p.Spec[a.Field.Name] = a.Value
	}
	return p, nil
}

// Change is one field a write changes.
type Change struct {
	// Name is the spec field, or "annotation KEY".
	Name             string
	Old, New         any
	OldSet, NewSet   bool
	Default          string // the field's default ("" when not a catalogue field or none)
	annotation, spec string
}

// Changes lists what the plan would change in obj, in a stable order (spec fields, then
// annotations, each by name). Values equal to what is there (for Felix: same number, enum
// in another case) are no change.
func (p Plan) Changes(obj Object, versions []NodeVersion) []Change {
	var out []Change
	for _, name := range sortedKeys(p.Spec) {
		f, err := Lookup(name)
		if err != nil {
			f = Field{Name: name}
		}
		old, oldSet := obj.Spec[name]
		if old == nil {
			oldSet = false
		}
		nv := p.Spec[name]
		if !oldSet && nv == nil || oldSet && f.Equal(old, nv) {
			continue
		}
		c := Change{Name: name, Old: old, OldSet: oldSet, New: nv, NewSet: nv != nil, spec: name}
		if f.Kind != KindBool || len(f.Defaults) > 0 {
			c.Default = f.DefaultText(versions)
		}
		out = append(out, c)
	}
	for _, key := range sortedKeys(p.Annotations) {
		old, oldSet := obj.Annotations[key]
		nv := p.Annotations[key]
		if !oldSet && nv == nil || oldSet && nv != nil && *nv == old {
			continue
		}
		c := Change{Name: "annotation " + key, OldSet: oldSet, NewSet: nv != nil, annotation: key}
		if oldSet {
			c.Old = old
		}
		if nv != nil {
			c.New = *nv
		}
		out = append(out, c)
	}
	return out
}

func sortedKeys[T any](m map[string]T) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// MergePatch is the JSON merge patch that makes exactly these changes. A resourceVersion
// makes the write conditional: the API server refuses it (409 Conflict) if the object changed
// since it was read, so what was shown is what gets applied.
func MergePatch(changes []Change, resourceVersion string) ([]byte, error) {
	spec := map[string]any{}
	annotations := map[string]any{}
	for _, c := range changes {
		switch {
		case c.spec != "":
			spec[c.spec] = replacing(c.Old, c.New) // nil becomes JSON null: remove the field
		case c.annotation != "":
			annotations[c.annotation] = c.New
		}
	}
	meta := map[string]any{}
	if resourceVersion != "" {
		meta["resourceVersion"] = resourceVersion
	}
	if len(annotations) > 0 {
		meta["annotations"] = annotations
	}
	patch := map[string]any{}
	if len(meta) > 0 {
		patch["metadata"] = meta
	}
	if len(spec) > 0 {
		patch["spec"] = spec
	}
	b, err := json.Marshal(patch)
	if err != nil {
		return nil, fmt.Errorf("build merge patch: %w", err)
	}
	return b, nil
}

// replacing is the merge-patch value that replaces old with nv. A merge patch merges objects
// key by key, so a map value (bpfLogFilters, bpfConntrackTimeouts) must also null each old
// key the new map lacks, or the result would be the union of both.
func replacing(old, nv any) any {
	om, ok1 := old.(map[string]any)
	nm, ok2 := nv.(map[string]any)
	if !ok1 || !ok2 {
		return nv
	}
	out := map[string]any{}
	for k := range om {
		out[k] = nil
	}
	for k, v := range nm {
		out[k] = v
	}
	return out
}

// NewObject is the body that creates FelixConfiguration name with the changes, for when it
// does not exist yet.
func NewObject(apiVersion, name string, changes []Change) map[string]any {
	spec := map[string]any{}
	annotations := map[string]any{}
	for _, c := range changes {
		switch {
		case c.spec != "" && c.NewSet:
			spec[c.spec] = c.New
		case c.annotation != "" && c.NewSet:
			annotations[c.annotation] = c.New
		}
	}
	meta := map[string]any{"name": name}
	if len(annotations) > 0 {
		meta["annotations"] = annotations
	}
	return map[string]any{"apiVersion": apiVersion, "kind": "FelixConfiguration", "metadata": meta, "spec": spec}
}

// FormatDiff renders changes one per line, "  field: old → new", where an unset side shows
// the default that applies: "(unset, default Tunnel)".
func FormatDiff(changes []Change) string {
	var b strings.Builder
	for _, c := range changes {
		fmt.Fprintf(&b, "  %s: %s → %s\n", c.Name, side(c.Old, c.OldSet, c.Default), side(c.New, c.NewSet, c.Default))
	}
	return b.String()
}

func side(v any, set bool, def string) string {
	if !set {
		if def == "" || def == "-" {
			return "(unset)"
		}
		return "(unset, default " + def + ")"
	}
	s := Display(v)
	if s == "" && def != "" && def != "-" {
		return `"" (default ` + def + ")"
	}
	if s == "" {
		return `""`
	}
	return s
}
