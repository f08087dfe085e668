//go:build e2e

package e2e

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/kube"
	"github.com/calico-ebpf/kubectl-calico-ebpf/test/testbed"
)

// The users of deploy/rbac/bindings.example.yaml, and one bound the README's way to the
// cluster-wide reads only (no exec).
const (
	readerUser = "calico-ebpf-reader@example.com"
	adminUser  = "calico-ebpf-admin@example.com"
	noExecUser = "calico-ebpf-noexec@example.com"
)

var (
	rbacOnce sync.Once
	rbacErr  error
)

// setupRBAC applies deploy/rbac as a user would: the roles, the example bindings, and the
// README's kubectl create clusterrolebinding for noExecUser.
func setupRBAC(t *testing.T) {
	t.Helper()
	rbacOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		dir := filepath.Join(cluster.Paths.Repo, "deploy", "rbac")
		for _, f := range []string{"reader.yaml", "admin.yaml", "admin-operator.yaml", "bindings.example.yaml"} {
			if _, rbacErr = cluster.Kubectl(ctx, nil, "apply", "-f", filepath.Join(dir, f)); rbacErr != nil {
				return
			}
		}
		_, rbacErr = cluster.Kubectl(ctx, nil, "create", "clusterrolebinding", "calico-ebpf-reader:"+noExecUser,
			"--clusterrole=calico-ebpf-reader", "--user="+noExecUser)
	})
	if rbacErr != nil {
		t.Fatalf("apply deploy/rbac: %v", rbacErr)
	}
}

// readerNeeds is every request the read commands make (pkg/kube, pkg/verify/gather.go,
// pkg/preflight/gather.go, pkg/cmd), on the operator-flavour e2e cluster.
var readerNeeds = []kube.Permission{
	{Verb: "list", Resource: "nodes"},
	{Verb: "get", Resource: "nodes", Name: "node-1"},
	{Verb: "list", Resource: "pods"},
	{Verb: "list", Resource: "pods", Namespace: "calico-system"},
	{Verb: "list", Resource: "services"},
	{Verb: "list", Group: "discovery.k8s.io", Resource: "endpointslices"},
	{Verb: "list", Group: "discovery.k8s.io", Resource: "endpointslices", Namespace: "default"},
	{Verb: "get", Group: "apps", Resource: "daemonsets", Namespace: "calico-system", Name: "calico-node"},
	{Verb: "get", Group: "apps", Resource: "daemonsets", Namespace: "kube-system", Name: "calico-node"},
	{Verb: "get", Group: "apps", Resource: "daemonsets", Namespace: "kube-system", Name: "kube-proxy"},
	{Verb: "get", Group: "apps", Resource: "deployments", Namespace: "tigera-operator", Name: "tigera-operator"},
	{Verb: "get", Resource: "configmaps", Namespace: "tigera-operator", Name: "kubernetes-services-endpoint"},
	{Verb: "get", Resource: "configmaps", Namespace: "kube-system", Name: "kubernetes-services-endpoint"},
	{Verb: "get", Resource: "configmaps", Namespace: "kube-system", Name: "kube-proxy"},
	{Verb: "get", Group: "operator.tigera.io", Resource: "installations", Name: "default"},
	{Verb: "get", Group: "operator.tigera.io", Resource: "tigerastatuses", Name: "calico"},
	{Verb: "get", Group: "crd.projectcalico.org", Resource: "felixconfigurations", Name: "default"},
	{Verb: "get", Group: "projectcalico.org", Resource: "felixconfigurations", Name: "default"},
	{Verb: "create", Resource: "pods", Subresource: "exec", Namespace: "calico-system"},
	{Verb: "get", Resource: "pods", Subresource: "exec", Namespace: "calico-system"},
	{Verb: "get", Resource: "pods", Subresource: "log", Namespace: "calico-system"},
}

// adminWrites is what issue 6's write commands change (enable, disable, dsr, config, debug,
// trace --debug).
// When pkg/enable exports its own list, this should become that list.
var adminWrites = []kube.Permission{
	{Verb: "patch", Group: "operator.tigera.io", Resource: "installations", Name: "default"},
	{Verb: "patch", Group: "crd.projectcalico.org", Resource: "felixconfigurations", Name: "default"},
	{Verb: "patch", Group: "projectcalico.org", Resource: "felixconfigurations", Name: "default"},
	{Verb: "create", Group: "crd.projectcalico.org", Resource: "felixconfigurations"},
	{Verb: "create", Group: "projectcalico.org", Resource: "felixconfigurations"},
	{Verb: "create", Resource: "configmaps", Namespace: "tigera-operator"},
	{Verb: "patch", Resource: "configmaps", Namespace: "tigera-operator", Name: "kubernetes-services-endpoint"},
	{Verb: "delete", Resource: "configmaps", Namespace: "tigera-operator", Name: "kubernetes-services-endpoint"},
	{Verb: "create", Resource: "configmaps", Namespace: "kube-system"},
	{Verb: "patch", Resource: "configmaps", Namespace: "kube-system", Name: "kubernetes-services-endpoint"},
	{Verb: "delete", Resource: "configmaps", Namespace: "kube-system", Name: "kubernetes-services-endpoint"},
	{Verb: "patch", Group: "apps", Resource: "daemonsets", Namespace: "kube-system", Name: "kube-proxy"},
	{Verb: "patch", Group: "apps", Resource: "daemonsets", Namespace: "kube-system", Name: "calico-node"},
	{Verb: "delete", Resource: "pods", Namespace: "tigera-operator"},
}

