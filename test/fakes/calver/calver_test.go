package calver

import "testing"

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Version
	}{
		{"v3.29.7", Version{3, 29, 7, ""}},
		{"3.32.1", Version{3, 32, 1, ""}},
		{"v3.29", Version{3, 29, 0, ""}},
		{"v3.33.0-0.dev", Version{3, 33, 0, "0.dev"}},
		{"v3.31.5+build.7", Version{3, 31, 5, ""}},
	} {
		got, err := Parse(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("Parse(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "v3", "latest", "v3.x.1", "v3.29.7.1", "v3.029.1", "v-3.1.1"} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) succeeded, want error", bad)
		}
	}
}

func TestCompareIsNumericAndSemver(t *testing.T) {
	ordered := []string{"v3.9.0", "v3.22.5", "v3.29.7", "v3.31.4", "v3.31.5", "v3.31.10",
		"v3.32.0", "v3.33.0-0.dev", "v3.33.0-0.dev.1", "v3.33.0-1", "v3.33.0-beta", "v3.33.0"}
	for i := range ordered {
		for j := range ordered {
			a, b := MustParse(ordered[i]), MustParse(ordered[j])
			want := cmpInt(i, j)
			if got := a.Compare(b); got != want {
				t.Errorf("%s.Compare(%s) = %d, want %d", a, b, got, want)
			}
		}
	}
}

func TestAtLeastIgnoresPreRelease(t *testing.T) {
	dev := MustParse("v3.33.0-0.dev")
	if !dev.AtLeast(MustParse("v3.33.0")) {
		t.Error("a v3.33 dev build must have v3.33 features")
	}
	if MustParse("v3.31.4").AtLeast(MustParse("v3.31.5")) {
		t.Error("v3.31.4 must not reach v3.31.5")
	}
	if !MustParse("v3.32.0").AtLeast(MustParse("v3.31.5")) {
		t.Error("v3.32.0 must reach v3.31.5")
	}
	if !MustParse("v3.30.9").In(MustParse("v3.16.0"), MustParse("v3.31.0")) || MustParse("v3.31.0").In(MustParse("v3.16.0"), MustParse("v3.31.0")) {
		t.Error("In must be half-open")
	}
}
