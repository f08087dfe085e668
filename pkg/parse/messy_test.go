package parse

import (
	"errors"
	"strings"
	"testing"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/model"
)

// messyRoutes is a routes dump the way people paste it: a prompt, kubectl's
// notice, log lines of all three formats, indentation, CRLF line ends,
// trailing spaces, grep separators and an elision.
const messyRoutes = "user@host:~$ kubectl exec -n calico-system calico-node-x -- calico-node -bpf routes dump\r\n" +
	"Defaulted container \"calico-node\" out of: calico-node, flexvol-driver (init), install-cni (init)\r\n" +
	"W1126 10:30:49.336727   18620 feature_gate.go:241] Setting GA feature gate ServiceInternalTrafficPolicy=true. It will be removed in a future release.\r\n" +
	"2026-11-26 10:34:29.794 [INFO][23526] confd/maps.go 308: Loaded map file descriptor. fd=0x6 name=\"/sys/fs/bpf/tc/globals/cali_v4_routes\"\r\n" +
	"time=\"2026-11-26T10:34:48Z\" level=info msg=\"Loaded map file descriptor.\" fd=3 name=/sys/fs/bpf/tc/globals/cali_v4_routes\r\n" +
	"        10.65.0.0/16: remote in-pool nat-out   \r\n" +
	"--\r\n" +
	"\t   10.65.0.5/32: local workload in-pool nat-out idx 12\r\n" +
	"    ...\r\n" +
	"\r\n" +
	"# saved from node-1\r\n" +
	"[root@node-1 ~]# exit\r\n" +
	"    192.168.1.12/32: remote host\r\n"

func TestMessyPaste(t *testing.T) {
	rows, rep, err := decodeString(t, Routes, messyRoutes, Options{})
	if err != nil {
		t.Fatal(err)
	}
	checkRows(t, rows, []model.Route{
		{Dest: cidr("10.65.0.0/16"), Flags: model.RouteInPool | model.RouteNATOut},
		{Dest: cidr("10.65.0.5/32"), Flags: model.RouteLocal | model.RouteWorkload | model.RouteInPool | model.RouteNATOut, IfIndex: 12},
		{Dest: cidr("192.168.1.12/32"), Flags: model.RouteHost},
	})
	if len(rep.Warnings) != 0 || rep.Skipped != 9 || rep.Lines != 13 {
		t.Errorf("report %+v, want no warnings, 9 skipped of 13 lines", rep)
	}
}

func TestMessyNATWithCRLFAndTabsAsSpaces(t *testing.T) {
	input := "10.96.0.10 port 53 proto 17 id 1 count 2 local 1\r\n" +
		"        1:0          10.65.0.20:53\r\n" +
		"  1:1 10.65.1.21:53   \r\n"
	rows := mustDecode(t, NAT, input)
	if len(rows) != 1 || len(rows[0].Backends) != 2 || rows[0].Backends[1].Addr != ip("10.65.1.21") {
		t.Errorf("rows %+v", rows)
	}
}

func TestUnknownLinesAreWarningsWithLineNumbers(t *testing.T) {
	input := "10.0.0.0/8: remote\nthis is not a route\n10.1.0.0/16: local host\n"
	rows, rep, err := decodeString(t, Routes, input, Options{})
	if err != nil || len(rows) != 2 {
		t.Fatalf("rows %d err %v", len(rows), err)
	}
	if len(rep.Warnings) != 1 || rep.Warnings[0].Line != 2 || rep.Warnings[0].Text != "this is not a route" {
		t.Errorf("warnings %+v", rep.Warnings)
	}
}