// beyondTheRoles must stay out of reach: exec outside the Calico namespace, the admin's
// namespaced writes in other namespaces, other ConfigMaps and DaemonSets.
var beyondTheRoles = []kube.Permission{
	{Verb: "create", Resource: "pods", Subresource: "exec", Namespace: "default"},
	{Verb: "get", Resource: "pods", Subresource: "log", Namespace: "demo"},
	{Verb: "get", Resource: "configmaps", Namespace: "default", Name: "kube-root-ca.crt"},
	{Verb: "list", Resource: "configmaps"},
	{Verb: "list", Resource: "secrets"},
	{Verb: "create", Resource: "configmaps", Namespace: "default"},
	{Verb: "delete", Resource: "pods", Namespace: "kube-system"},
	{Verb: "delete", Resource: "pods", Namespace: "demo"},
	{Verb: "patch", Group: "apps", Resource: "daemonsets", Namespace: "kube-system", Name: "kube-dns"},
	{Verb: "patch", Group: "operator.tigera.io", Resource: "installations", Name: "other"},
	{Verb: "delete", Group: "crd.projectcalico.org", Resource: "felixconfigurations", Name: "default"},
	{Verb: "patch", Group: "crd.projectcalico.org", Resource: "ippools"},
}

// impersonating is a client that acts as user, the way --as does.
func impersonating(t *testing.T, user string) kubernetes.Interface {
	t.Helper()
	cfg, err := clientcmd.BuildConfigFromFlags("", cluster.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Impersonate.UserName = user
	kc, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return kc
}

// missingFor runs kube.CheckAccess as user and returns what it found missing.
func missingFor(t *testing.T, user string, perms []kube.Permission) []kube.Permission {
	t.Helper()
	err := kube.CheckAccess(context.Background(), impersonating(t, user), perms)
	if err == nil {
		return nil
	}
	var ae *kube.AccessError
	if !errors.As(err, &ae) {
		t.Fatalf("check access as %s: %v", user, err)
	}
	if ae.User != user {
		t.Errorf("AccessError names user %q, want %q (SelfSubjectReview under impersonation)", ae.User, user)
	}
	return ae.Missing
}

// TestRBACRolesGrantWhatTheCommandsNeed asks the API server (SelfSubjectAccessReviews through
// kube.CheckAccess, as each user) whether deploy/rbac grants exactly the requests the commands
// make: the reader everything the read commands need and none of the writes, the admin both,
// the user bound without exec everything but exec and logs, and nobody more than that.
func TestRBACRolesGrantWhatTheCommandsNeed(t *testing.T) {
	setupRBAC(t)
	if m := missingFor(t, readerUser, readerNeeds); len(m) > 0 {
		t.Errorf("reader lacks what the read commands need: %v", m)
	}
	if m := missingFor(t, readerUser, adminWrites); !slices.Equal(m, adminWrites) {
		t.Errorf("reader may do some of the writes: lacks only %v", m)
	}
	if m := missingFor(t, adminUser, append(slices.Clone(readerNeeds), adminWrites...)); len(m) > 0 {
		t.Errorf("admin lacks: %v", m)
	}
	var execAndLogs []kube.Permission
	for _, p := range readerNeeds {
		if p.Subresource != "" {
			execAndLogs = append(execAndLogs, p)
		}
	}
	if m := missingFor(t, noExecUser, readerNeeds); !slices.Equal(m, execAndLogs) {
		t.Errorf("without the exec binding, missing %v, want %v", m, execAndLogs)
	}
	for _, user := range []string{readerUser, adminUser} {
		if m := missingFor(t, user, beyondTheRoles); !slices.Equal(m, beyondTheRoles) {
			t.Errorf("%s may do more than the plugin needs: allowed %v", user, minus(beyondTheRoles, m))
		}
	}
}

func minus(all, some []kube.Permission) []kube.Permission {
	var out []kube.Permission
	for _, p := range all {
		if !slices.Contains(some, p) {
			out = append(out, p)
		}
	}
	return out
}

// refusal is how a refused request shows: the API server's 403 or kube.AccessError.
var refusal = regexp.MustCompile(`(?i)forbidden|lacks (the permission|\d+ permissions)`)

// asAdminAndAs runs a command as the cluster admin and as user, and says how user's run
// differs: a refusal, another exit status or other output all mean the role falls short.
func asAdminAndAs(t *testing.T, user string, c command) string {
	t.Helper()
	admin := kubectl(t, c.argv()...)
	as := kubectl(t, append(c.argv(), "--as="+user)...)
	var problems []string
	for _, l := range strings.Split(as.stderr+"\n"+as.stdout, "\n") {
		if refusal.MatchString(l) {
			problems = append(problems, "refused: "+strings.TrimSpace(shortened(l)))
			break
		}
	}
	if as.code != admin.code {
		problems = append(problems, fmt.Sprintf("exit %d, the admin's %d", as.code, admin.code))
	}
	if d := firstDiff(normalized(admin.stdout), normalized(as.stdout)); d != "" {
		problems = append(problems, "output differs from the admin's: "+d)
	}
	return strings.Join(problems, "\n")
}

// volatile are the JSON fields that move with the clock: conntrack's and NAT affinity's ages.
var volatile = regexp.MustCompile(`"(active_ago|age|timestamp)":"[^"]*"`)

// normalized is output as a sorted list of lines without the trailing commas of JSON items and
// with volatile fields masked: live dumps print rows in the order the nodes answer.
func normalized(out string) string {
	lines := strings.Split(volatile.ReplaceAllString(out, `"$1":"…"`), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSuffix(l, ",")
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

// firstDiff names the first line where two outputs differ, "" when they are the same.
func firstDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range max(len(al), len(bl)) {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			return fmt.Sprintf("line %d: admin %q, user %q", i+1, shortened(x), shortened(y))
		}
	}
	return ""
}

func shortened(s string) string {
	if len(s) > 300 {
		return s[:300] + "…"
	}
	return s
}

// TestRBACReaderRunsEveryReadCommand impersonates the read-only user (kubectl's --as) for
// every read command, and every write command's --dry-run=client, and expects what the cluster
// admin gets: same exit status, same output, no refusal. The same comparison must fail for
// the user without the exec binding, or it would prove nothing.
func TestRBACReaderRunsEveryReadCommand(t *testing.T) {
	setupRBAC(t)
	for _, c := range append(slices.Clone(readCommands), available(t, optionalReadCommands)...) {
		t.Run(c.String(), func(t *testing.T) {
			if p := asAdminAndAs(t, readerUser, c); p != "" {
				t.Errorf("as %s:\n%s", readerUser, p)
			}
		})
	}
	// A write command's plan (--dry-run=client) is a read: the reader may see it.
	for _, w := range available(t, dryRuns(writeCases)) {
		if !slices.Contains(w.args, "--dry-run=client") {
			continue
		}
		t.Run(w.String(), func(t *testing.T) {
			defer w.prepare(t)()
			if p := asAdminAndAs(t, readerUser, w.command); p != "" {
				t.Errorf("as %s:\n%s", readerUser, p)
			}
		})
	}
	t.Run("without exec", func(t *testing.T) {
		c := command{[]string{"routes"}, []string{"--all-nodes", "-o", "json"}}
		p := asAdminAndAs(t, noExecUser, c)
		if !strings.Contains(p, "refused") || !strings.Contains(p, "pods/exec") {
			t.Errorf("%s as %s: want a refusal naming pods/exec, got:\n%s", c, noExecUser, p)
		}
	})
}

// TestRBACReaderCannotWrite runs every write command, with work to do, as the read-only user:
// each fails, with a message naming a permission it lacks, and without having changed
// anything (the audit log holds no write of the plugin's that the API server accepted).
func TestRBACReaderCannotWrite(t *testing.T) {
	setupRBAC(t)
	cases := available(t, writeCases)
	if len(cases) == 0 {
		t.Skip("no write command in the built plugin yet")
	}
	// The permission as the messages spell it, without the object's name and namespace.
	var named []string
	for _, p := range adminWrites {
		if s := (kube.Permission{Verb: p.Verb, Group: p.Group, Resource: p.Resource}).String(); !slices.Contains(named, s) {
			named = append(named, s)
		}
	}
	ctx := context.Background()
	for _, c := range cases {
		t.Run(c.String(), func(t *testing.T) {
			defer c.prepare(t)()
			mark, err := cluster.MarkAudit(ctx)
			if err != nil {
				t.Fatal(err)
			}
			r := kubectl(t, append(c.argv(), "--as="+readerUser)...)
			if r.code == 0 {
				t.Errorf("succeeded as the read-only user:\n%s%s", r.stdout, r.stderr)
			}
			said := ""
			for _, l := range strings.Split(r.stderr, "\n") {
				if slices.ContainsFunc(named, func(p string) bool { return strings.Contains(l, p) }) {
					said = l
					break
				}
			}
			if said == "" {
				t.Errorf("exit %d, but the message names none of the permissions %v:\n%s", r.code, named, r.stderr)
			} else {
				t.Logf("refused: %s", said)
			}
			events, err := cluster.AuditSince(ctx, mark, testbed.FromUserAgent(kube.UserAgent+"/"))
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range testbed.Writes(events) {
				if w.Code() < 400 {
					t.Errorf("changed the cluster before failing: %s", w)
				}
			}
		})
	}
}
