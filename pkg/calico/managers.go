package calico

import "fmt"

// Claim is one tool's mark on an object: it will undo changes made behind its back, and the
// operator's kubeProxyManagement refuses a kube-proxy DaemonSet that carries one.
type Claim struct {
	// Tool is the tool alone: "the addon manager", "Argo CD", "Flux (Kustomization)", or the
	// value of app.kubernetes.io/managed-by.
	Tool string
	// Manager names the tool: "the addon manager (Reconcile)", "Argo CD", "Flux (Kustomization)",
	// or the value of app.kubernetes.io/managed-by.
	Manager string
	// Evidence is the label or annotation that says so: "label addonmanager.kubernetes.io/mode=Reconcile".
	Evidence string
}

// managerMarks are the labels and annotations by which tools claim an object, in the order
// they are reported (the operator's own list, pkg/controller/kubeproxy, plus Flux's).
var managerMarks = []struct {
	key, name string
	label     bool
}{
	{"addonmanager.kubernetes.io/mode", "the addon manager", true},
	{"argocd.argoproj.io/tracking-id", "Argo CD", false},
	{"kustomize.toolkit.fluxcd.io/name", "Flux (Kustomization)", true},
	{"helm.toolkit.fluxcd.io/name", "Flux (HelmRelease)", true},
	{"app.kubernetes.io/managed-by", "", true},
}

// ClaimsOn lists the tools that claim an object with these labels and annotations.
func ClaimsOn(labels, annotations map[string]string) []Claim {
	var out []Claim
	for _, m := range managerMarks {
		src, kind := annotations, "annotation"
		if m.label {
			src, kind = labels, "label"
		}
		v, ok := src[m.key]
		if !ok {
			continue
		}
		tool := m.name
		if tool == "" {
			tool = v
		}
		manager := tool
		if m.key == "addonmanager.kubernetes.io/mode" {
			manager += " (" + v + ")"
		}
		out = append(out, Claim{Tool: tool, Manager: manager, Evidence: fmt.Sprintf("%s %s=%s", kind, m.key, v)})
	}
	return out
}
