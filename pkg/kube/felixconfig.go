package kube

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
)

// FieldManager names the plugin in managedFields of what it writes.
const FieldManager = "kubectl-calico-ebpf"

// FelixConfigs reads and writes FelixConfiguration objects through one API (see
// FelixConfigurationGVR for which).
type FelixConfigs struct {
	Dynamic dynamic.Interface
	GVR     schema.GroupVersionResource
}

// What names the object in errors: felixconfigurations.crd.projectcalico.org/default.
func (f FelixConfigs) What(name string) string {
	return f.GVR.GroupResource().String() + "/" + name
}

// Get returns the object, or nil when it does not exist.
func (f FelixConfigs) Get(ctx context.Context, name string) (*unstructured.Unstructured, error) {
	obj, err := f.Dynamic.Resource(f.GVR).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", f.What(name), err)
	}
	return obj, nil
}

// List returns every FelixConfiguration (the cluster-wide default and node.<name> overrides).
func (f FelixConfigs) List(ctx context.Context) ([]unstructured.Unstructured, error) {
	list, err := f.Dynamic.Resource(f.GVR).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", f.GVR.GroupResource(), err)
	}
	return list.Items, nil
}

// Patch applies a JSON merge patch. dryRun asks the API server to validate and answer
// without persisting anything (dryRun=All).
func (f FelixConfigs) Patch(ctx context.Context, name string, patch []byte, dryRun bool) (*unstructured.Unstructured, error) {
	opts := metav1.PatchOptions{FieldManager: FieldManager}
	if dryRun {
		opts.DryRun = []string{metav1.DryRunAll}
	}
	obj, err := f.Dynamic.Resource(f.GVR).Patch(ctx, name, types.MergePatchType, patch, opts)
	if err != nil {
		return nil, writeError("patch", f.What(name), err)
	}
	return obj, nil
}

// Create creates the object from body; dryRun as for Patch.
func (f FelixConfigs) Create(ctx context.Context, body map[string]any, dryRun bool) (*unstructured.Unstructured, error) {
	opts := metav1.CreateOptions{FieldManager: FieldManager}
	if dryRun {
		opts.DryRun = []string{metav1.DryRunAll}
	}
	u := &unstructured.Unstructured{Object: body}
	obj, err := f.Dynamic.Resource(f.GVR).Create(ctx, u, opts)
	if err != nil {
		return nil, writeError("create", f.What(u.GetName()), err)
	}
	return obj, nil
}

// writeError names the verb and the object, and for the answers a user can act on says what
// to do: the API server's own message already names the user and resource.
func writeError(verb, what string, err error) error {
	switch {
	case apierrors.IsForbidden(err):
		return fmt.Errorf("%s %s: permission denied (needs RBAC verb %q on %s): %w", verb, what, verb, what, err)
	case apierrors.IsConflict(err):
		return fmt.Errorf("%s %s: it changed since it was read, so nothing was written; run the command again to see the new diff: %w", verb, what, err)
	}
	return fmt.Errorf("%s %s: %w", verb, what, err)
}
