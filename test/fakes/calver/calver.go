// Package calver parses and compares Calico release versions ("v3.29.7").
//
// The fakes gate behaviour on exact patch releases (for example -j/--json
// appears in v3.31.5), so comparisons must be numeric per component, never
// lexical.
package calver

import (
	"fmt"
	"strconv"
	"strings"
)

// Version is a Calico release version: vMAJOR.MINOR.PATCH[-PRE].
type Version struct {
	Major, Minor, Patch int
	// Pre is the semver pre-release part without its dash, e.g. "0.dev" for
	// the development tag v3.33.0-0.dev.
	Pre string
}

// Parse accepts "v3.29.7", "3.29.7", "v3.29" (patch 0) and pre-release
// forms such as "v3.33.0-0.dev". Build metadata ("+…") is ignored.
func Parse(s string) (Version, error) {
	text := strings.TrimPrefix(strings.TrimSpace(s), "v")
	text, _, _ = strings.Cut(text, "+")
	core, pre, _ := strings.Cut(text, "-")
	parts := strings.Split(core, ".")
	if len(parts) < 2 || len(parts) > 3 {
		return Version{}, fmt.Errorf("parse Calico version %q: want vMAJOR.MINOR.PATCH", s)
	}
	nums := [3]int{}
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || p == "" || (len(p) > 1 && p[0] == '0') {
			return Version{}, fmt.Errorf("parse Calico version %q: bad component %q", s, p)
		}
		nums[i] = n
	}
	return Version{Major: nums[0], Minor: nums[1], Patch: nums[2], Pre: pre}, nil
}

// MustParse is Parse for version literals in code; it panics on a typo.
func MustParse(s string) Version {
	v, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return v
}

func (v Version) String() string {
	s := fmt.Sprintf("v%d.%d.%d", v.Major, v.Minor, v.Patch)
	if v.Pre != "" {
		s += "-" + v.Pre
	}
	return s
}

// Compare orders versions by semver precedence, including pre-release
// (v3.33.0-0.dev < v3.33.0). It returns -1, 0 or +1.
func (v Version) Compare(o Version) int {
	if c := v.compareCore(o); c != 0 {
		return c
	}
	return comparePre(v.Pre, o.Pre)
}

func (v Version) compareCore(o Version) int {
	for _, d := range [3]int{v.Major - o.Major, v.Minor - o.Minor, v.Patch - o.Patch} {
		if d != 0 {
			if d < 0 {
				return -1
			}
			return 1
		}
	}
	return 0
}

// AtLeast reports whether v's release core (major.minor.patch) is at least
// min's. Pre-release parts are ignored on purpose: Calico's development tags
// (v3.33.0-0.dev) already carry the features of the release they lead to, so
// a feature "from v3.33" must be present in them.
func (v Version) AtLeast(min Version) bool { return v.compareCore(min) >= 0 }

// In reports whether from ≤ v < to on release cores. A zero "to" means no
// upper bound.
func (v Version) In(from, to Version) bool {
	return v.AtLeast(from) && (to == Version{} || !v.AtLeast(to))
}

// comparePre implements semver §11 for pre-release identifiers: a release
// sorts after its pre-releases; identifiers compare numerically when both
// are numeric, else lexically; numeric ones sort first.
func comparePre(a, b string) int {
	switch {
	case a == b:
		return 0
	case a == "":
		return 1
	case b == "":
		return -1
	}
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(as) && i < len(bs); i++ {
		if c := compareIdent(as[i], bs[i]); c != 0 {
			return c
		}
	}
	switch {
	case len(as) < len(bs):
		return -1
	case len(as) > len(bs):
		return 1
	}
	return 0
}

func compareIdent(a, b string) int {
	an, aErr := strconv.Atoi(a)
	bn, bErr := strconv.Atoi(b)
	switch {
	case aErr == nil && bErr == nil:
		return cmpInt(an, bn)
	case aErr == nil:
		return -1
	case bErr == nil:
		return 1
	}
	return strings.Compare(a, b)
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
