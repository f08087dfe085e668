package render

import "testing"

func TestIPRewriteBoundaries(t *testing.T) {
	r, err := newIPRewriter(map[string]string{
		"10.65.0.5":        "10.244.1.7",
		"192.168.1.12":     "172.18.0.3",
		"fd00:10:65::5":    "fd00:10:244::7",
		"fd00:10:65:0::50": "fd00:10:244::50", // non-canonical key: matched as Calico prints it
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ in, want string }{
		{"10.65.0.5", "10.244.1.7"},
		{"10.65.0.50 110.65.0.5 10.65.0.5.1 1.10.65.0.5", "10.65.0.50 110.65.0.5 10.65.0.5.1 1.10.65.0.5"},
		{"UDP 10.65.0.5:5353 -> 10.65.2.9:5353", "UDP 10.244.1.7:5353 -> 10.65.2.9:5353"},
		{"   10.65.0.5/32: local workload", "   10.244.1.7/32: local workload"},
		{`"src": "10.65.0.5:5353", "addr": "10.65.0.5"`, `"src": "10.244.1.7:5353", "addr": "10.244.1.7"`},
		{"OrigDst:10.65.0.5 TunIP:192.168.1.12}}", "OrigDst:10.244.1.7 TunIP:172.18.0.3}}"},
		{"ClientIP:10.65.0.5 Addr:192.168.1.12", "ClientIP:10.244.1.7 Addr:172.18.0.3"},
		{"forwarded to/from 192.168.1.12  Active", "forwarded to/from 172.18.0.3  Active"},
		{"ends with 10.65.0.5.", "ends with 10.244.1.7."},
		{"::ffff:10.65.0.5 abc10.65.0.5", "::ffff:10.65.0.5 abc10.65.0.5"},
		{"TCP fd00:10:65::5:43210 -> fd00:10:96::1:443", "TCP fd00:10:244::7:43210 -> fd00:10:96::1:443"},
		{"\t101:0\t [fd00:10:65::5]:53", "\t101:0\t [fd00:10:244::7]:53"},
		{"fd00:10:65::5/128: local", "fd00:10:244::7/128: local"},
		{"fd00:10:65::50/128 fd00:10:65::5:1/128 afd00:10:65::5", "fd00:10:244::50/128 fd00:10:65::5:1/128 afd00:10:65::5"},
		{"fd00:10:65::5:1:8080 1:fd00:10:65::5", "fd00:10:65::5:1:8080 1:fd00:10:65::5"},
	} {
		if got := string(r.Rewrite([]byte(tc.in))); got != tc.want {
			t.Errorf("Rewrite(%q)\n got %q\nwant %q", tc.in, got, tc.want)
		}
	}
}

func TestIPRewriteSwapsInOnePass(t *testing.T) {
	r, err := newIPRewriter(map[string]string{"10.0.0.1": "10.0.0.2", "10.0.0.2": "10.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	if got := string(r.Rewrite([]byte("10.0.0.1 -> 10.0.0.2"))); got != "10.0.0.2 -> 10.0.0.1" {
		t.Errorf("swap: %q", got)
	}
}

func TestIPMapValidation(t *testing.T) {
	for _, bad := range []map[string]string{
		{"10.0.0.1": "fd00::1"},
		{"10.0.0.1": "not-an-ip"},
		{"10.0.0": "10.0.0.1"},
		{"fd00:0::1": "fd00::2", "fd00::1": "fd00::3"},
	} {
		if _, err := newIPRewriter(bad); err == nil {
			t.Errorf("%v: want error", bad)
		}
	}
}
