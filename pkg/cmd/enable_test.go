package cmd

import (
	"reflect"
	"strings"
	"testing"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/calico"
	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/enable"
	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/kube"
)

func TestEnableFlagErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"enable", "--dry-run=maybe"}, `--dry-run must be "none", "server" or "client", not "maybe"`},
		{[]string{"enable", "-o", "wide"}, "the plan has no wide table"},
		{[]string{"disable", "--api-server", "1.2.3.4:6443"}, "unknown flag: --api-server"},
		{[]string{"enable", "--remove-endpoint-config"}, "unknown flag: --remove-endpoint-config"},
		{[]string{"enable", "--timeout", "0s"}, "--timeout must be positive"},
		{[]string{"enable", "extra"}, `unknown command "extra"`},
	} {
		_, errOut, code := runRoot(t, c.args...)
		if code != 1 || !strings.Contains(errOut, c.want) || !strings.Contains(errOut, "--help") {
			t.Errorf("%v: exit %d, stderr %q, want %q", c.args, code, errOut, c.want)
		}
	}
}

func TestPlanPermissions(t *testing.T) {
	cm := enable.Ref{GVR: calico.InstallationGVR, Kind: "Installation", Name: "default"}
	pods := enable.Ref{Kind: "Pod", Namespace: "tigera-operator"}
	pods.GVR.Version, pods.GVR.Resource = "v1", "pods"
	p := &enable.Plan{Steps: []enable.Step{
		{Action: enable.ActionPatch, Target: cm},
		{Action: enable.ActionRestartPods, Target: pods},
		{Action: enable.ActionWaitRollout, Target: cm},
		{Action: enable.ActionVerify},
	}}
	want := []kube.Permission{
		{Verb: "patch", Group: "operator.tigera.io", Resource: "installations", Name: "default"},
		{Verb: "delete", Resource: "pods", Namespace: "tigera-operator"},
		{Verb: "create", Resource: "pods", Subresource: "exec", Namespace: "calico-system"},
		{Verb: "get", Resource: "pods", Subresource: "log", Namespace: "calico-system"},
	}
	if got := planPermissions(p, "calico-system"); !reflect.DeepEqual(got, want) {
		t.Errorf("planPermissions = %+v, want %+v", got, want)
	}
}
