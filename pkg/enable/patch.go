package enable

import (
	"encoding/json"
	"fmt"
	"reflect"
)

// Patches here are JSON merge patches (RFC 7386) held as Go values: map[string]any for
// objects, nil for "remove this key", anything else replaces the value whole (lists too).

// normalize turns a value into what encoding/json decodes it to (float64 numbers,
// map[string]any, []any), so that values from Go literals and from the API compare equal.
func normalize(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		return v
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		return v
	}
	return out
}

// PatchSatisfied reports whether applying patch to current would change nothing: every nil in
// the patch is a key current lacks, every object recurses, every other value is equal.
func PatchSatisfied(current map[string]any, patch map[string]any) bool {
	for k, pv := range patch {
		cv, has := current[k]
		switch p := pv.(type) {
		case nil:
			if has {
				return false
			}
		case map[string]any:
			cm, isMap := cv.(map[string]any)
			if has && !isMap && cv != nil {
				return false
			}
			if !PatchSatisfied(cm, p) {
				return false
			}
		default:
			if !has || !reflect.DeepEqual(normalize(cv), normalize(pv)) {
				return false
			}
		}
	}
	return true
}

// Undo returns the merge patch that puts back, on the object patch is applied to, the current
// values of every field the patch changes: the value itself, or nil where the field is absent.
// A field that already has the patched value is left out: the patch does not change it, so
// restoring it would only re-assert the patched value (a cluster already on BPF would be put
// back on BPF).
func Undo(current map[string]any, patch map[string]any) map[string]any {
	out := map[string]any{}
	for k, pv := range patch {
		cv, has := current[k]
		if !has || cv == nil {
			if pv != nil {
				out[k] = nil
			}
			continue
		}
		pm, pIsMap := pv.(map[string]any)
		cm, cIsMap := cv.(map[string]any)
		if pIsMap && cIsMap {
			if sub := Undo(cm, pm); len(sub) > 0 {
				out[k] = sub
			}
			continue
		}
		if pv != nil && reflect.DeepEqual(normalize(cv), normalize(pv)) {
			continue
		}
		out[k] = normalize(cv)
	}
	return out
}

// MergeUndo combines the undo recorded by an earlier, interrupted run (older) with the undo of
// this run's change (newer). Where both restore a field, the older value wins: it is the value
// from before the first run.
func MergeUndo(older, newer map[string]any) map[string]any {
	// The older undo applied after the newer one: where both set a field, older's stays.
	return Merge(newer, older)
}

// Merge returns a merge patch that has the effect of a followed by b.
func Merge(a, b map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range a {
		out[k] = v
	}
	for k, bv := range b {
		am, aIsMap := out[k].(map[string]any)
		bm, bIsMap := bv.(map[string]any)
		if aIsMap && bIsMap {
			out[k] = Merge(am, bm)
			continue
		}
		out[k] = bv
	}
	return out
}

// Split divides a patch at the given paths: in holds the fields at (or below) the paths,
// out the rest. Empty objects are dropped from both.
func Split(patch map[string]any, paths ...[]string) (in, out map[string]any) {
	in, out = map[string]any{}, map[string]any{}
	for k, v := range patch {
		var sub [][]string
		whole := false
		for _, p := range paths {
			if len(p) == 0 || p[0] != k {
				continue
			}
			if len(p) == 1 {
				whole = true
			}
			sub = append(sub, p[1:])
		}
		vm, isMap := v.(map[string]any)
		switch {
		case whole:
			in[k] = v
		case len(sub) > 0 && isMap:
			i, o := Split(vm, sub...)
			if len(i) > 0 {
				in[k] = i
			}
			if len(o) > 0 {
				out[k] = o
			}
		default:
			out[k] = v
		}
	}
	return in, out
}

// Apply applies a merge patch to a copy of obj (RFC 7386), for previews and tests.
func Apply(obj, patch map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range obj {
		out[k] = v
	}
	for k, pv := range patch {
		switch p := pv.(type) {
		case nil:
			delete(out, k)
		case map[string]any:
			cur, _ := out[k].(map[string]any)
			out[k] = Apply(cur, p)
		default:
			out[k] = normalize(pv)
		}
	}
	return out
}

// encodeUndo and decodeUndo keep an undo patch in an annotation.
func encodeUndo(u map[string]any) (string, error) {
	b, err := json.Marshal(u)
	if err != nil {
		return "", fmt.Errorf("encode restore record: %w", err)
	}
	return string(b), nil
}

func decodeUndo(s string) (map[string]any, error) {
	if s == "" {
		return nil, nil
	}
	var u map[string]any
	if err := json.Unmarshal([]byte(s), &u); err != nil {
		return nil, fmt.Errorf("read restore record %q: %w", s, err)
	}
	return u, nil
}
