package felixconfig

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParseAssignment(t *testing.T) {
	cases := []struct {
		arg    string
		field  string
		want   any
		unset  bool
		errHas string
	}{
		{arg: "bpfExternalServiceMode=dsr", field: "bpfExternalServiceMode", want: "DSR"},
		{arg: "FELIX_BPFEXTERNALSERVICEMODE=Tunnel", field: "bpfExternalServiceMode", want: "Tunnel"},
		{arg: "BPFConntrackCleanupMode=userspace", field: "bpfConntrackMode", want: "Userspace"},
		{arg: "bpfMapSizePerCPUConntrack=4096", field: "bpfMapSizePerCpuConntrack", want: int64(4096)},
		{arg: "bpfLogLevel=debug", field: "bpfLogLevel", want: "Debug"},
		{arg: "bpfLogLevel=verbose", errHas: `"verbose" is not one of Off, Info, Debug`},
		{arg: "bpfKubeProxyIptablesCleanupEnabled=false", field: "bpfKubeProxyIptablesCleanupEnabled", want: false},
		{arg: "bpfKubeProxyIptablesCleanupEnabled=maybe", errHas: "not a bool"},
		{arg: "bpfExtToServiceConnmark=0x80", field: "bpfExtToServiceConnmark", want: int64(128)},
		{arg: "bpfExtToServiceConnmark=4294967296", errHas: "out of range 0..4294967295"},
		{arg: "bpfKubeProxyHealthzPort=65536", errHas: "out of range 0..65535"},
		{arg: "bpfMaglevMaxServices=0", errHas: "out of range 1..3000"},
		{arg: "bpfKubeProxyMinSyncPeriod=250ms", field: "bpfKubeProxyMinSyncPeriod", want: "250ms"},
		{arg: "bpfKubeProxyMinSyncPeriod=soon", errHas: "not a duration"},
		{arg: "bpfDataIfacePattern=^(eth|ens).*", field: "bpfDataIfacePattern", want: "^(eth|ens).*"},
		{arg: "bpfDataIfacePattern=^(eth", errHas: "not a regular expression"},
		{arg: "bpfDSROptoutCIDRs=10.0.0.0/8, 192.168.1.1", field: "bpfDSROptoutCIDRs", want: []any{"10.0.0.0/8", "192.168.1.1"}},
		{arg: `bpfDSROptoutCIDRs=["fd00::/8"]`, field: "bpfDSROptoutCIDRs", want: []any{"fd00::/8"}},
		{arg: "bpfDSROptoutCIDRs=10.0.0.0/33", errHas: `"10.0.0.0/33" is not a CIDR`},
		{arg: "bpfForceTrackPacketsFromIfaces=docker+,br-+", field: "bpfForceTrackPacketsFromIfaces", want: []any{"docker+", "br-+"}},
		{arg: "bpfPSNATPorts=30000:39999", field: "bpfPSNATPorts", want: "30000:39999"},
		{arg: "bpfPSNATPorts=39999:30000", errHas: "MIN ≤ MAX"},
		{arg: "bpfLogFilters=eth0=host 10.0.0.1,all=", field: "bpfLogFilters", want: map[string]any{"eth0": "host 10.0.0.1", "all": ""}},
		{arg: `bpfLogFilters={"weps":"tcp port 80, or udp"}`, field: "bpfLogFilters", want: map[string]any{"weps": "tcp port 80, or udp"}},
		{arg: "bpfLogFilters=this interface name is far too long=x", errHas: "is not an interface name"},
		{arg: "bpfConntrackTimeouts=TCPEstablished=2h,tcpFinsSeen=auto", field: "bpfConntrackTimeouts", want: map[string]any{"tcpEstablished": "2h", "tcpFinsSeen": "Auto"}},
		{arg: "bpfConntrackTimeouts=tcpForever=1h", errHas: `"tcpForever" is not a conntrack timer`},
		{arg: "bpfExternalServiceMode-", field: "bpfExternalServiceMode", unset: true},
		{arg: "bpfExternalServiceMode", errHas: "want NAME=VALUE, or NAME-"},
		{arg: "bpfExternalServiceMod=DSR", errHas: "did you mean bpfExternalServiceMode"},
	}
	for _, tc := range cases {
		t.Run(tc.arg, func(t *testing.T) {
			a, err := ParseAssignment(tc.arg)
			if tc.errHas != "" {
				if err == nil || !strings.Contains(err.Error(), tc.errHas) {
					t.Fatalf("err = %v, want one containing %q", err, tc.errHas)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if a.Field.Name != tc.field || a.Unset != tc.unset || !reflect.DeepEqual(a.Value, tc.want) {
				t.Fatalf("got %s=%#v unset=%v, want %s=%#v unset=%v", a.Field.Name, a.Value, a.Unset, tc.field, tc.want, tc.unset)
			}
		})
	}
}

func TestUnknownFieldSuggestions(t *testing.T) {
	for name, want := range map[string]string{
		"bpfMapSizeConntrak": "bpfMapSizeConntrack",
		"dsroptout":          "bpfDSROptoutCIDRs",
		"logfilters":         "bpfLogFilters",
		"FELIX_BPFLOGLEVL":   "bpfLogLevel",
	} {
		_, err := Lookup(name)
		var ue *UnknownFieldError
		if !errors.As(err, &ue) {
			t.Fatalf("%s: err = %v, want UnknownFieldError", name, err)
		}
		if len(ue.Suggestions) == 0 || ue.Suggestions[0] != want {
			t.Errorf("%s: suggestions %v, want %s first", name, ue.Suggestions, want)
		}
	}
	_, err := Lookup("ipipEnabled")
	var ue *UnknownFieldError
	if !errors.As(err, &ue) || len(ue.Suggestions) != 0 {
		t.Errorf("ipipEnabled: %v, want no suggestion", err)
	}
}

// TestCatalogue keeps the catalogue consistent: parsable versions, defaults that parse as
// values of the field, unique names.
func TestCatalogue(t *testing.T) {
	seen := map[string]bool{}
	for _, f := range Fields {
		if seen[normalize(f.Name)] {
			t.Errorf("%s twice", f.Name)
		}
		seen[normalize(f.Name)] = true
		if !strings.HasPrefix(f.Name, "bpf") || parse(f.Since) == nil {
			t.Errorf("%s: bad name or since %q", f.Name, f.Since)
		}
		for _, b := range f.Defaults {
			if parse(b.From) == nil {
				t.Errorf("%s: band %q", f.Name, b.From)
			}
			if b.Value == "" {
				continue
			}
			if _, err := f.Parse(b.Value); err != nil {
				t.Errorf("%s: default %q does not parse: %v", f.Name, b.Value, err)
			}
		}
		for v, since := range f.ValueSince {
			if parse(since) == nil || !contains(f.Values, v) {
				t.Errorf("%s: value since %s=%s", f.Name, v, since)
			}
		}
	}
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

func TestEqual(t *testing.T) {
	f, _ := Lookup("bpfMapSizeConntrack")
	if !f.Equal(float64(512000), int64(512000)) || f.Equal(int64(1), int64(2)) {
		t.Error("numbers")
	}
	f, _ = Lookup("bpfExternalServiceMode")
	if !f.Equal("dsr", "DSR") {
		t.Error("enum case")
	}
	f, _ = Lookup("bpfKubeProxyMinSyncPeriod")
	if !f.Equal("1s", "1000ms") || f.Equal("1s", "2s") {
		t.Error("durations")
	}
	f, _ = Lookup("bpfDSROptoutCIDRs")
	if !f.Equal([]any{"10.0.0.0/8"}, []any{"10.0.0.0/8"}) || f.Equal([]any{"10.0.0.0/8"}, nil) {
		t.Error("lists")
	}
}
