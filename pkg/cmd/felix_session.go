package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/calico"
	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/felixconfig"
	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/kube"
)

// felixSession is what the FelixConfiguration commands (config, dsr, debug) learn about the
// cluster before they read or write: which API serves FelixConfiguration, the Calico install,
// and the Calico version of every node.
type felixSession struct {
	clients  *kube.Clients
	fc       kube.FelixConfigs
	install  *kube.CalicoInstall
	versions []felixconfig.NodeVersion
	// unknown names nodes whose Calico version the image tag does not tell.
	unknown []string
}

// openFelix detects the API (projectcalico.org/v3 when the Calico API server or native v3
// CRDs serve it, else crd.projectcalico.org/v1) with a fresh discovery client: kubectl's
// discovery cache can outlive an API server being installed or removed.
func openFelix(ctx context.Context, clients *kube.Clients, calicoNamespace string) (*felixSession, error) {
	gvr, err := kube.FelixConfigurationGVR(clients.Kube.Discovery())
	if err != nil {
		return nil, err
	}
	install, err := kube.DetectCalico(ctx, clients.Kube, clients.Dynamic, calicoNamespace)
	if err != nil {
		return nil, err
	}
	s := &felixSession{clients: clients, fc: kube.FelixConfigs{Dynamic: clients.Dynamic, GVR: gvr}, install: install}
	pods, err := kube.CalicoNodePods(ctx, clients.Kube, install.Namespace)
	if err != nil {
		return nil, err
	}
	for _, node := range kube.SortedNodeNames(pods) {
		tag := calico.ImageTag(kube.PodImage(pods[node], calico.NodeContainer))
		s.versions = append(s.versions, felixconfig.NodeVersion{Node: node, Version: tag})
		if calico.ParseVersion(tag) == nil {
			s.unknown = append(s.unknown, fmt.Sprintf("%s (image tag %q)", node, tag))
		}
	}
	if len(pods) == 0 && install.Image != "" {
		// No pod yet: the DaemonSet's template is what the nodes will run.
		s.versions = append(s.versions, felixconfig.NodeVersion{Node: "daemonset " + install.Namespace + "/" + calico.NodeDaemonSet, Version: install.Version()})
	}
	return s, nil
}

func (s *felixSession) operator() bool { return s.install.Flavour == calico.FlavourOperator }

// read returns FelixConfiguration "default" (Exists false when there is none).
func (s *felixSession) read(ctx context.Context) (felixconfig.Object, error) {
	u, err := s.fc.Get(ctx, calico.DefaultName)
	if err != nil || u == nil {
		return felixconfig.Object{Spec: map[string]any{}}, err
	}
	return objectOf(u), nil
}

func objectOf(u *unstructured.Unstructured) felixconfig.Object {
	spec, _, _ := unstructured.NestedMap(u.Object, "spec")
	if spec == nil {
		spec = map[string]any{}
	}
	return felixconfig.Object{Exists: true, ResourceVersion: u.GetResourceVersion(), Spec: spec, Annotations: u.GetAnnotations()}
}

// overrides finds where a bpf* field is set closer to a node than FelixConfiguration default:
// node.<name> FelixConfigurations and FELIX_* variables on calico-node, which both win over
// it. Failing to read them is a warning, not an error: they only explain.
func (s *felixSession) overrides(ctx context.Context) (map[string][]string, []string) {
	out := map[string][]string{}
	var warnings []string
	items, err := s.fc.List(ctx)
	if err != nil {
		warnings = append(warnings, "cannot check per-node FelixConfigurations: "+err.Error())
	}
	for _, u := range items {
		if !strings.HasPrefix(u.GetName(), "node.") {
			continue
		}
		spec, _, _ := unstructured.NestedMap(u.Object, "spec")
		for k := range spec {
			if f, err := felixconfig.Lookup(k); err == nil {
				out[f.Name] = append(out[f.Name], "FelixConfiguration "+u.GetName())
			}
		}
	}
	if ds := s.install.DaemonSet; ds != nil {
		for _, c := range ds.Spec.Template.Spec.Containers {
			if c.Name != calico.NodeContainer {
				continue
			}
			for _, e := range c.Env {
				if !strings.HasPrefix(e.Name, "FELIX_BPF") {
					continue
				}
				if f, err := felixconfig.Lookup(e.Name); err == nil {
					out[f.Name] = append(out[f.Name], fmt.Sprintf("env %s on daemonset %s/%s", e.Name, ds.Namespace, ds.Name))
				}
			}
		}
	}
	return out, warnings
}

