package cmd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/enable"
	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/kube"
	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/output"
	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/verify"
)

// haltAfterStepEnv is for the end-to-end tests only: after the step with this number
// (1-based) the run stops and waits to be killed, so that a test can interrupt enable or
// disable at an exact point and check that the next run converges.
const haltAfterStepEnv = "KUBECTL_CALICO_EBPF_TEST_HALT_AFTER_STEP"

// EnableOptions holds the flags of `enable` and `disable`.
type EnableOptions struct {
	configFlags *genericclioptions.ConfigFlags
	genericiooptions.IOStreams
	disable bool

	APIServer            string
	Force                bool
	DSR                  bool
	Settle               time.Duration
	Timeout              time.Duration
	DryRun               string
	Output               string
	CalicoNamespace      string
	RemoveEndpointConfig bool
	ExecTransport        string

	format output.Format
}

func newEnableCmd(configFlags *genericclioptions.ConfigFlags, streams genericiooptions.IOStreams, disable bool) *cobra.Command {
	o := &EnableOptions{configFlags: configFlags, IOStreams: streams, disable: disable}
	cmd := &cobra.Command{
		Use:   "enable",
		Short: "Switch the cluster to the eBPF dataplane: API server endpoint, dataplane, kube-proxy off, rollout, verify",
		Long: "enable runs the eBPF runbook as a plan. Operator installs: the API server endpoint (bpfNetworkBootstrap on\n" +
			"operator v1.40+, else the kubernetes-services-endpoint ConfigMap, a pause for kubelets to see it, an operator\n" +
			"restart and the calico-node rollout), Installation linuxDataplane: BPF (with kubeProxyManagement on v1.40+, and\n" +
			"hostPorts: Disabled where the operator does not support them with BPF), the rollout, kube-proxy off once BPF\n" +
			"serves Services, then verify --all-nodes. Manifest installs: the ConfigMap in kube-system, a rolling restart of\n" +
			"calico-node, FelixConfiguration bpfEnabled: true, kube-proxy off, verify.\n\n" +
			"Every object enable changes records what it changed (annotation " + enable.RestoreAnnotation + "), so\n" +
			"disable restores it exactly. Steps already done are skipped: if enable is interrupted, run it again to continue;\n" +
			"after success it says there is nothing to do. --dry-run prints the plan and has the API server validate each\n" +
			"write without storing it.",
		Example: "  " + displayName + " enable --dry-run\n" +
			"  " + displayName + " enable --api-server 10.0.1.20:6443 --dsr\n" +
			"  " + displayName + " enable -o yaml --dry-run=client",
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.Complete(); err != nil {
				return err
			}
			return o.Run(cmd.Context())
		},
	}
	if disable {
		cmd.Use = "disable"
		cmd.Short = "Switch the cluster back to the iptables dataplane, restoring what enable changed"
		cmd.Long = "disable reverses enable: kube-proxy back exactly as it was (before the dataplane changes, so Services stay\n" +
			"served), Installation linuxDataplane back (or FelixConfiguration bpfEnabled: false on manifest installs), the\n" +
			"Felix settings enable changed, and waits for both DaemonSets. The API server endpoint ConfigMap is kept unless\n" +
			"--remove-endpoint-config. Switching back interrupts connections through Services. Interrupted, it continues when\n" +
			"run again."
		cmd.Example = "  " + displayName + " disable --dry-run\n  " + displayName + " disable --remove-endpoint-config"
	}
	f := cmd.Flags()
	if !disable {
		f.StringVar(&o.APIServer, "api-server", "", "HOST:PORT calico-node uses to reach the API server (a load balancer); default: the only endpoint of Service default/kubernetes.")
		f.BoolVar(&o.Force, "force", false, "Go on where enable would refuse: kube-proxy managed by an addon manager or GitOps tool, a calico-node that may not see the endpoint ConfigMap.")
		f.BoolVar(&o.DSR, "dsr", false, "Also set bpfExternalServiceMode: DSR.")
		f.DurationVar(&o.Settle, "settle", 60*time.Second, "After writing the endpoint ConfigMap, how long to give kubelets to see it before restarting pods.")
	} else {
		f.BoolVar(&o.Force, "force", false, "Go on where disable would refuse: a calico-node whose FELIX_BPFENABLED=true overrides FelixConfiguration.")
		f.BoolVar(&o.RemoveEndpointConfig, "remove-endpoint-config", false, "Also remove the kubernetes-services-endpoint ConfigMap enable created (or restore one it changed).")
	}
	f.DurationVar(&o.Timeout, "timeout", 20*time.Minute, "Give up when the whole run takes longer; running the command again continues.")
	f.StringVar(&o.DryRun, "dry-run", "none", `"server": print the plan and have the API server validate every write, storing nothing; "client": print the plan only; "none": run it.`)
	f.Lookup("dry-run").NoOptDefVal = "server"
	f.StringVarP(&o.Output, "output", "o", "", "Plan format: table|yaml|json.")
	f.StringVar(&o.CalicoNamespace, "calico-namespace", "", "Namespace of calico-node (default: detected, calico-system or kube-system).")
	f.StringVar(&o.ExecTransport, "exec-transport", string(kube.TransportAuto), "Exec protocol for the checks: auto (WebSocket, then SPDY), websocket or spdy.")
	return cmd
}

