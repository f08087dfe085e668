package testbed

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// auditPolicy logs every request's metadata (who, which verb on which object, the response
// code) and never bodies: enough to tell reads from writes, small enough to keep for a whole
// run. RequestReceived is left out: the ResponseComplete event of the same request says the
// same and more, and it halves the log.
const auditPolicy = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
- level: Metadata
`

// ensureAuditPolicy gives every test-bed cluster an audit log, so that tests can prove what
// the plugin did and did not ask the API server to do. A policy set in Config is kept.
func (c *Cluster) ensureAuditPolicy() error {
	if c.AuditPolicy != "" || c.NoAudit {
		return nil
	}
	p := filepath.Join(c.Dir, "audit-policy.yaml")
	if err := os.WriteFile(p, []byte(auditPolicy), 0o644); err != nil {
		return fmt.Errorf("write audit policy: %w", err)
	}
	c.AuditPolicy = p
	return nil
}

// AuditLogPath is where kube-apiserver writes the cluster's audit log: kwokctl's binary
// runtime (v0.8.0) passes --audit-log-path=<workdir>/logs/audit.log, the workdir being
// $KWOK_WORKDIR/clusters/<name> (runtime.AuditLogName, Cluster.GetLogPath). kube-apiserver
// rotates it at 100 MB into audit-<time>.log beside it; the readers here follow that.
func (c *Cluster) AuditLogPath() string {
	return filepath.Join(c.Paths.KwokWorkDir(), "clusters", c.Name, "logs", "audit.log")
}

// AuditEvent is the part of an audit.k8s.io/v1 Event the tests look at.
type AuditEvent struct {
	AuditID    string `json:"auditID"`
	Stage      string `json:"stage"`
	RequestURI string `json:"requestURI"`
	Verb       string `json:"verb"`
	User       struct {
		Username string `json:"username"`
	} `json:"user"`
	ImpersonatedUser *struct {
		Username string `json:"username"`
	} `json:"impersonatedUser,omitempty"`
	UserAgent      string          `json:"userAgent"`
	ObjectRef      *AuditObjectRef `json:"objectRef,omitempty"`
	ResponseStatus *struct {
		Code int `json:"code"`
	} `json:"responseStatus,omitempty"`
	RequestReceivedTimestamp time.Time `json:"requestReceivedTimestamp"`
	StageTimestamp           time.Time `json:"stageTimestamp"`
}

// AuditObjectRef is the object a request was about.
type AuditObjectRef struct {
	Resource    string `json:"resource"`
	Namespace   string `json:"namespace"`
	Name        string `json:"name"`
	APIGroup    string `json:"apiGroup"`
	Subresource string `json:"subresource"`
}

// Code is the response's HTTP status code, 0 when the event has none (ResponseStarted).
func (e AuditEvent) Code() int {
	if e.ResponseStatus == nil {
		return 0
	}
	return e.ResponseStatus.Code
}

// Resource is "resource.group/subresource", kubectl's spelling; "" for non-resource requests.
func (e AuditEvent) Resource() string {
	r := e.ObjectRef
	if r == nil {
		return ""
	}
	s := r.Resource
	if r.APIGroup != "" {
		s += "." + r.APIGroup
	}
	if r.Subresource != "" {
		s += "/" + r.Subresource
	}
	return s
}

// String is one line for failure messages: what, as whom, with which result, and when.
func (e AuditEvent) String() string {
	user := e.User.Username
	if e.ImpersonatedUser != nil {
		user += " as " + e.ImpersonatedUser.Username
	}
	return fmt.Sprintf("%s %s -> %d (user %s, agent %q, %s)", e.Verb, e.RequestURI, e.Code(), user, e.UserAgent,
		e.RequestReceivedTimestamp.Format("15:04:05.000000"))
}

// writeVerbs change stored objects. Non-resource requests carry the lower-case HTTP method as
// their verb; the ones that could change something count too, to err on the side of a write.
var writeVerbs = []string{"create", "update", "patch", "delete", "deletecollection", "post", "put"}

// reviewResources are answered and never stored: access and identity reviews. Write commands
// create SelfSubjectAccessReviews and a SelfSubjectReview before they write (kube.CheckAccess).
var reviewResources = []string{
	"selfsubjectaccessreviews", "selfsubjectrulesreviews", "subjectaccessreviews", "localsubjectaccessreviews",
	"selfsubjectreviews", "tokenreviews",
}

// IsWrite reports whether an audited request asked to change the cluster's stored state.
//
// A write is a request whose verb is create, update, patch, delete or deletecollection, except:
//   - server-side dry runs (dryRun=All in the request URI): the API server runs admission and
//     validation and persists nothing;
//   - reviews (SelfSubjectAccessReview, SelfSubjectReview, SubjectAccessReview, TokenReview…):
//     the answer is computed for the request and nothing is stored;
//   - pods/exec: SPDY's exec is a POST, so create (WebSocket's is a GET, logged as get but also
//     authorized as create since Kubernetes 1.35). It opens a stream to a process in a
//     container and stores nothing in the API. What that process may do is pkg/collect's
//     concern: the read commands run fixed read-only argv, which is why the read-only role
//     grants create on pods/exec.
//
// A refused write (403, 409…) is still a write request: a read-only command must not try.
func IsWrite(e AuditEvent) bool {
	if !slices.Contains(writeVerbs, e.Verb) {
		return false
	}
	if IsDryRun(e) {
		return false
	}
	if r := e.ObjectRef; r != nil {
		if slices.Contains(reviewResources, r.Resource) {
			return false
		}
		if r.Resource == "pods" && r.Subresource == "exec" {
			return false
		}
	}
	return true
}

// IsDryRun reports whether the request was a server-side dry run (dryRun=All): validated and
// answered, never stored.
func IsDryRun(e AuditEvent) bool {
	u, err := url.ParseRequestURI(e.RequestURI)
	return err == nil && slices.Contains(u.Query()["dryRun"], "All")
}

// FromUserAgent keeps the events of requests whose User-Agent starts with prefix (the plugin
// sends kubectl-calico-ebpf/<version>).
func FromUserAgent(prefix string) func(AuditEvent) bool {
	return func(e AuditEvent) bool { return strings.HasPrefix(e.UserAgent, prefix) }
}

// Writes returns the write requests among events (IsWrite), one per request: a request logged
// at several stages counts once.
func Writes(events []AuditEvent) []AuditEvent {
	var out []AuditEvent
	seen := map[string]bool{}
	for _, e := range events {
		if !IsWrite(e) || seen[e.AuditID] {
			continue
		}
		seen[e.AuditID] = true
		out = append(out, e)
	}
	return out
}
