package enable

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/calico"
)

// builder collects steps. Once a step that writes is in the plan, every later wait is kept
// even when it looks satisfied now: it depends on that write.
type builder struct {
	st    State
	o     Options
	plan  Plan
	dirty bool
}

func (b *builder) add(s Step, satisfied bool) {
	if s.Action == ActionRestartPods || s.Action == ActionRolloutRestart {
		// They restart what an earlier step of this plan writes.
		satisfied = satisfied && !b.dirty
	}
	if s.Action.Writes() {
		if satisfied {
			return
		}
		b.dirty = true
	} else if satisfied && !b.dirty {
		return
	}
	if s.Timeout == 0 {
		s.Timeout = b.o.WaitTimeout
		if s.Action.Writes() {
			s.Timeout = b.o.WriteTimeout
		}
		if s.Action == ActionSettle {
			s.Timeout = s.Settle + b.o.WriteTimeout
		}
	}
	b.plan.Steps = append(b.plan.Steps, s)
}

func (b *builder) warn(format string, a ...any) {
	b.plan.Warnings = append(b.plan.Warnings, fmt.Sprintf(format, a...))
}

// patch adds a recorded patch of obj, when it changes something.
func (b *builder) patch(ref Ref, obj map[string]any, patch map[string]any, why string) {
	b.add(Step{Action: ActionPatch, Target: ref, Patch: patch, Record: true, Why: why}, PatchSatisfied(obj, patch))
}

func (b *builder) waitRollout(ref Ref, expect map[string]any, env map[string]string, obj map[string]any, why string) {
	env0, _ := containerEnv(obj, calico.NodeContainer)
	done := b.st.rollout(ref).Done && PatchSatisfied(obj, expect) && (env == nil || envSatisfied(env0, env))
	b.add(Step{Action: ActionWaitRollout, Target: ref, Expect: expect, ExpectEnv: env, Why: why}, done)
}

// BuildEnable plans the switch to the eBPF dataplane. It is pure: everything comes from st.
func BuildEnable(st State, o Options) (*Plan, error) {
	b := &builder{st: st, o: o, plan: Plan{Title: "enable the eBPF dataplane (" + string(st.Flavour) + " install)"}}
	if st.CalicoNode == nil {
		return nil, fmt.Errorf("no calico-node DaemonSet in %s: is Calico installed?", st.CalicoNamespace)
	}
	if st.FelixConfiguration == nil {
		return nil, fmt.Errorf("FelixConfiguration %q not found (%s): Calico creates it at start-up; is calico-node running?", calico.DefaultName, st.FelixGVR.GroupVersion())
	}
	var err error
	switch st.Flavour {
	case calico.FlavourOperator:
		err = b.enableOperator()
	case calico.FlavourManifest:
		err = b.enableManifest()
	default:
		err = errors.New("cannot tell how Calico was installed (no Installation, no calico-node in calico-system or kube-system)")
	}
	if err != nil {
		return nil, err
	}
	b.add(Step{Action: ActionVerify, Why: "prove that every node runs the eBPF dataplane and kube-proxy is gone"}, false)
	return &b.plan, nil
}