// dryRunMode follows kubectl's --dry-run: none, client (print, send nothing that writes),
// server (the API server validates the write and persists nothing).
type dryRunMode string

const (
	dryRunNone   dryRunMode = "none"
	dryRunClient dryRunMode = "client"
	dryRunServer dryRunMode = "server"
)

func parseDryRun(s string) (dryRunMode, error) {
	switch m := dryRunMode(s); m {
	case dryRunNone, dryRunClient, dryRunServer:
		return m, nil
	case "":
		return dryRunNone, nil
	}
	return "", usageErrorf(`invalid --dry-run value %q: use "none", "server" or "client"`, s)
}

// writeFlags are shared by every command that writes FelixConfiguration.
type writeFlags struct {
	DryRun          string
	Wait            bool
	Timeout         time.Duration
	Force           bool
	CalicoNamespace string
	dryRun          dryRunMode
}

// writeOut is where a write reports: the diff and outcome to out, progress to errOut.
type writeOut struct{ out, errOut io.Writer }

func (w *writeFlags) complete() error {
	m, err := parseDryRun(w.DryRun)
	if err != nil {
		return err
	}
	w.dryRun = m
	if w.Timeout <= 0 {
		return usageErrorf("--timeout must be positive")
	}
	return nil
}

// conflictRetries bounds how often a write re-reads the object after someone else changed it
// between our read and our conditional write.
const conflictRetries = 3

// apply shows the diff that build's plan makes to FelixConfiguration "default", then writes it
// as one conditional JSON merge patch (or creates the object), or only validates it with
// --dry-run, and waits for calico-node. It reports whether anything changed.
func (s *felixSession) apply(ctx context.Context, w *writeFlags, o writeOut, build func(felixconfig.Object) (felixconfig.Plan, error)) (bool, error) {
	what := s.fc.What(calico.DefaultName)
	for attempt := 1; ; attempt++ {
		obj, err := s.read(ctx)
		if err != nil {
			return false, err
		}
		plan, err := build(obj)
		if err != nil {
			return false, err
		}
		changes := plan.Changes(obj, s.versions)
		if len(changes) == 0 {
			fmt.Fprintf(o.out, "%s: nothing to change\n", what)
			return false, nil
		}
		if !obj.Exists {
			fmt.Fprintf(o.out, "%s does not exist (Calico creates it when it starts; until then Felix uses its defaults): it will be created\n", what)
		}
		fmt.Fprintf(o.out, "%s:\n%s", what, felixconfig.FormatDiff(changes))
		s.warnOverrides(ctx, o.errOut, changes)
		if w.dryRun == dryRunClient {
			fmt.Fprintln(o.out, "dry run (client): nothing was sent; --dry-run=server has the API server validate it")
			return true, nil
		}
		dry := w.dryRun == dryRunServer
		perm := kube.Permission{Verb: "patch", Group: s.fc.GVR.Group, Resource: s.fc.GVR.Resource, Name: calico.DefaultName}
		if !obj.Exists {
			perm = kube.Permission{Verb: "create", Group: s.fc.GVR.Group, Resource: s.fc.GVR.Resource}
		}
		// Ask first, so that a user without the right gets told which one before anything is
		// sent; the API server's own refusal is turned into the same error.
		if err := kube.CheckAccess(ctx, s.clients.Kube, []kube.Permission{perm}); err != nil {
			return false, fmt.Errorf("%s %s: %w", perm.Verb, what, err)
		}
		if obj.Exists {
			var patch []byte
			if patch, err = felixconfig.MergePatch(changes, obj.ResourceVersion); err == nil {
				_, err = s.fc.Patch(ctx, calico.DefaultName, patch, dry)
			}
		} else {
			_, err = s.fc.Create(ctx, felixconfig.NewObject(s.fc.GVR.GroupVersion().String(), calico.DefaultName, changes), dry)
		}
		if (apierrors.IsConflict(err) || apierrors.IsAlreadyExists(err)) && attempt < conflictRetries {
			fmt.Fprintf(o.errOut, "%s changed while this command ran; reading it again\n", what)
			continue
		}
		if err != nil {
			return false, kube.FromForbidden(err, perm)
		}
		if dry {
			fmt.Fprintln(o.out, "dry run (server): the API server accepted the change; nothing was written")
			return true, nil
		}
		verb := "patched"
		if !obj.Exists {
			verb = "created"
		}
		fmt.Fprintf(o.out, "%s %s\n", what, verb)
		return true, s.waitFelix(ctx, w, o)
	}
}

