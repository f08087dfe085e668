package cmd

import (
	"strings"
	"testing"
)

func TestConntrackUsageThresholds(t *testing.T) {
	for _, c := range []struct {
		entries uint64
		want    string
	}{
		{1000, "ok"},
		{435200, "over 85%"}, // 85 % of 512000
		{460800, "over 90%"},
	} {
		u := conntrackUsage(c.entries, 512000, "test")
		if !strings.HasPrefix(u.State, c.want) {
			t.Errorf("%d entries: state %q, want %q", c.entries, u.State, c.want)
		}
	}
}

func TestConntrackFilterFlags(t *testing.T) {
	ok := conntrackFlags{Proto: "udp", IP: "10.65.0.5", Port: 53, State: "established"}
	f, err := ok.filter(false)
	if err != nil || !f.HasProto || f.Proto != 17 || !f.IP.IsValid() || f.Port != 53 || !f.HasState {
		t.Fatalf("filter = %+v, %v", f, err)
	}
	for _, bad := range []struct {
		flags conntrackFlags
		live  bool
		want  string
	}{
		{conntrackFlags{Proto: "tcpp"}, true, "unknown protocol"},
		{conntrackFlags{IP: "10.1"}, true, "not an IP address"},
		{conntrackFlags{State: "LISTEN"}, true, "unknown TCP state"},
		{conntrackFlags{Service: "web"}, true, "NAMESPACE/NAME"},
		{conntrackFlags{Pod: "demo/client"}, false, "needs live nodes"},
	} {
		if _, err := bad.flags.filter(bad.live); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%+v: err %v, want %q", bad.flags, err, bad.want)
		}
	}
}

func TestConntrackFilterOffline(t *testing.T) {
	out, errOut, code := runRoot(t, "conntrack", "--input", "../parse/testdata/v3.32.1/conntrack-dump.stdout.txt", "--proto", "udp", "-o", "json")
	if code != 0 || strings.Contains(out, `"TCP"`) || !strings.Contains(out, `"UDP"`) {
		t.Errorf("exit %d, stderr %s\n%s", code, errOut, out)
	}
}