func (b *builder) enableOperator() error {
	st, o := b.st, b.o
	instRef, felixRef, cmRef, _, nodeRef, opRef := refs(st)
	inst := st.Installation
	if inst == nil {
		return errors.New("operator install without Installation \"default\": the operator renders calico-node from it")
	}
	bootstrapCap, hostPortsOK, known := features(st)
	if !known {
		b.warn("the operator's version is unknown (image %q): planning for an operator before v1.31, without bpfNetworkBootstrap and kubeProxyManagement", st.OperatorImage)
	}
	cnet := func(f string) string { return str(inst, "spec", "calicoNetwork", f) }
	bootstrapOn := cnet("bpfNetworkBootstrap") == "Enabled"
	cmPresent := st.EndpointConfigMap != nil

	// The API server endpoint: bpfNetworkBootstrap where the operator has it, unless a
	// ConfigMap is there already or --api-server names an address (bootstrap takes none).
	useBootstrap := false
	switch {
	case bootstrapOn && cmPresent:
		return fmt.Errorf("Installation has bpfNetworkBootstrap: Enabled and ConfigMap %s/%s exists; the operator refuses that combination: delete the ConfigMap or set bpfNetworkBootstrap to Disabled", cmRef.Namespace, cmRef.Name)
	case bootstrapOn && o.APIServer != "":
		return fmt.Errorf("--api-server needs the %s ConfigMap, but the Installation has bpfNetworkBootstrap: Enabled, which the operator does not allow with it: set bpfNetworkBootstrap to Disabled first, or drop --api-server", cmRef.Name)
	case bootstrapOn:
		useBootstrap = true
	case bootstrapCap && o.APIServer == "" && !cmPresent:
		useBootstrap = true
	}
	if !useBootstrap {
		if err := b.endpointConfigMap(cmRef); err != nil {
			return err
		}
		host, port := str(st.EndpointConfigMap, "data", "KUBERNETES_SERVICE_HOST"), str(st.EndpointConfigMap, "data", "KUBERNETES_SERVICE_PORT")
		// The values the ConfigMap holds after endpointConfigMap: it is rewritten whole when
		// --api-server is given or either key is missing.
		if o.APIServer != "" || host == "" || port == "" {
			host, port, _ = b.endpoint()
		}
		b.add(Step{Action: ActionSettle, Target: cmRef, Settle: o.Settle,
			Why: "kubelets cache ConfigMaps: a pod started before they see the new one would miss it (kubernetes/kubernetes#30189)"},
			b.settled())
		b.add(Step{Action: ActionRestartPods, Target: Ref{GVR: podGVR, Kind: "Pod", Namespace: calico.TigeraOperatorNamespace},
			Selector: OperatorPodSelector, After: &cmRef, Settle: o.Settle,
			Why: "the operator reads the ConfigMap into its own environment at start, to reach the API server without kube-proxy; deleting its pods (as the runbook does) leaves its Deployment, which the install tool owns, untouched"},
			podsNewer(st.OperatorPods, st.ConfigMapWritten.Add(o.Settle)))
		b.waitRollout(opRef, nil, nil, st.Operator, "the operator is back before calico-node is changed")
		b.waitRollout(nodeRef, nil, map[string]string{"KUBERNETES_SERVICE_HOST": host, "KUBERNETES_SERVICE_PORT": port}, st.CalicoNode,
			"the operator passes the endpoint to calico-node; every node must talk to the API server directly before BPF replaces kube-proxy")
	}

	b.felixPatch(felixRef, false)

	// kube-proxy: the operator's kubeProxyManagement where it has it and may manage the
	// DaemonSet; otherwise the runbook's nodeSelector.
	kpMode, err := b.kubeProxyMode(bootstrapCap || cnet("kubeProxyManagement") == "Enabled")
	if err != nil {
		return err
	}
	cn := map[string]any{"linuxDataplane": "BPF"}
	why := []string{"the operator re-renders calico-node for eBPF and, once it has rolled out, sets FelixConfiguration bpfEnabled itself (never written here: the operator owns it)"}
	if useBootstrap {
		cn["bpfNetworkBootstrap"] = "Enabled"
		why = append(why, "bpfNetworkBootstrap hands calico-node the API server's endpoints (operator v1.40+)")
	}
	if !hostPortsOK && cnet("hostPorts") != "Disabled" {
		cn["hostPorts"] = "Disabled"
		why = append(why, "this operator (before v1.31) rejects host ports with the eBPF dataplane; Disabled, not null, because the operator defaults null back to Enabled")
	}
	b.patch(instRef, inst, map[string]any{"spec": map[string]any{"calicoNetwork": cn}}, strings.Join(why, "; "))
	b.add(Step{Action: ActionWait, Target: felixRef, Expect: map[string]any{"spec": map[string]any{"bpfEnabled": true}},
		Why: "the operator sets bpfEnabled after calico-node has rolled out with the eBPF mounts"},
		PatchSatisfied(st.FelixConfiguration, map[string]any{"spec": map[string]any{"bpfEnabled": true}}))
	b.waitRollout(nodeRef, nil, nil, st.CalicoNode, "every calico-node pod runs the new template")
	b.add(Step{Action: ActionWaitBPF, Why: "kube-proxy goes only once Felix serves Services on every node, so Services never go unserved"}, st.BPFUp)
	if kpMode == kubeProxyByOperator {
		// Its own step, after wait-bpf: the operator turns kube-proxy off as soon as it has set
		// bpfEnabled, without looking at whether Felix really runs BPF (a node whose kernel
		// is too old falls back to iptables and would be left without kube-proxy).
		b.patch(instRef, inst, map[string]any{"spec": map[string]any{"calicoNetwork": map[string]any{"kubeProxyManagement": "Enabled"}}},
			"kubeProxyManagement: the operator turns kube-proxy off (and back on when BPF is off), now that Felix serves Services on every node")
	}
	b.kubeProxyOff(kpMode)
	return nil
}

