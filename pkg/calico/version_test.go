package calico

import "testing"

func TestImageTag(t *testing.T) {
	cases := map[string]string{
		"quay.io/calico/node:v3.29.7":                   "v3.29.7",
		"registry:5000/calico/node:v3.32.1":             "v3.32.1",
		"registry:5000/calico/node":                     "",
		"calico/node:v3.22.5@sha256:0123456789abcdef":   "v3.22.5",
		"docker.io/calico/node@sha256:0123456789abcdef": "",
		"calico/node": "",
		"":            "",
	}
	for image, want := range cases {
		if got := ImageTag(image); got != want {
			t.Errorf("ImageTag(%q) = %q, want %q", image, got, want)
		}
	}
}

func TestParseVersion(t *testing.T) {
	for _, s := range []string{"v3.29.7", "3.32.1", "v3.33.0-0.dev"} {
		if ParseVersion(s) == nil {
			t.Errorf("ParseVersion(%q) = nil, want a version", s)
		}
	}
	for _, s := range []string{"", "latest", "master"} {
		if v := ParseVersion(s); v != nil {
			t.Errorf("ParseVersion(%q) = %v, want nil", s, v)
		}
	}
	if v := ParseVersion("v3.31.5"); v.Minor() != 31 || v.Patch() != 5 {
		t.Errorf("ParseVersion(v3.31.5) = %v", v)
	}
}
