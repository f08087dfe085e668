package kube

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// Permission is one request a command needs the API server to allow, in RBAC's terms.
type Permission struct {
	Verb string
	// Group is the API group, "" for the core group.
	Group string
	// Resource is the plural, lower-case resource: "installations", "pods".
	Resource string
	// Subresource is "exec", "log", "status"…; "" for the resource itself.
	Subresource string
	// Namespace is "" for cluster-scoped resources (or a namespaced resource in every namespace).
	Namespace string
	// Name is "" for any object. Leave it empty for create: RBAC cannot restrict create by
	// name, because a create request names no object in its URL.
	Name string
}

// String says the permission the way kubectl names things, e.g.
// `patch installations.operator.tigera.io "default"` or
// `create pods/exec in namespace calico-system`.
func (p Permission) String() string {
	var b strings.Builder
	b.WriteString(p.Verb)
	b.WriteByte(' ')
	b.WriteString(p.Resource)
	if p.Group != "" {
		b.WriteString("." + p.Group)
	}
	if p.Subresource != "" {
		b.WriteString("/" + p.Subresource)
	}
	if p.Name != "" {
		b.WriteString(" " + strconv.Quote(p.Name))
	}
	if p.Namespace != "" {
		b.WriteString(" in namespace " + p.Namespace)
	}
	return b.String()
}

// AccessError is a user lacking permissions: found by CheckAccess before anything was
// changed, or refused by the API server (FromForbidden). It names every missing permission.
type AccessError struct {
	// User is who the API server says is asking (after --as); "" when it did not say.
	User string
	// Missing lists what the user may not do, in the order the command needs it.
	Missing []Permission
	// Err is the API server's refusal when the error came from a request; nil from CheckAccess.
	Err error
}

func (e *AccessError) Error() string {
	who := "the current user"
	if e.User != "" {
		who = "user " + strconv.Quote(e.User)
	}
	if len(e.Missing) == 1 {
		return fmt.Sprintf("%s lacks the permission to %s", who, e.Missing[0])
	}
	parts := make([]string, len(e.Missing))
	for i, p := range e.Missing {
		parts[i] = p.String()
	}
	return fmt.Sprintf("%s lacks %d permissions: %s", who, len(e.Missing), strings.Join(parts, "; "))
}

// Unwrap keeps apierrors.IsForbidden true for a refusal that came from the API server.
func (e *AccessError) Unwrap() error { return e.Err }

// CheckAccess asks the API server, with one SelfSubjectAccessReview per permission, whether the
// current user (after --as) may do each of perms. It returns nil when all are allowed, an
// *AccessError listing every one that is not, or another error when the server could not be
// asked. Write commands call it before their first write, so that a user who lacks a right
// changes nothing and is told every right they lack at once, not one per attempt.
//
// The reviews are create requests, but nothing is stored: audit checks do not count them as
// writes (test/testbed's IsWrite).
func CheckAccess(ctx context.Context, kc kubernetes.Interface, perms []Permission) error {
	var missing []Permission
	seen := map[Permission]bool{}
	for _, p := range perms {
		if seen[p] {
			continue
		}
		seen[p] = true
		review := &authorizationv1.SelfSubjectAccessReview{Spec: authorizationv1.SelfSubjectAccessReviewSpec{
			ResourceAttributes: &authorizationv1.ResourceAttributes{
				Verb: p.Verb, Group: p.Group, Resource: p.Resource, Subresource: p.Subresource,
				Namespace: p.Namespace, Name: p.Name,
			},
		}}
		res, err := kc.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, review, metav1.CreateOptions{})
		if err != nil {
			return fmt.Errorf("check permission to %s: create selfsubjectaccessreview: %w", p, err)
		}
		if !res.Status.Allowed {
			missing = append(missing, p)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return &AccessError{User: CurrentUser(ctx, kc), Missing: missing}
}

// CurrentUser is the user name the API server sees (after --as), from a SelfSubjectReview;
// "" when the server cannot say (before Kubernetes 1.28, or when it is not allowed).
func CurrentUser(ctx context.Context, kc kubernetes.Interface) string {
	res, err := kc.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		return ""
	}
	return res.Status.UserInfo.Username
}

// rbacRefusal is the API server's authorization refusal (responsewriters.forbiddenMessage):
// User "u" cannot patch resource "installations" in API group "operator.tigera.io" at the
// cluster scope | in the namespace "ns".
var rbacRefusal = regexp.MustCompile(`User ("(?:[^"\\]|\\.)*") cannot (\S+) resource "([^"/]+)(?:/([^"]+))?" in API group "([^"]*)"(?: in the namespace "([^"]*)")?`)

// FromForbidden turns the API server's refusal (403) of a request into an *AccessError naming
// the permission, so that a write refused half way says the same as CheckAccess would have.
// tried is what the caller attempted; the server's own account (its message and
// StatusDetails) wins where it says more. Errors that are not an authorization refusal,
// including admission policies' 403s (no permission would help), are returned unchanged.
func FromForbidden(err error, tried Permission) error {
	if !apierrors.IsForbidden(err) {
		return err
	}
	var status apierrors.APIStatus
	if !errors.As(err, &status) {
		return err
	}
	st := status.Status()
	m := rbacRefusal.FindStringSubmatch(st.Message)
	if m == nil {
		return err
	}
	p := tried
	user, uerr := strconv.Unquote(m[1])
	if uerr != nil {
		user = ""
	}
	p.Verb, p.Resource, p.Subresource, p.Group, p.Namespace = m[2], m[3], m[4], m[5], m[6]
	if d := st.Details; d != nil && d.Name != "" {
		p.Name = d.Name
	}
	return &AccessError{User: user, Missing: []Permission{p}, Err: err}
}