func (b *builder) enableManifest() error {
	st := b.st
	_, felixRef, cmRef, _, nodeRef, _ := refs(st)
	env, envFrom := containerEnv(st.CalicoNode, calico.NodeContainer)
	if v, ok := env["FELIX_BPFENABLED"]; ok && v != "true" {
		return fmt.Errorf("calico-node in %s sets FELIX_BPFENABLED=%q, which overrides FelixConfiguration: remove that variable from the DaemonSet first", st.CalicoNamespace, v)
	}
	if str(st.CalicoNode, "spec", "updateStrategy", "type") == "OnDelete" {
		return fmt.Errorf("calico-node in %s uses the OnDelete update strategy, so a rolling restart would not restart its pods to read the endpoint ConfigMap: switch it to RollingUpdate, or restart its pods node by node yourself, then run enable again", st.CalicoNamespace)
	}
	if r := st.rollout(nodeRef); r.Err != "" {
		return fmt.Errorf("calico-node cannot be restarted to read the endpoint ConfigMap: %s", r.Err)
	}
	// calico-node must end up with the API server's address: from the ConfigMap (envFrom), or
	// from a literal KUBERNETES_SERVICE_HOST already in its env. An env entry of that name
	// that is empty or taken from elsewhere (calico-bpf.yaml reads calico-config's
	// kubernetes_service_host) wins over envFrom, so the ConfigMap would be ignored and
	// kube-proxy turned off under a calico-node that cannot reach the API server.
	host, explicit := env["KUBERNETES_SERVICE_HOST"]
	fromConfigMap := false
	for _, n := range envFrom {
		fromConfigMap = fromConfigMap || n == EndpointConfigMap
	}
	switch {
	case explicit && host == "" && !b.o.Force:
		return fmt.Errorf("calico-node in %s sets KUBERNETES_SERVICE_HOST in its env (empty, or from another ConfigMap such as calico-config's kubernetes_service_host), which overrides ConfigMap %s: set it to the API server's address there (HOST and PORT), then run enable again; --force goes on anyway", st.CalicoNamespace, EndpointConfigMap)
	case !explicit && !fromConfigMap && !b.o.Force:
		return fmt.Errorf("calico-node in %s does not read ConfigMap %s: add `envFrom: [{configMapRef: {name: %s, optional: true}}]` to its container, as calico.yaml does from v3.24, then run enable again; --force goes on anyway", st.CalicoNamespace, EndpointConfigMap, EndpointConfigMap)
	case !(explicit && host != "") && !fromConfigMap:
		b.warn("--force: calico-node in %s may not see ConfigMap %s; kube-proxy is turned off all the same", st.CalicoNamespace, EndpointConfigMap)
	}
	if err := b.endpointConfigMap(cmRef); err != nil {
		return err
	}
	b.add(Step{Action: ActionSettle, Target: cmRef, Settle: b.o.Settle,
		Why: "kubelets cache ConfigMaps: a pod started before they see the new one would miss it (kubernetes/kubernetes#30189)"}, b.settled())
	restarted := podsNewer(st.CalicoNodePods, st.ConfigMapWritten.Add(b.o.Settle))
	if t, err := time.Parse(time.RFC3339, strMap(st.CalicoNode, "spec", "template", "metadata", "annotations")[RestartedAtAnnotation]); err == nil && !t.Before(st.ConfigMapWritten.Add(b.o.Settle)) {
		restarted = true
	}
	b.add(Step{Action: ActionRolloutRestart, Target: nodeRef, After: &cmRef, Settle: b.o.Settle,
		Why: "calico-node reads the ConfigMap (envFrom) only when its container starts; a rolling restart keeps nodes up"}, restarted)
	b.waitRollout(nodeRef, nil, nil, st.CalicoNode, "every node talks to the API server directly before BPF replaces kube-proxy")
	b.felixPatch(felixRef, true)
	b.add(Step{Action: ActionWaitBPF, Why: "Felix restarts itself in BPF mode; kube-proxy goes only once it serves Services on every node"}, st.BPFUp)
	mode, err := b.kubeProxyMode(false)
	if err != nil {
		return err
	}
	b.kubeProxyOff(mode)
	return nil
}

