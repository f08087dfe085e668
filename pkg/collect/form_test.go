package collect

import (
	"testing"

	"k8s.io/apimachinery/pkg/util/version"
)

func TestFormFor(t *testing.T) {
	cases := []struct {
		version string
		want    string
		ipv6    bool
	}{
		{"v3.16.0", "none", false},
		{"v3.18.0", "calico-node -bpf (text)", false},
		{"v3.22.5", "calico-node -bpf (text)", false},
		{"v3.27.0", "calico-node -bpf (text)", true},
		{"v3.29.7", "calico-node -bpf (text)", true},
		{"v3.31.4", "calico-node -bpf (text)", true},
		{"v3.31.5", "calico-node -bpf (json)", true},
		{"v3.32.0", "calico-node -bpf (json)", true},
		{"v3.32.1", "calico-node -bpf (json)", true},
		{"v3.33.0", "calico component node bpf (json)", true},
		{"v3.34.2", "calico component node bpf (json)", true},
	}
	for _, c := range cases {
		f := FormFor(version.MustParseGeneric(c.version))
		if f.String() != c.want || f.IPv6 != c.ipv6 {
			t.Errorf("FormFor(%s) = %s ipv6=%v, want %s ipv6=%v", c.version, f, f.IPv6, c.want, c.ipv6)
		}
	}
	if got := FormFor(nil).String(); got != "calico-node -bpf (text)" {
		t.Errorf("FormFor(nil) = %s", got)
	}
}
