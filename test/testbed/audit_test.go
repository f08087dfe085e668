package testbed

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// ev builds an audit event line as kube-apiserver writes it.
func ev(id, verb, uri, resource, sub string) AuditEvent {
	e := AuditEvent{AuditID: id, Stage: "ResponseComplete", Verb: verb, RequestURI: uri, UserAgent: "kubectl-calico-ebpf/v0.1.0"}
	if resource != "" {
		e.ObjectRef = &AuditObjectRef{Resource: resource, Subresource: sub}
	}
	return e
}

func TestIsWrite(t *testing.T) {
	cases := []struct {
		e    AuditEvent
		want bool
	}{
		{ev("1", "get", "/api/v1/nodes/n1", "nodes", ""), false},
		{ev("2", "list", "/api/v1/pods", "pods", ""), false},
		{ev("3", "watch", "/api/v1/pods?watch=true", "pods", ""), false},
		{ev("4", "patch", "/apis/operator.tigera.io/v1/installations/default", "installations", ""), true},
		{ev("5", "create", "/api/v1/namespaces/tigera-operator/configmaps", "configmaps", ""), true},
		{ev("6", "update", "/apis/apps/v1/namespaces/kube-system/daemonsets/kube-proxy", "daemonsets", ""), true},
		{ev("7", "delete", "/api/v1/namespaces/tigera-operator/pods/op-1", "pods", ""), true},
		{ev("8", "deletecollection", "/api/v1/namespaces/tigera-operator/pods?labelSelector=x", "pods", ""), true},
		{ev("9", "patch", "/api/v1/nodes/n1/status", "nodes", "status"), true},
		// Server-side dry run persists nothing; a client asking dryRun for something else does.
		{ev("10", "patch", "/apis/operator.tigera.io/v1/installations/default?dryRun=All&fieldManager=x", "installations", ""), false},
		{ev("11", "create", "/api/v1/namespaces/x/configmaps?dryRun=Nope", "configmaps", ""), true},
		// Reviews are answered, not stored.
		{ev("12", "create", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", "selfsubjectaccessreviews", ""), false},
		{ev("13", "create", "/apis/authentication.k8s.io/v1/selfsubjectreviews", "selfsubjectreviews", ""), false},
		{ev("14", "create", "/apis/authentication.k8s.io/v1/tokenreviews", "tokenreviews", ""), false},
		// Exec streams; attach and port-forward are not exempt (no read command uses them).
		{ev("15", "create", "/api/v1/namespaces/calico-system/pods/p/exec?command=ls", "pods", "exec"), false},
		{ev("16", "get", "/api/v1/namespaces/calico-system/pods/p/exec?command=ls", "pods", "exec"), false},
		{ev("17", "create", "/api/v1/namespaces/calico-system/pods/p/attach", "pods", "attach"), true},
		// A pod's log is a read.
		{ev("18", "get", "/api/v1/namespaces/calico-system/pods/p/log?container=calico-node", "pods", "log"), false},
		// Non-resource requests: the HTTP method is the verb.
		{ev("19", "get", "/version", "", ""), false},
		{ev("20", "post", "/some/path", "", ""), true},
	}
	for _, c := range cases {
		if got := IsWrite(c.e); got != c.want {
			t.Errorf("IsWrite(%s) = %v, want %v", c.e, got, c.want)
		}
	}
}

func TestWritesCountsEachRequestOnce(t *testing.T) {
	started := ev("a", "create", "/api/v1/namespaces/x/configmaps", "configmaps", "")
	started.Stage = "ResponseStarted"
	events := []AuditEvent{started, ev("a", "create", "/api/v1/namespaces/x/configmaps", "configmaps", ""),
		ev("b", "get", "/api/v1/nodes", "nodes", ""), ev("c", "delete", "/api/v1/namespaces/x/configmaps/y", "configmaps", "")}
	w := Writes(events)
	if len(w) != 2 || w[0].AuditID != "a" || w[1].AuditID != "c" {
		t.Errorf("Writes = %v", w)
	}
}

func TestFromUserAgent(t *testing.T) {
	keep := FromUserAgent("kubectl-calico-ebpf/")
	for ua, want := range map[string]bool{
		"kubectl-calico-ebpf/v0.1.0":                 true,
		"kubectl-calico-ebpf/dev":                    true,
		"kubectl/v1.37.2 (linux/amd64) kubernetes/x": false,
		"kubectl-calico-ebpfx/v1":                    false,
	} {
		if got := keep(AuditEvent{UserAgent: ua}); got != want {
			t.Errorf("%q: %v, want %v", ua, got, want)
		}
	}
}

func line(t *testing.T, e AuditEvent) string {
	t.Helper()
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	return string(b) + "\n"
}

func appendTo(t *testing.T, path, s string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(s); err != nil {
		t.Fatal(err)
	}
}

// readIDs reads what the cursor has not seen yet.
func readIDs(t *testing.T, c *auditCursor) string {
	t.Helper()
	var ids []string
	if _, err := c.next(func(e AuditEvent) (bool, error) {
		ids = append(ids, e.AuditID)
		return false, nil
	}); err != nil {
		t.Fatal(err)
	}
	return strings.Join(ids, ",")
}

// TestAuditCursor follows a log the way kube-apiserver writes it: events before the cursor are
// not read, a line being written waits for its newline, and a rotation (the log renamed to
// audit-<time>.log, a new one started) loses nothing.
func TestAuditCursor(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "audit.log")
	get := func(id string) AuditEvent { return ev(id, "get", "/api/v1/nodes", "nodes", "") }
	appendTo(t, path, line(t, get("old")))
	c, err := auditCursorAtEnd(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := readIDs(t, &c); got != "" {
		t.Fatalf("read %q from before the cursor", got)
	}
	full := line(t, get("2"))
	appendTo(t, path, line(t, get("1"))+full[:10])
	if got := readIDs(t, &c); got != "1" {
		t.Fatalf("got %q, want the complete line only", got)
	}
	appendTo(t, path, full[10:]+line(t, get("3")))
	if got := readIDs(t, &c); got != "2,3" {
		t.Fatalf("got %q after the line was finished", got)
	}
	appendTo(t, path, line(t, get("4")))
	if err := os.Rename(path, filepath.Join(dir, "audit-2026-01-02T03-04-05.000.log")); err != nil {
		t.Fatal(err)
	}
	appendTo(t, path, line(t, get("5")))
	if got := readIDs(t, &c); got != "4,5" {
		t.Fatalf("got %q across the rotation", got)
	}

	// Stopping inside the rotated file resumes there.
	appendTo(t, path, line(t, get("6"))+line(t, get("7")))
	if err := os.Rename(path, filepath.Join(dir, "audit-2026-01-02T03-04-06.000.log")); err != nil {
		t.Fatal(err)
	}
	appendTo(t, path, line(t, get("8")))
	var first []string
	if _, err := c.next(func(e AuditEvent) (bool, error) {
		first = append(first, e.AuditID)
		return e.AuditID == "6", nil
	}); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(first, ","); got != "6" {
		t.Fatalf("stopped read got %q", got)
	}
	if got := readIDs(t, &c); got != "7,8" {
		t.Fatalf("after a stop in the rotated file got %q", got)
	}
}

func TestDecodeAuditEventsNamesTheBadLine(t *testing.T) {
	_, err := DecodeAuditEvents(strings.NewReader(line(t, ev("1", "get", "/", "", ""))+"{not json\n"), func(AuditEvent) (bool, error) { return false, nil })
	if err == nil || !strings.Contains(err.Error(), "audit log: byte ") {
		t.Errorf("err = %v", err)
	}
}
