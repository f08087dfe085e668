package kube

import (
	"context"
	"errors"
	"fmt"
	"testing"

	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

var (
	patchInstallation = Permission{Verb: "patch", Group: "operator.tigera.io", Resource: "installations", Name: "default"}
	createExec        = Permission{Verb: "create", Resource: "pods", Subresource: "exec", Namespace: "calico-system"}
	deleteOperatorPod = Permission{Verb: "delete", Resource: "pods", Namespace: "tigera-operator"}
	getEndpointCM     = Permission{Verb: "get", Resource: "configmaps", Namespace: "kube-system", Name: "kubernetes-services-endpoint"}
)

func TestPermissionString(t *testing.T) {
	for p, want := range map[Permission]string{
		patchInstallation: `patch installations.operator.tigera.io "default"`,
		createExec:        `create pods/exec in namespace calico-system`,
		deleteOperatorPod: `delete pods in namespace tigera-operator`,
		getEndpointCM:     `get configmaps "kubernetes-services-endpoint" in namespace kube-system`,
		{Verb: "patch", Group: "apps", Resource: "daemonsets", Subresource: "status", Namespace: "kube-system", Name: "kube-proxy"}: `patch daemonsets.apps/status "kube-proxy" in namespace kube-system`,
	} {
		if got := p.String(); got != want {
			t.Errorf("%+v: %s, want %s", p, got, want)
		}
	}
}

// reviewer is a fake API server that allows what is in allowed and says who the user is.
func reviewer(allowed map[Permission]bool, user string, userErr error) (*fake.Clientset, *int) {
	kc := fake.NewClientset()
	reviews := new(int)
	kc.PrependReactor("create", "selfsubjectaccessreviews", func(a k8stesting.Action) (bool, runtime.Object, error) {
		*reviews++
		r := a.(k8stesting.CreateAction).GetObject().(*authorizationv1.SelfSubjectAccessReview)
		ra := r.Spec.ResourceAttributes
		p := Permission{Verb: ra.Verb, Group: ra.Group, Resource: ra.Resource, Subresource: ra.Subresource, Namespace: ra.Namespace, Name: ra.Name}
		r.Status.Allowed = allowed[p]
		return true, r, nil
	})
	kc.PrependReactor("create", "selfsubjectreviews", func(k8stesting.Action) (bool, runtime.Object, error) {
		if userErr != nil {
			return true, nil, userErr
		}
		r := &authenticationv1.SelfSubjectReview{}
		r.Status.UserInfo.Username = user
		return true, r, nil
	})
	return kc, reviews
}

func TestCheckAccess(t *testing.T) {
	ctx := context.Background()
	want := []Permission{patchInstallation, createExec, deleteOperatorPod, getEndpointCM}

	kc, reviews := reviewer(map[Permission]bool{createExec: true, getEndpointCM: true}, "jane@example.com", nil)
	err := CheckAccess(ctx, kc, append(want, patchInstallation))
	var ae *AccessError
	if !errors.As(err, &ae) {
		t.Fatalf("CheckAccess = %v, want an *AccessError", err)
	}
	if *reviews != len(want) {
		t.Errorf("%d reviews for %d distinct permissions", *reviews, len(want))
	}
	if ae.User != "jane@example.com" || len(ae.Missing) != 2 || ae.Missing[0] != patchInstallation || ae.Missing[1] != deleteOperatorPod {
		t.Errorf("AccessError = %+v", ae)
	}
	const msg = `user "jane@example.com" lacks 2 permissions: patch installations.operator.tigera.io "default"; delete pods in namespace tigera-operator`
	if err.Error() != msg {
		t.Errorf("message:\n%s\nwant\n%s", err, msg)
	}

	// Everything allowed: nil, and no SelfSubjectReview is needed.
	all := map[Permission]bool{}
	for _, p := range want {
		all[p] = true
	}
	kc, _ = reviewer(all, "jane@example.com", nil)
	if err := CheckAccess(ctx, kc, want); err != nil {
		t.Errorf("all allowed: %v", err)
	}
	for _, a := range kc.Actions() {
		if a.GetResource().Resource == "selfsubjectreviews" {
			t.Errorf("asked who the user is although nothing was missing")
		}
	}

	// A server without SelfSubjectReview: the user is left out of the message.
	kc, _ = reviewer(nil, "", apierrors.NewNotFound(schema.GroupResource{Group: "authentication.k8s.io", Resource: "selfsubjectreviews"}, ""))
	err = CheckAccess(ctx, kc, []Permission{createExec})
	if err == nil || err.Error() != "the current user lacks the permission to create pods/exec in namespace calico-system" {
		t.Errorf("without SelfSubjectReview: %v", err)
	}

	// The review itself failing is an error that is not an AccessError.
	kc = fake.NewClientset()
	kc.PrependReactor("create", "selfsubjectaccessreviews", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, errors.New("connection refused")
	})
	err = CheckAccess(ctx, kc, []Permission{patchInstallation})
	if err == nil || errors.As(err, &ae) || err.Error() != `check permission to patch installations.operator.tigera.io "default": create selfsubjectaccessreview: connection refused` {
		t.Errorf("review failed: %v", err)
	}
}