// NewCmdEnable builds `enable`.
func NewCmdEnable(configFlags *genericclioptions.ConfigFlags, streams genericiooptions.IOStreams) *cobra.Command {
	return newEnableCmd(configFlags, streams, false)
}

// NewCmdDisable builds `disable`.
func NewCmdDisable(configFlags *genericclioptions.ConfigFlags, streams genericiooptions.IOStreams) *cobra.Command {
	return newEnableCmd(configFlags, streams, true)
}

// Complete checks the flags.
func (o *EnableOptions) Complete() error {
	f, err := output.ParseFormat(o.Output)
	if err != nil {
		return usageError{err}
	}
	if f == output.Wide {
		return usageErrorf("the plan has no wide table: use table, yaml or json")
	}
	o.format = f
	switch o.DryRun {
	case "none", "server", "client":
	default:
		return usageErrorf(`--dry-run must be "none", "server" or "client", not %q`, o.DryRun)
	}
	if o.Timeout <= 0 || o.Settle < 0 {
		return usageErrorf("--timeout must be positive and --settle not negative")
	}
	return nil
}

func (o *EnableOptions) name() string {
	if o.disable {
		return "disable"
	}
	return "enable"
}

// Run observes, plans, prints the plan and, unless it is a dry run, executes it.
func (o *EnableOptions) Run(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	clients, transport, err := execClients(o.configFlags, o.ExecTransport)
	if err != nil {
		return err
	}
	gatherer := &verify.Gatherer{
		Kube: clients.Kube, Dynamic: clients.Dynamic,
		Exec:      &kube.PodExecutor{Config: clients.Config, Client: clients.Kube, Transport: transport},
		Logs:      verify.KubeLogs{Client: clients.Kube},
		Namespace: o.CalicoNamespace, Parallel: 10, Timeout: 30 * time.Second,
	}
	bpf := bpfCheck(gatherer)
	felixGVR, err := kube.FelixConfigurationGVR(clients.Kube.Discovery())
	if err != nil {
		return err
	}
	ob := &enable.Observer{Kube: clients.Kube, Dynamic: clients.Dynamic, CalicoNamespace: o.CalicoNamespace, BPF: bpf}
	st, err := ob.Observe(ctx, felixGVR, !o.disable)
	if err != nil {
		return err
	}
	opts := enable.Options{APIServer: o.APIServer, Force: o.Force, DSR: o.DSR, Settle: o.Settle,
		RemoveEndpointConfig: o.RemoveEndpointConfig, WriteTimeout: time.Minute, WaitTimeout: o.Timeout}
	build := enable.BuildEnable
	if o.disable {
		build = enable.BuildDisable
	}
	plan, err := build(st, opts)
	if err != nil {
		return fmt.Errorf("%s: %w", o.name(), err)
	}
	for _, w := range plan.Warnings {
		fmt.Fprintf(o.ErrOut, "Warning: %s\n", w)
	}
	if !plan.Changes() {
		fmt.Fprintf(o.ErrOut, "%s: nothing to do: %s\n", o.name(), nothingToDo(o.disable))
		if o.disable || o.DryRun != "none" {
			return nil
		}
	} else if err := o.printPlan(plan); err != nil {
		return err
	}
	if o.DryRun == "client" {
		return nil
	}
	if err := kube.CheckAccess(ctx, clients.Kube, planPermissions(plan, st.CalicoNamespace)); err != nil {
		return fmt.Errorf("%s: %w (nothing was changed)", o.name(), err)
	}
	ex := &enable.Executor{
		Kube: clients.Kube, Dynamic: clients.Dynamic, DryRun: o.DryRun == "server", BPF: bpf,
		Progress: func(line string) { fmt.Fprintf(o.ErrOut, "%s: %s\n", o.name(), line) },
		Verify: func(ctx context.Context) error {
			deadline, _ := ctx.Deadline()
			vo := &VerifyOptions{IOStreams: o.IOStreams, AllNodes: true, Wait: true, Timeout: time.Until(deadline),
				Interval: 2 * time.Second, source: gatherer}
			return vo.Run(ctx)
		},
		AfterStep: o.haltHook(ctx),
	}
	if err := ex.Run(ctx, plan); err != nil {
		if o.DryRun == "server" {
			return fmt.Errorf("%s --dry-run: the API server rejected: %w", o.name(), err)
		}
		var se *enable.StepError
		if errors.As(err, &se) && se.Step.Action != enable.ActionVerify {
			fmt.Fprintf(o.ErrOut, "%s: stopped at step %d; every step before it is done. Run `%s %s` again with the same flags to continue.\n",
				o.name(), se.N, displayName, o.name())
		}
		return fmt.Errorf("%s: %w", o.name(), err)
	}
	if o.DryRun == "server" {
		fmt.Fprintf(o.ErrOut, "%s: dry run: the API server accepted every write; nothing was changed\n", o.name())
	}
	return nil
}

