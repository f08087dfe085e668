package enable

import (
	"errors"
	"fmt"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/calico"
)

// DisruptionWarning is said before disable changes anything.
const DisruptionWarning = "switching back from eBPF interrupts connections: established connections through Services and NodePorts may be reset; watch your workloads reconnect"

// dropRecord is the part of a restore patch that removes enable's record.
func dropRecord() map[string]any {
	return map[string]any{"metadata": map[string]any{"annotations": map[string]any{RestoreAnnotation: nil}}}
}

// restore adds a step that applies the undo enable recorded on obj, or fallback where there
// is no record (an enable by hand, or by an older version); it removes the record.
func (b *builder) restore(ref Ref, obj map[string]any, fallback map[string]any, why string) error {
	return b.restoreEnsuring(ref, obj, fallback, nil, why)
}

// restoreEnsuring is restore, plus what ensure asks of the object as the restore leaves it
// (nil: nothing more).
func (b *builder) restoreEnsuring(ref Ref, obj map[string]any, fallback map[string]any, ensure func(after map[string]any) map[string]any, why string) error {
	if obj == nil {
		return nil
	}
	rec, err := recorded(obj)
	if err != nil {
		return err
	}
	patch := fallback
	if rec != nil {
		patch = Merge(rec, dropRecord())
		why += "; restores the values recorded by enable"
	} else if patch != nil {
		why += "; no record of enable on the object, so the documented default"
	}
	if ensure != nil {
		if more := ensure(Apply(obj, patch)); more != nil {
			patch = Merge(patch, more)
		}
	}
	if len(patch) == 0 {
		return nil
	}
	b.add(Step{Action: ActionPatch, Target: ref, Patch: patch, DropRecord: rec != nil, Why: why}, PatchSatisfied(obj, patch))
	return nil
}

// BuildDisable plans the way back to the iptables dataplane, restoring what enable changed.
// It is pure.
func BuildDisable(st State, o Options) (*Plan, error) {
	b := &builder{st: st, o: o, plan: Plan{Title: "disable the eBPF dataplane (" + string(st.Flavour) + " install)"}}
	if st.CalicoNode == nil {
		return nil, fmt.Errorf("no calico-node DaemonSet in %s: is Calico installed?", st.CalicoNamespace)
	}
	var err error
	switch st.Flavour {
	case calico.FlavourOperator:
		err = b.disableOperator()
	case calico.FlavourManifest:
		err = b.disableManifest()
	default:
		err = errors.New("cannot tell how Calico was installed (no Installation, no calico-node in calico-system or kube-system)")
	}
	if err != nil {
		return nil, err
	}
	if len(b.plan.Steps) > 0 {
		b.plan.Warnings = append([]string{DisruptionWarning}, b.plan.Warnings...)
	}
	return &b.plan, nil
}

// kubeProxyOn restores kube-proxy first: its rules are in place before BPF stops serving
// Services.
func (b *builder) kubeProxyOn() error {
	_, _, _, kpRef, _, _ := refs(b.st)
	kp := b.st.KubeProxy
	if kp == nil {
		return nil
	}
	var fallback map[string]any
	if _, on := strMap(kp, "spec", "template", "spec", "nodeSelector")[KubeProxyOffLabel]; on {
		fallback = nodeSelector(KubeProxyOffLabel, nil)
	}
	if err := b.restore(kpRef, kp, fallback, "kube-proxy serves Services again before BPF stops"); err != nil {
		return err
	}
	b.waitRollout(kpRef, nil, nil, kp, "kube-proxy runs on every node it ran on before")
	return nil
}

func (b *builder) disableOperator() error {
	st := b.st
	instRef, felixRef, _, kpRef, nodeRef, _ := refs(st)
	inst := st.Installation
	if inst == nil {
		return errors.New("operator install without Installation \"default\"")
	}
	rec, err := recorded(inst)
	if err != nil {
		return err
	}
	kpm := str(inst, "spec", "calicoNetwork", "kubeProxyManagement") == "Enabled"
	if !kpm {
		if err := b.kubeProxyOn(); err != nil {
			return err
		}
	}
	// The dataplane first; with kubeProxyManagement the operator brings kube-proxy back when
	// BPF is off, so kubeProxyManagement itself is restored only after that.
	dataplane, rest := map[string]any(nil), map[string]any(nil)
	if rec != nil {
		dataplane, rest = Split(rec, []string{"spec", "calicoNetwork", "kubeProxyManagement"})
		dataplane, rest = rest, dataplane
	}
	why := "the operator re-renders calico-node without eBPF and clears bpfEnabled; restores the values recorded by enable"
	if rec == nil {
		why = "the operator re-renders calico-node without eBPF; no record of enable on the object, so the documented default"
	}
	patch := Merge(dataplane, iptablesInstallation(Apply(inst, dataplane)))
	drop := rec != nil && len(rest) == 0
	if drop {
		patch = Merge(patch, dropRecord())
	}
	if len(patch) > 0 {
		b.add(Step{Action: ActionPatch, Target: instRef, Patch: patch, DropRecord: drop, Why: why}, PatchSatisfied(inst, patch))
	}
	off := map[string]any{"spec": map[string]any{"bpfEnabled": false}}
	if _, set := nested(st.FelixConfiguration, "spec", "bpfEnabled"); set || b.dirty {
		b.add(Step{Action: ActionWait, Target: felixRef, Expect: off, Why: "the operator sets bpfEnabled: false once calico-node has rolled out"},
			PatchSatisfied(st.FelixConfiguration, off))
	}
	b.waitRollout(nodeRef, nil, nil, st.CalicoNode, "every calico-node pod runs without eBPF")
	if kpm {
		b.waitRollout(kpRef, nodeSelector(OperatorKubeProxyOffLabel, nil), nil, st.KubeProxy,
			"the operator's kubeProxyManagement removes its nodeSelector from kube-proxy once BPF is off")
		if rec != nil {
			patch := Merge(rest, dropRecord())
			b.add(Step{Action: ActionPatch, Target: instRef, Patch: patch, DropRecord: true,
				Why: "kubeProxyManagement back as it was, now that kube-proxy runs again; restores the values recorded by enable"}, PatchSatisfied(inst, patch))
		}
	}
	if err := b.restore(felixRef, st.FelixConfiguration, nil, "Felix settings enable changed"); err != nil {
		return err
	}
	return b.endpointBack(false)
}