// felixPatch sets what enable wants of FelixConfiguration: bpfEnabled on manifest installs,
// kube-proxy's iptables cleanup where it was turned off, and DSR with --dsr.
func (b *builder) felixPatch(ref Ref, bpf bool) {
	spec := map[string]any{}
	var why []string
	if bpf {
		spec["bpfEnabled"] = true
		why = append(why, "turns the eBPF dataplane on (Felix restarts itself)")
	}
	if v, ok := nested(b.st.FelixConfiguration, "spec", "bpfKubeProxyIptablesCleanupEnabled"); ok && v == false {
		spec["bpfKubeProxyIptablesCleanupEnabled"] = true
		why = append(why, "Felix removes kube-proxy's leftover iptables rules once kube-proxy is off")
	}
	if b.o.DSR {
		spec["bpfExternalServiceMode"] = "DSR"
		why = append(why, "--dsr: replies to external clients leave from the backend's node")
	}
	if len(spec) > 0 {
		b.patch(ref, b.st.FelixConfiguration, map[string]any{"spec": spec}, strings.Join(why, "; "))
	}
}

// endpointConfigMap creates the kubernetes-services-endpoint ConfigMap, or corrects it to
// --api-server. A ConfigMap that is there already is kept as it is without --api-server.
func (b *builder) endpointConfigMap(ref Ref) error {
	cur := b.st.EndpointConfigMap
	if cur != nil && b.o.APIServer == "" {
		if str(cur, "data", "KUBERNETES_SERVICE_HOST") != "" && str(cur, "data", "KUBERNETES_SERVICE_PORT") != "" {
			return nil
		}
	}
	host, port, err := b.endpoint()
	if err != nil {
		return err
	}
	data := map[string]any{"KUBERNETES_SERVICE_HOST": host, "KUBERNETES_SERVICE_PORT": port}
	why := "calico-node must reach the API server without kube-proxy: " + net.JoinHostPort(host, port)
	if b.o.APIServer != "" {
		why += " (--api-server)"
	} else {
		why += " (the only endpoint of Service default/kubernetes)"
	}
	if cur == nil {
		b.add(Step{Action: ActionCreate, Target: ref, Why: why, Object: map[string]any{
			"apiVersion": "v1", "kind": "ConfigMap",
			"metadata": map[string]any{"name": ref.Name, "namespace": ref.Namespace,
				"annotations": map[string]any{CreatedAnnotation: "true"}},
			"data": data,
		}}, false)
		return nil
	}
	b.patch(ref, cur, map[string]any{"data": data}, why)
	return nil
}

