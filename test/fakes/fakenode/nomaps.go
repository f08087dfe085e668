package fakenode

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/calico-ebpf/kubectl-calico-ebpf/test/fakes/calicobpf"
	"github.com/calico-ebpf/kubectl-calico-ebpf/test/fakes/calver"
)

// mapFailure is how one dump reports a map it cannot open. Texts, files and
// line numbers are those of v3.32.1 (fixtures v3.32.1-no-maps); older
// releases differ in line numbers and a few map versions only.
type mapFailure struct {
	file    string
	line    int
	message string
	mapName string // IPv4 pin; "v4" becomes "v6" under -6
	// openWrapped: the error reads "failed to open map: stat …".
	openWrapped bool
}

var mapFailures = map[string]mapFailure{
	"routes dump":   {"routes.go", 48, "Failed to dump routes map.", "cali_v4_routes", true},
	"nat dump":      {"nat.go", 73, "Failed to dump NAT maps", "cali_v4_nat_fe3", false},
	"nat aff":       {"nat.go", 196, "Failed to dump NAT affinity map.", "cali_v4_nat_aff", true},
	"nat maglev":    {"nat.go", 252, "Failed to dump maglev map.", "cali_v4_mglv2", true},
	"ipsets dump":   {"ipsets.go", 42, "Failed to dump IP sets map.", "cali_v4_ip_sets", true},
	"arp dump":      {"arp.go", 41, "Failed to dump the arp table.", "cali_v4_arp2", true},
	"ifstate dump":  {"ifstate.go", 38, "Failed to dump interface states map.", "cali_iface4", true},
	"counters dump": {"counters.go", 53, "Failed to open counter map.", "cali_counters6", false},
	"policy dump":   {"policy_debug.go", 75, "error loading rule counters map.", "cali_rule_ctrs2", false},
	"profiling e2e": {"profiling.go", 61, "Failed to open profiling map.", "cali_profiling", true},
}

// noMaps answers a dump as Calico does when its maps are not pinned:
// conntrack is fatal (exit 1), everything else logs an error and exits 0
// with empty stdout (reference §1.5).
func (p *proc) noMaps(v calver.Version, res calicobpf.Result) int {
	cmd := strings.Join(res.Command, " ")
	if cmd == "conntrack dump" || cmd == "conntrack stats" {
		line := 118
		if cmd == "conntrack stats" {
			line = 818
		}
		msg := "Failed to access ConntrackMap"
		if v.AtLeast(calver.MustParse("v3.30.0")) {
			msg = "Failed to get ConntrackMap error=failed to access conntrack Map"
		}
		fmt.Fprintln(p.stderr, logLine(v, "FATAL", "conntrack.go", line, msg))
		return 1
	}
	f, ok := mapFailures[cmd]
	if !ok {
		return 0 // a data command with nothing to say
	}
	pin := f.mapName
	if res.Flags["ipv6"] == "true" {
		pin = strings.Replace(pin, "_v4_", "_v6_", 1)
	}
	err := "stat /sys/fs/bpf/tc/globals/" + pin + ": no such file or directory"
	if f.openWrapped {
		err = "failed to open map: " + err
	}
	fmt.Fprintln(p.stderr, logLine(v, "ERROR", f.file, f.line, f.message+" error="+err))
	return 0
}

// logLine formats a line the way calico-node's logrus formatter does:
// component "confd" up to v3.28 (confd's init installed the formatter),
// "node" from v3.29 (reference §1.4).
func logLine(v calver.Version, level, file string, line int, msg string) string {
	component := "node"
	if !v.AtLeast(calver.MustParse("v3.29.0")) {
		component = "confd"
	}
	return fmt.Sprintf("%s [%s][%d] %s/%s %d: %s",
		time.Now().Format("2006-01-02 15:04:05.000"), level, os.Getpid(), component, file, line, msg)
}