// forbidden builds the 403 the API server's authorization filter returns
// (responsewriters.ForbiddenStatusError).
func forbidden(group, resource, name, msg string) error {
	return apierrors.NewForbidden(schema.GroupResource{Group: group, Resource: resource}, name, errors.New(msg))
}

func TestFromForbidden(t *testing.T) {
	cases := []struct {
		name  string
		err   error
		tried Permission
		want  string // "" means the error comes back unchanged
	}{
		{
			name:  "cluster-scoped patch",
			err:   forbidden("operator.tigera.io", "installations", "default", `User "jane" cannot patch resource "installations" in API group "operator.tigera.io" at the cluster scope`),
			tried: Permission{Verb: "patch", Group: "operator.tigera.io", Resource: "installations", Name: "default"},
			want:  `user "jane" lacks the permission to patch installations.operator.tigera.io "default"`,
		},
		{
			name:  "namespaced subresource, the server's account wins",
			err:   forbidden("", "pods", "calico-node-x", `User "system:serviceaccount:ci:bot" cannot create resource "pods/exec" in API group "" in the namespace "calico-system"`),
			tried: Permission{Verb: "get", Resource: "pods", Subresource: "exec", Namespace: "calico-system"},
			want:  `user "system:serviceaccount:ci:bot" lacks the permission to create pods/exec "calico-node-x" in namespace calico-system`,
		},
		{
			name:  "create names no object: the caller's name stays",
			err:   forbidden("", "configmaps", "", `User "jane" cannot create resource "configmaps" in API group "" in the namespace "tigera-operator"`),
			tried: Permission{Verb: "create", Resource: "configmaps", Namespace: "tigera-operator", Name: "kubernetes-services-endpoint"},
			want:  `user "jane" lacks the permission to create configmaps "kubernetes-services-endpoint" in namespace tigera-operator`,
		},
		{
			name: "an admission policy's 403 is no missing permission",
			err:  forbidden("", "pods", "x", `pods "x" is forbidden: violates PodSecurity "restricted:latest"`),
		},
		{
			name: "not a 403",
			err:  apierrors.NewNotFound(schema.GroupResource{Resource: "configmaps"}, "x"),
		},
		{
			name: "not an API error",
			err:  fmt.Errorf("dial tcp: connection refused"),
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := FromForbidden(c.err, c.tried)
			if c.want == "" {
				if got != c.err {
					t.Errorf("changed to %v", got)
				}
				return
			}
			var ae *AccessError
			if !errors.As(got, &ae) || got.Error() != c.want {
				t.Errorf("got %v\nwant %s", got, c.want)
			}
			if !apierrors.IsForbidden(got) {
				t.Errorf("apierrors.IsForbidden is false after wrapping")
			}
		})
	}
}
