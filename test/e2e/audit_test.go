//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/kube"
	"github.com/calico-ebpf/kubectl-calico-ebpf/test/testbed"
)

// pluginAgent is the User-Agent prefix of every request the plugin makes.
var pluginAgent = kube.UserAgent + "/"

// TestAuditFilterCountsWrites proves the audit check can fail: requests sent with the
// plugin's User-Agent that do write (create, patch, delete) are found, and the ones that store
// nothing (a server-side dry run, an access review, a get) are not; kubectl's own write is
// found under kubectl's agent.
func TestAuditFilterCountsWrites(t *testing.T) {
	ctx := context.Background()
	cfg, err := clientcmd.BuildConfigFromFlags("", cluster.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	cfg.UserAgent = pluginAgent + "audit-probe"
	kc, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("audit-probe-%d", time.Now().UnixNano())
	cms := kc.CoreV1().ConfigMaps(metav1.NamespaceDefault)
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name}, Data: map[string]string{"k": "v"}}

	mark, err := cluster.MarkAudit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		what string
		do   func() error
	}{
		{"dry-run create", func() error {
			_, err := cms.Create(ctx, cm, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
			return err
		}},
		{"create", func() error { _, err := cms.Create(ctx, cm, metav1.CreateOptions{}); return err }},
		{"get", func() error { _, err := cms.Get(ctx, name, metav1.GetOptions{}); return err }},
		{"access review", func() error {
			_, err := kc.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, &authorizationv1.SelfSubjectAccessReview{
				Spec: authorizationv1.SelfSubjectAccessReviewSpec{ResourceAttributes: &authorizationv1.ResourceAttributes{Verb: "delete", Resource: "configmaps", Namespace: "default"}},
			}, metav1.CreateOptions{})
			return err
		}},
		{"patch", func() error {
			_, err := cms.Patch(ctx, name, types.MergePatchType, []byte(`{"data":{"k":"w"}}`), metav1.PatchOptions{})
			return err
		}},
		{"kubectl annotate", func() error {
			_, err := cluster.Kubectl(ctx, nil, "annotate", "-n", "default", "configmap", name, "e2e/audit=yes")
			return err
		}},
		{"delete", func() error { return cms.Delete(ctx, name, metav1.DeleteOptions{}) }},
	}
	for _, s := range steps {
		if err := s.do(); err != nil {
			t.Fatalf("%s: %v", s.what, err)
		}
	}
	events, err := cluster.AuditSince(ctx, mark, nil)
	if err != nil {
		t.Fatal(err)
	}
	kind := func(agent string) []string {
		var out []string
		for _, e := range testbed.Writes(events) {
			// A create's objectRef names the object too: the API server fills it in from the body.
			if strings.HasPrefix(e.UserAgent, agent) && e.ObjectRef != nil && e.ObjectRef.Name == name {
				out = append(out, e.Verb)
			}
		}
		return out
	}
	if got, want := kind(pluginAgent), []string{"create", "patch", "delete"}; !slices.Equal(got, want) {
		t.Errorf("writes under the plugin's agent: %v, want %v; all events:\n%s", got, want, eventLines(events))
	}
	if got := kind("kubectl/"); !slices.Contains(got, "patch") {
		t.Errorf("kubectl annotate not counted as a write: %v; all events:\n%s", got, eventLines(events))
	}
	probe := slices.IndexFunc(events, func(e testbed.AuditEvent) bool {
		return e.Verb == "get" && e.ObjectRef != nil && e.ObjectRef.Name == name
	})
	if probe < 0 {
		t.Errorf("the get of %s is not in the log", name)
	}
}

func eventLines(events []testbed.AuditEvent) string {
	var b strings.Builder
	for _, e := range events {
		b.WriteString("  " + e.String() + "\n")
	}
	return b.String()
}

// timedRun is one command run and when it ran.
type timedRun struct {
	command
	code       int
	start, end time.Time
}

// TestAuditReadOnlyCommandsWriteNothing runs every read-only command, and every write command
// (with work to do) with --dry-run=server and =client once the built plugin has it, then reads the API server's audit log: the
// plugin's User-Agent made no write request (testbed.IsWrite), and each command's reads were
// seen, so that an empty result means nothing was written rather than nothing was logged.
func TestAuditReadOnlyCommandsWriteNothing(t *testing.T) {
	ctx := context.Background()
	var cmds []writeCase
	for _, c := range append(slices.Clone(readCommands), available(t, optionalReadCommands)...) {
		cmds = append(cmds, writeCase{command: c})
	}
	cmds = append(cmds, available(t, dryRuns(writeCases))...)

	mark, err := cluster.MarkAudit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	runs := make([]timedRun, len(cmds))
	for i, c := range cmds {
		undo := c.prepare(t) // by the test's client: not under the plugin's agent
		runs[i] = timedRun{command: c.command, start: time.Now()}
		r := kubectl(t, c.argv()...)
		runs[i].code, runs[i].end = r.code, time.Now()
		undo()
		if r.code != 0 {
			t.Logf("%s: exit %d (a failing node is fine here; writing is not)", c, r.code)
		}
	}
	events, err := cluster.AuditSince(ctx, mark, testbed.FromUserAgent(pluginAgent))
	if err != nil {
		t.Fatal(err)
	}
	// by is the run during which the API server received the request.
	by := func(e testbed.AuditEvent) string {
		for _, r := range runs {
			if !e.RequestReceivedTimestamp.Before(r.start.Add(-time.Millisecond)) && !e.RequestReceivedTimestamp.After(r.end.Add(time.Millisecond)) {
				return r.String()
			}
		}
		return "no command's run"
	}
	writes := testbed.Writes(events)
	for _, w := range writes {
		t.Errorf("write request by %s: %s", by(w), w)
	}
	seen := map[string]int{}
	for _, e := range events {
		seen[by(e)]++
	}
	for _, r := range runs {
		if seen[r.String()] == 0 {
			t.Errorf("%s (exit %d) made no request the audit log saw", r, r.code)
		}
	}
	// The reads every install check makes, by kind, are in the log under the plugin's agent.
	for _, want := range []struct{ verb, resource string }{
		{"list", "nodes"}, {"list", "pods"}, {"list", "services"}, {"list", "endpointslices.discovery.k8s.io"},
		{"get", "daemonsets.apps"}, {"get", "installations.operator.tigera.io"},
		{"get", "felixconfigurations.crd.projectcalico.org"}, {"get", "pods/log"},
	} {
		if !slices.ContainsFunc(events, func(e testbed.AuditEvent) bool { return e.Verb == want.verb && e.Resource() == want.resource }) {
			t.Errorf("no %s %s by the plugin in the audit log", want.verb, want.resource)
		}
	}
	if !slices.ContainsFunc(events, func(e testbed.AuditEvent) bool { return e.Resource() == "pods/exec" }) {
		t.Errorf("no pods/exec by the plugin in the audit log")
	}
	// --dry-run=server must have reached the API server as dry runs, or the exclusion of dry
	// runs was never put to the test.
	dry := 0
	for _, e := range events {
		if testbed.IsDryRun(e) {
			dry++
		}
	}
	if slices.ContainsFunc(runs, func(r timedRun) bool { return slices.Contains(r.args, "--dry-run=server") }) && dry == 0 {
		t.Errorf("no dryRun=All request by the plugin, although --dry-run=server ran")
	}
	t.Logf("%d commands, %d audit events under %s (%d server-side dry runs), %d writes", len(runs), len(events), pluginAgent, dry, len(writes))
}