func nothingToDo(disable bool) string {
	if disable {
		return "the cluster runs the iptables dataplane and nothing enable changed is left"
	}
	return "the cluster already runs the eBPF dataplane"
}

// haltHook is the test-only stop of haltAfterStepEnv.
func (o *EnableOptions) haltHook(ctx context.Context) func(int) {
	k, err := strconv.Atoi(os.Getenv(haltAfterStepEnv))
	if err != nil || k <= 0 {
		return nil
	}
	return func(n int) {
		if n == k {
			fmt.Fprintf(o.ErrOut, "%s: halted after step %d (%s)\n", o.name(), n, haltAfterStepEnv)
			<-ctx.Done()
		}
	}
}

// bpfCheck asks verify whether every node runs BPF: its bpf and felix checks pass.
func bpfCheck(g *verify.Gatherer) enable.BPFCheck {
	return func(ctx context.Context) (bool, string, error) {
		cluster, nodes, _, err := g.Gather(ctx, kube.NodeSelection{All: true})
		if err != nil {
			return false, "", err
		}
		rep := verify.Evaluate(cluster, nodes)
		var not []string
		for _, n := range rep.Nodes {
			for _, c := range []verify.Check{verify.CheckRequested, verify.CheckFelix} {
				if r := n.Check(c); r.Status != verify.OK {
					not = append(not, fmt.Sprintf("%s %s %s: %s", n.Node, c, r.Status, r.Reason))
				}
			}
		}
		if len(rep.Nodes) == 0 {
			return false, "no node to check", nil
		}
		return len(not) == 0, strings.Join(not, "; "), nil
	}
}

// planPermissions is every write the plan may make, for the check before the first one.
func planPermissions(p *enable.Plan, calicoNamespace string) []kube.Permission {
	var perms []kube.Permission
	probes := false
	for _, s := range p.Steps {
		t := s.Target
		perm := kube.Permission{Group: t.GVR.Group, Resource: t.GVR.Resource, Namespace: t.Namespace, Name: t.Name}
		switch s.Action {
		case enable.ActionPatch, enable.ActionRolloutRestart:
			perm.Verb = "patch"
		case enable.ActionCreate:
			perm.Verb, perm.Name = "create", ""
			perms = append(perms, perm)
			perm.Verb, perm.Name = "patch", t.Name // an existing one is patched instead
		case enable.ActionDelete:
			perm.Verb = "delete"
		case enable.ActionRestartPods:
			perm.Verb = "delete"
		case enable.ActionWaitBPF, enable.ActionVerify:
			// These exec into every calico-node pod and read its log: without that the wait
			// could only time out, after the dataplane had been switched.
			if !probes {
				probes = true
				perms = append(perms,
					kube.Permission{Verb: "create", Resource: "pods", Subresource: "exec", Namespace: calicoNamespace},
					kube.Permission{Verb: "get", Resource: "pods", Subresource: "log", Namespace: calicoNamespace})
			}
			continue
		default:
			continue
		}
		perms = append(perms, perm)
	}
	return perms
}
