package render

import (
	"fmt"
	"path"
	"regexp"
	"strconv"
	"strings"

	"github.com/calico-ebpf/kubectl-calico-ebpf/test/fakes/calver"
)

// MapLogs says what Render does with "Loaded map file descriptor." lines,
// which Calico prints on stderr for every map it opens at log level Info.
type MapLogs int

const (
	// MapLogsAuto keeps them where the target release prints them: by
	// default before v3.24 (no --log-level flag, logrus at Info), and in
	// "-loginfo" answers; elsewhere they are dropped.
	MapLogsAuto MapLogs = iota
	MapLogsKeep
	MapLogsDrop
)

// calico-node's formatter: "2026-11-26 10:34:48.806 [INFO][23802] confd/maps.go 308: Loaded map file descriptor. fd=0x6 name=\"/sys/…\""
var calicoMapLine = regexp.MustCompile(`^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}) \[INFO\]\[(\d+)\] \S+ \d+: Loaded map file descriptor\. fd=(0x[0-9a-f]+|\d+) name="?([^"\s]+)"?`)

// standalone calico-bpf's logrus TextFormatter: time="2026-11-26T10:34:48Z" level=info msg="Loaded map file descriptor." fd=3 name=/sys/…
var logrusMapLine = regexp.MustCompile(`^time="(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d)[^"]*" level=info msg="Loaded map file descriptor\." fd=(\d+) name="?([^"\s]+)"?`)

const globalPinDir = "/sys/fs/bpf/tc/globals/"

// mapLogLine re-renders a map-loading line, from either formatter, as the
// target release's calico-node prints it: component confd ≤v3.28 / node
// from v3.29; full pin path ≤v3.25 and from v3.31, bare map name in
// v3.26–v3.30; the fixtures' source line numbers (reference §1.4).
func mapLogLine(line string, target calver.Version) (string, bool) {
	var stamp, pid, fdText, name string
	if m := calicoMapLine.FindStringSubmatch(line); m != nil {
		stamp, pid, fdText, name = m[1], m[2], m[3], m[4]
	} else if m := logrusMapLine.FindStringSubmatch(line); m != nil {
		stamp, pid, fdText, name = m[1]+" "+m[2]+".000", "23787", m[3], m[4]
	} else {
		return "", false
	}
	fd, err := strconv.ParseInt(fdText, 0, 64)
	if err != nil {
		return "", false
	}
	at := func(s string) bool { return target.AtLeast(calver.MustParse(s)) }
	component, srcLine := "confd", 308
	switch {
	case at("v3.31.0"):
		component, srcLine = "node", 604
	case at("v3.29.0"):
		component, srcLine = "node", 569
	case at("v3.26.0"):
		srcLine = 564
	}
	bare := path.Base(name)
	if at("v3.26.0") && !at("v3.31.0") {
		name = bare
	} else {
		name = globalPinDir + bare
	}
	return fmt.Sprintf("%s [INFO][%s] %s/maps.go %d: Loaded map file descriptor. fd=%#x name=%q",
		stamp, pid, component, srcLine, fd, name), true
}

// rewriteMapLogs keeps (re-rendered for the target) or drops the
// map-loading lines of a stderr text.
func rewriteMapLogs(stderr string, target calver.Version, keep bool) string {
	var b strings.Builder
	for _, line := range strings.SplitAfter(stderr, "\n") {
		if !strings.Contains(line, "Loaded map file descriptor.") {
			b.WriteString(line)
			continue
		}
		if !keep {
			continue
		}
		if out, ok := mapLogLine(strings.TrimRight(line, "\n"), target); ok {
			b.WriteString(out + "\n")
		} else {
			b.WriteString(line)
		}
	}
	return b.String()
}