func TestWarningsAreBounded(t *testing.T) {
	input := strings.Repeat("junk\n", 50)
	_, rep, err := decodeString(t, Routes, input, Options{MaxWarnings: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Warnings) != 10 || rep.WarningsDropped != 40 {
		t.Errorf("kept %d warnings, dropped %d", len(rep.Warnings), rep.WarningsDropped)
	}
}

func TestTruncatedInput(t *testing.T) {
	t.Run("text", func(t *testing.T) {
		rows, rep, err := decodeString(t, Routes, "10.0.0.0/8: remote\n10.65.0.5/32: local workload idx 1", Options{})
		if err != nil {
			t.Fatal(err)
		}
		// The cut line could read "idx 1" for "idx 12": it is reported, not decoded.
		if len(rows) != 1 || !rep.Truncated || len(rep.Warnings) != 1 || rep.Warnings[0].Line != 2 {
			t.Errorf("rows %v report %+v", rows, rep)
		}
	})
	t.Run("conntrack mid-entry", func(t *testing.T) {
		line := "ConntrackKey{proto=6 10.65.0.5:51000 <-> 10.96.0.1:443} -> Entry{Type:1, Created:1, LastSeen:2, Flags: <none> REVKey: ConntrackKey{proto=6 10.65.0.5:51000 <-> 192.168.1.10:6443} NATSPort: 0} Age: 1m4s Active ago 4s\n"
		rows, rep, err := decodeString(t, Conntrack, line+line[:120], Options{})
		if err != nil || len(rows) != 1 || !rep.Truncated {
			t.Errorf("rows %d report %+v err %v", len(rows), rep, err)
		}
	})
	t.Run("json", func(t *testing.T) {
		rows, rep, err := decodeString(t, Routes, `[{"dest":"10.0.0.0/8","flags":["remote"]},{"dest":"10.`, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 1 || !rep.Truncated || len(rep.Warnings) != 1 || rep.Format != FormatJSON {
			t.Errorf("rows %v report %+v", rows, rep)
		}
	})
	t.Run("a paste ending at the next prompt is not cut", func(t *testing.T) {
		rows, rep, err := decodeString(t, Routes, "10.0.0.0/8: remote\nuser@host:~$ ", Options{})
		if err != nil || len(rows) != 1 || rep.Truncated || len(rep.Warnings) != 0 || rep.Skipped != 1 {
			t.Errorf("rows %v report %+v err %v", rows, rep, err)
		}
	})
	t.Run("an error message without a newline", func(t *testing.T) {
		_, _, err := decodeString(t, Routes, "10.0.0.0/8: remote\ncommand terminated with exit code 1", Options{})
		if !errors.Is(err, ErrToolError) {
			t.Errorf("err %v", err)
		}
	})
	t.Run("long line", func(t *testing.T) {
		input := "10.0.0.0/8: remote\n" + strings.Repeat("x", 300) + "\n10.1.0.0/16: remote\n"
		rows, rep, err := decodeString(t, Routes, input, Options{MaxLineBytes: 100})
		if err != nil || len(rows) != 2 || len(rep.Warnings) != 1 || rep.Warnings[0].Line != 2 {
			t.Errorf("rows %d report %+v err %v", len(rows), rep, err)
		}
	})
}

func TestToolErrorsAreErrors(t *testing.T) {
	tests := []struct {
		name  string
		kind  Kind
		input string
		quote string
	}{
		{"cobra flag error", KindConntrack, "Error: unknown flag: --bogus\n", "Error: unknown flag: --bogus"},
		{"cobra usage on stdout", KindConntrack, "Usage:\n  calico-bpf conntrack dump [--ver=<version>] [--raw] [flags]\n\nFlags:\n", "Usage: calico-bpf conntrack dump [--ver=<version>] [--raw] [flags]"},
		{"help text of a missing subcommand", KindNATAffinity, "nat manipulates network address translation (nat)\n\nUsage:\n  calico-bpf nat [command]\n", "Usage: calico-bpf nat [command]"},
		{"calico error log", KindRoutes, "2026-11-26 10:20:19.754 [ERROR][31632] node/routes.go 48: Failed to dump routes map. error=failed to open map\n", "Failed to dump routes map"},
		{"calico fatal log", KindConntrack, "2026-11-26 10:20:19.856 [FATAL][31650] node/conntrack.go 118: Failed to get ConntrackMap error=failed to access conntrack Map\n", "Failed to get ConntrackMap"},
		{"logrus error", KindIPSets, "time=\"2026-11-26T10:20:14Z\" level=error msg=\"Failed to dump IP sets map.\"\n", "level=error"},
		{"go flag error", KindRoutes, "flag provided but not defined: -6\n", "flag provided but not defined: -6"},
		{"after data", KindRoutes, "10.0.0.0/8: remote\ncommand terminated with exit code 1\n", "command terminated"},
		{"json asked, flag unknown", KindRoutes, "Error: unknown shorthand flag: 'j' in -j\nUsage:\n", "unknown shorthand flag"},
		{"after json", KindRoutes, "[]\ncommand terminated with exit code 137\n", "exit code 137"},
		{"tc", KindQdisc, "Cannot find device \"eth9\"\n", "Cannot find device"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode(tt.kind, strings.NewReader(tt.input), Options{}, func(any) error { return nil })
			var te *ToolError
			if !errors.Is(err, ErrToolError) || !errors.As(err, &te) || !strings.Contains(te.Text, tt.quote) {
				t.Fatalf("got %v, want a ToolError quoting %q", err, tt.quote)
			}
			if !strings.HasPrefix(err.Error(), "parse "+tt.kind.String()+": ") {
				t.Errorf("error %q does not name the operation", err)
			}
		})
	}
}

func TestStderrFailure(t *testing.T) {
	tests := []struct {
		name   string
		stderr string
		fails  bool
	}{
		{"empty", "", false},
		{"map loaded, calico format", "2026-11-26 10:34:48.806 [INFO][23802] confd/maps.go 308: Loaded map file descriptor. fd=0x6 name=\"/sys/fs/bpf/tc/globals/cali_v4_ct2\"\n", false},
		{"map loaded, logrus", "time=\"2026-11-26T10:34:48Z\" level=info msg=\"Loaded map file descriptor.\" fd=3\n", false},
		{"klog feature gate", "W1126 10:30:49.336727   18620 feature_gate.go:241] Setting GA feature gate ServiceInternalTrafficPolicy=true.\n", false},
		{"warning", "2026-11-26 10:34:48.806 [WARNING][1] node/x.go 1: Failed to increase RLIMIT_MEMLOCK\n", false},
		{"unrecognised text", "some text nobody expected\n", false},
		{"error log", "2026-11-26 10:20:19.991 [ERROR][31667] node/arp.go 41: Failed to dump the arp table.\n", true},
		{"fatal log", "2026-11-26 10:20:19.856 [FATAL][31650] node/conntrack.go 118: Failed to get ConntrackMap\n", true},
		{"logrus error", "time=\"x\" level=error msg=\"error loading rule counters map.\"\n", true},
		{"logrus fatal", "time=\"x\" level=fatal msg=\"boom\"\n", true},
		{"cobra", "Error: unknown flag: --bogus\n", true},
		{"cobra unknown command", "Error: unknown command \"nope\" for \"calico-bpf\"\n", true},
		{"calico-node flags", "flag provided but not defined: -6\nUsage of Calico:\n", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := StderrFailure([]byte(tt.stderr))
			if (err != nil) != tt.fails {
				t.Fatalf("StderrFailure = %v, want failure %v", err, tt.fails)
			}
			if err != nil && !errors.Is(err, ErrToolError) {
				t.Errorf("%v does not match ErrToolError", err)
			}
		})
	}
}