// endpoint is --api-server, or the one endpoint of Service default/kubernetes.
func (b *builder) endpoint() (string, string, error) {
	if b.o.APIServer != "" {
		return splitHostPort(b.o.APIServer)
	}
	eps := b.st.APIEndpoints
	switch len(eps) {
	case 0:
		return "", "", errors.New("Service default/kubernetes has no ready endpoint to give calico-node: name the API server with --api-server HOST:PORT")
	case 1:
		h, p, _ := net.SplitHostPort(eps[0])
		return h, p, nil
	}
	return "", "", fmt.Errorf("Service default/kubernetes has %d endpoints (%s), but calico-node takes one address and, without kube-proxy, "+
		"nothing balances between them: put a load balancer in front of the API servers and give it with --api-server HOST:PORT (or one API server's address)",
		len(eps), strings.Join(eps, ", "))
}

func (b *builder) settled() bool {
	w := b.st.ConfigMapWritten
	return !w.IsZero() && b.st.Now.Sub(w) >= b.o.Settle
}

// podsNewer: there are pods and every live one started at or after t.
func podsNewer(pods []Pod, t time.Time) bool {
	live := 0
	for _, p := range pods {
		if p.Deleting {
			continue
		}
		live++
		if p.Created.Before(t) {
			return false
		}
	}
	return live > 0
}

type kubeProxyModeT int

const (
	kubeProxyNone       kubeProxyModeT = iota // no DaemonSet
	kubeProxyBySelector                       // the runbook's nodeSelector
	kubeProxyByOperator                       // kubeProxyManagement
)

func (b *builder) kubeProxyMode(operatorCan bool) (kubeProxyModeT, error) {
	kp := b.st.KubeProxy
	if kp == nil {
		b.warn("no DaemonSet kube-system/kube-proxy: nothing to turn off (if kube-proxy runs another way, e.g. as static pods, stop it yourself)")
		return kubeProxyNone, nil
	}
	if m := managedBy(kp); m != "" {
		if !b.o.Force {
			return 0, fmt.Errorf("DaemonSet kube-system/kube-proxy is managed by %s, which would undo turning it off (and the operator's kubeProxyManagement refuses it): turn kube-proxy off through that tool, or pass --force to patch it anyway", m)
		}
		b.warn("DaemonSet kube-system/kube-proxy is managed by %s: it may put kube-proxy back (--force)", m)
		return kubeProxyBySelector, nil
	}
	if operatorCan {
		return kubeProxyByOperator, nil
	}
	return kubeProxyBySelector, nil
}

func (b *builder) kubeProxyOff(mode kubeProxyModeT) {
	_, _, _, kpRef, _, _ := refs(b.st)
	switch mode {
	case kubeProxyByOperator:
		b.waitRollout(kpRef, nodeSelector(OperatorKubeProxyOffLabel, "true"), nil, b.st.KubeProxy,
			"the operator's kubeProxyManagement gives kube-proxy a nodeSelector no node matches once BPF is on")
	case kubeProxyBySelector:
		sel := nodeSelector(KubeProxyOffLabel, "true")
		b.patch(kpRef, b.st.KubeProxy, sel,
			"eBPF replaces kube-proxy: a nodeSelector no node matches stops it everywhere; the previous nodeSelector is recorded for disable")
		b.waitRollout(kpRef, sel, nil, b.st.KubeProxy, "kube-proxy's pods are gone from every node")
	}
}

func nodeSelector(key string, value any) map[string]any {
	return map[string]any{"spec": map[string]any{"template": map[string]any{"spec": map[string]any{"nodeSelector": map[string]any{key: value}}}}}
}
