package felixconfig

import (
	"fmt"
	"sort"
	"strings"
)

// normalize folds the spellings users know a field by onto one key: the JSON name
// (bpfExternalServiceMode), Felix's parameter (BPFExternalServiceMode) and its environment
// variable (FELIX_BPFEXTERNALSERVICEMODE).
func normalize(name string) string {
	n := strings.ToLower(strings.TrimSpace(name))
	n = strings.TrimPrefix(n, "felix_")
	n = strings.TrimPrefix(n, "spec.")
	return strings.NewReplacer("_", "", "-", "").Replace(n)
}

// UnknownFieldError is a name that is no bpf* field; Suggestions are the closest ones.
type UnknownFieldError struct {
	Name        string
	Suggestions []string
}

func (e *UnknownFieldError) Error() string {
	msg := fmt.Sprintf("unknown FelixConfiguration field %q", e.Name)
	if len(e.Suggestions) > 0 {
		msg += "; did you mean " + strings.Join(e.Suggestions, ", ") + "?"
	}
	return msg + " (`config get` lists every bpf* field)"
}

// Lookup finds a field by any of its names, ignoring case.
func Lookup(name string) (Field, error) {
	key := normalize(name)
	for _, f := range Fields {
		if normalize(f.Name) == key {
			return f, nil
		}
		for _, a := range f.Aliases {
			if normalize(a) == key {
				return f, nil
			}
		}
	}
	return Field{}, &UnknownFieldError{Name: name, Suggestions: suggest(key)}
}

// suggest returns up to four field names close to key: those containing it or contained in
// it, then those within a few edits.
func suggest(key string) []string {
	type cand struct {
		name string
		dist int
	}
	var cands []cand
	limit := max(2, len(key)/4)
	for _, f := range Fields {
		n := normalize(f.Name)
		d := editDistance(key, n)
		if len(key) >= 4 && (strings.Contains(n, key) || strings.Contains(key, n)) {
			d = min(d, 1)
		}
		if d <= limit {
			cands = append(cands, cand{f.Name, d})
		}
	}
	sort.SliceStable(cands, func(i, j int) bool { return cands[i].dist < cands[j].dist })
	var out []string
	for i := 0; i < len(cands) && i < 4; i++ {
		out = append(out, cands[i].name)
	}
	return out
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