// iptablesInstallation is what an Installation must also change, once the recorded values are
// back, to run the iptables dataplane: whatever a record says (one made on a cluster that was
// on BPF already, or by an older plugin), disable ends on Iptables. bpfNetworkBootstrap is
// valid only with BPF, so the operator would refuse an Iptables Installation that keeps it on.
func iptablesInstallation(after map[string]any) map[string]any {
	cn := map[string]any{}
	if str(after, "spec", "calicoNetwork", "linuxDataplane") == "BPF" {
		cn["linuxDataplane"] = "Iptables"
	}
	if str(after, "spec", "calicoNetwork", "bpfNetworkBootstrap") == "Enabled" {
		cn["bpfNetworkBootstrap"] = nil
	}
	if len(cn) == 0 {
		return nil
	}
	return map[string]any{"spec": map[string]any{"calicoNetwork": cn}}
}

func (b *builder) disableManifest() error {
	st := b.st
	_, felixRef, _, _, _, _ := refs(st)
	// calico-bpf.yaml sets FELIX_BPFENABLED=true on calico-node; the variable wins over
	// FelixConfiguration, so bpfEnabled: false would leave BPF on with kube-proxy back.
	if env, _ := containerEnv(st.CalicoNode, calico.NodeContainer); env["FELIX_BPFENABLED"] == "true" && !b.o.Force {
		return fmt.Errorf("calico-node in %s sets FELIX_BPFENABLED=true, which overrides FelixConfiguration: remove that variable from the DaemonSet (or set it to false), then run disable again; --force goes on anyway", st.CalicoNamespace)
	}
	if err := b.kubeProxyOn(); err != nil {
		return err
	}
	// Whatever a record says, Felix ends without eBPF.
	off := map[string]any{"spec": map[string]any{"bpfEnabled": false}}
	if err := b.restoreEnsuring(felixRef, st.FelixConfiguration, nil, func(after map[string]any) map[string]any {
		if v, _ := nested(after, "spec", "bpfEnabled"); v == true {
			return off
		}
		return nil
	}, "Felix restarts itself without eBPF"); err != nil {
		return err
	}
	return b.endpointBack(true)
}

// endpointBack restores the API server endpoint configuration with --remove-endpoint-config:
// the ConfigMap enable created is deleted (one it changed is restored), and on manifest
// installs calico-node is restarted, as enable did, so that no pod keeps the old values.
func (b *builder) endpointBack(manifest bool) error {
	st := b.st
	_, _, cmRef, _, nodeRef, _ := refs(st)
	cm := st.EndpointConfigMap
	if !b.o.RemoveEndpointConfig {
		if cm != nil && len(b.plan.Steps) > 0 {
			b.warn("ConfigMap %s/%s is kept, so calico-node keeps talking to the API server directly; --remove-endpoint-config removes it", cmRef.Namespace, cmRef.Name)
		}
		if manifest {
			b.waitRollout(nodeRef, nil, nil, st.CalicoNode, "calico-node is settled (on manifest installs Felix switches without a rollout)")
		}
		return nil
	}
	deleted, restored := false, false
	switch {
	case cm == nil:
	case createdByEnable(cm):
		b.add(Step{Action: ActionDelete, Target: cmRef, Why: "--remove-endpoint-config: enable created it"}, false)
		deleted = true
	default:
		rec, err := recorded(cm)
		if err != nil {
			return err
		}
		if rec != nil {
			if err := b.restore(cmRef, cm, nil, "--remove-endpoint-config"); err != nil {
				return err
			}
			restored = true
		} else {
			// Someone else made it (the runbook by hand, the install tool): deleting it could
			// cut calico-node off from the API server for reasons enable knows nothing of.
			b.warn("ConfigMap %s/%s was not created or changed by enable, so --remove-endpoint-config leaves it; delete it yourself if it should go", cmRef.Namespace, cmRef.Name)
		}
	}
	if manifest {
		if err := b.restore(nodeRef, st.CalicoNode, nil, "calico-node restarts without the endpoint"); err != nil {
			return err
		}
		b.waitRollout(nodeRef, nil, nil, st.CalicoNode, "every calico-node pod runs without the endpoint")
		return nil
	}
	switch {
	case deleted:
		b.waitRollout(nodeRef, nil, map[string]string{"KUBERNETES_SERVICE_HOST": "", "KUBERNETES_SERVICE_PORT": ""}, st.CalicoNode,
			"the operator re-renders calico-node without the endpoint")
	case restored:
		b.waitRollout(nodeRef, nil, nil, st.CalicoNode, "the operator re-renders calico-node with the endpoint as it was")
	}
	return nil
}