func TestDetectFormat(t *testing.T) {
	for in, want := range map[string]Format{
		"[\n  {":               FormatJSON,
		"  \n\t{\"interface\"": FormatJSON,
		"null\n":               FormatJSON,
		"[]":                   FormatJSON,
		"[{\"dest\":1}]":       FormatJSON,
		"   10.65.0.0/16: r":   FormatText,
		"[000] .Ns1 123.4: ":   FormatText,
		"IP set 0x1":           FormatText,
		"":                     FormatText,
		"[root@node ~]# tc":    FormatText,
	} {
		if got := DetectFormat([]byte(in)); got != want {
			t.Errorf("DetectFormat(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestForcedJSONOnTextFallsBackWithAWarning(t *testing.T) {
	// nat aff -j on v3.31.5–v3.31.6 and v3.32.0 silently prints text.
	rows, rep, err := decodeString(t, NATAffinity, "client 10.65.0.5 svc proto 6 10.96.45.12:80 -> 10.65.1.30:8080 ts 1s\n", Options{Format: FormatJSON})
	if err != nil || len(rows) != 1 || len(rep.Warnings) != 1 || rep.Format != FormatText {
		t.Errorf("rows %d report %+v err %v", len(rows), rep, err)
	}
}

func TestCallbackErrorStopsDecoding(t *testing.T) {
	stop := errors.New("enough")
	n := 0
	_, err := Routes(strings.NewReader("10.0.0.0/8: remote\n10.1.0.0/16: remote\n"), Options{}, func(model.Route) error {
		n++
		return stop
	})
	if !errors.Is(err, stop) || n != 1 {
		t.Errorf("err %v after %d rows", err, n)
	}
}
