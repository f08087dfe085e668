package collect

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/version"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/parse"
)

func TestArgvPerVersion(t *testing.T) {
	cases := []struct {
		version string
		req     Request
		want    string // "" with wantErr
		wantErr string
		json    bool
	}{
		{"v3.22.5", Request{Kind: parse.KindRoutes}, "calico-node -bpf routes dump", "", false},
		{"v3.22.5", Request{Kind: parse.KindConntrack, Raw: true}, "calico-node -bpf conntrack dump", "", false},
		{"v3.29.7", Request{Kind: parse.KindConntrack, Raw: true}, "calico-node -bpf conntrack dump --raw", "", false},
		{"v3.29.7", Request{Kind: parse.KindNAT, IPv6: true}, "calico-node -bpf nat dump -6", "", false},
		{"v3.32.1", Request{Kind: parse.KindNAT, IPv6: true}, "calico-node -bpf nat dump -6 --json", "", true},
		{"v3.31.5", Request{Kind: parse.KindNATAffinity}, "calico-node -bpf nat aff", "", false},
		{"v3.31.7", Request{Kind: parse.KindNATAffinity}, "calico-node -bpf nat aff --json", "", true},
		{"v3.33.0", Request{Kind: parse.KindIPSets}, "calico component node bpf ipsets dump --json", "", true},
		{"v3.33.0", Request{Kind: parse.KindQdisc}, "tc -s qdisc show", "", false},
		{"v3.22.5", Request{Kind: parse.KindIfState}, "", "needs Calico v3.24.0 or later", false},
		{"v3.26.5", Request{Kind: parse.KindRoutes, IPv6: true}, "", "no IPv6 dumps before Calico v3.27", false},
		{"v3.16.0", Request{Kind: parse.KindRoutes}, "", "felix image", false},
		{"v3.29.7", Request{Kind: parse.KindConntrackStats}, "", "v3.30.0", false},
	}
	for _, c := range cases {
		argv, format, err := Argv(FormFor(version.MustParseGeneric(c.version)), c.req)
		if c.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("%s %v: err %v, want %q", c.version, c.req, err, c.wantErr)
			}
			continue
		}
		if err != nil || strings.Join(argv, " ") != c.want || (format == parse.FormatJSON) != c.json {
			t.Errorf("%s %v: %q %v %v, want %q json=%v", c.version, c.req, strings.Join(argv, " "), format, err, c.want, c.json)
		}
	}
}