// waitFelix waits, up to --timeout, until calico-node is Ready again after the write.
func (s *felixSession) waitFelix(ctx context.Context, w *writeFlags, o writeOut) error {
	if !w.Wait {
		return nil
	}
	fmt.Fprintf(o.errOut, "waiting up to %s for Felix to restart with the new settings (calico-node in %s)\n", w.Timeout, s.install.Namespace)
	wctx, cancel := context.WithTimeout(ctx, w.Timeout)
	defer cancel()
	err := kube.WaitFelixRestart(wctx, s.clients.Kube, s.install.Namespace, func(msg string) { fmt.Fprintln(o.errOut, "  "+msg) })
	if err != nil {
		return fmt.Errorf("the change was written, but: %w", err)
	}
	return nil
}

// warnOverrides says when a change will not reach some nodes.
func (s *felixSession) warnOverrides(ctx context.Context, errOut io.Writer, changes []felixconfig.Change) {
	over, warnings := s.overrides(ctx)
	for _, msg := range warnings {
		fmt.Fprintln(errOut, "warning: "+msg)
	}
	for _, c := range changes {
		for _, where := range over[c.Name] {
			fmt.Fprintf(errOut, "warning: %s is also set by %s, which wins there over FelixConfiguration default\n", c.Name, where)
		}
	}
}

// checkFields refuses fields this cluster's Calico cannot take, and bpfEnabled where the
// operator owns it; --force lets the version check pass with a warning.
func (s *felixSession) checkFields(errOut io.Writer, as []felixconfig.Assignment, force bool) error {
	for _, a := range as {
		if a.Field.OperatorOwned { // removing it (NAME-) switches the dataplane as much as setting it
			if s.operator() {
				return fmt.Errorf("%s is written by the Tigera operator on this cluster (it sets it only after calico-node has rolled out with the BPF mounts, and refuses to run when someone else changed it): use `%s enable` or `%s disable`, which change Installation linuxDataplane", a.Field.Name, displayName, displayName)
			}
			if !force {
				return fmt.Errorf("%s alone switches the dataplane without the rest of the runbook (API server endpoint, kube-proxy): use `%s enable` or `%s disable`, or --force", a.Field.Name, displayName, displayName)
			}
		}
		err := a.Field.CheckVersions(a.Value, s.versions)
		var ve *felixconfig.VersionError
		if errors.As(err, &ve) && force {
			fmt.Fprintf(errOut, "warning: --force: %v\n", err)
			continue
		}
		if err != nil {
			return err
		}
	}
	if len(s.unknown) > 0 {
		fmt.Fprintf(errOut, "warning: Calico version unknown on %s: fields not checked against it\n", strings.Join(s.unknown, ", "))
	}
	return nil
}
