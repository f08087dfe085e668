package verify

import (
	"errors"
	"strings"
	"testing"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/model"
)

func boolp(b bool) *bool { return &b }

func operatorBPF() ClusterFacts {
	return ClusterFacts{Flavour: "operator", Namespace: "calico-system", Installation: true, LinuxDataplane: "BPF", FelixConfiguration: true, BPFEnabled: boolp(true)}
}

func enabledLog(attach string) []model.FelixLogFact {
	return []model.FelixLogFact{
		{Kind: model.FactBPFEnabled, Time: "2026-01-01 10:00:00.000", Message: "BPF enabled, starting BPF endpoint manager and map manager."},
		{Kind: model.FactProgramAttached, Message: "Program attached to " + attach + ".", AttachMode: attach},
	}
}

func clsact(dev string) model.Qdisc {
	return model.Qdisc{Kind: "clsact", Handle: "ffff:", Dev: dev, Parent: "ffff:fff1"}
}

// healthyTC is a v3.29 node attaching with tc: clsact on eth0 and both workloads.
func healthyTC() NodeFacts {
	return NodeFacts{
		Node: "n1", Kernel: "5.15.0-126-generic", OSImage: "Ubuntu 22.04.5 LTS",
		Pod:          &PodFacts{Namespace: "calico-system", Name: "calico-node-a", Version: "v3.29.7", Phase: "Running", Ready: true},
		WorkloadPods: 2,
		KubeProxy:    Probe[[]string]{Done: true},
		Log:          Probe[[]model.FelixLogFact]{Value: enabledLog("TC"), Done: true},
		Qdiscs: Probe[[]model.Qdisc]{Value: []model.Qdisc{
			{Kind: "noqueue", Dev: "lo", Root: true}, {Kind: "mq", Dev: "eth0", Root: true},
			clsact("eth0"), clsact("cali1111"), clsact("cali2222"),
		}, Done: true},
		IfState:  Probe[[]model.IfState]{Value: []model.IfState{{Name: "eth0", Flags: model.IfV4Ready}}, Done: true},
		TCXLinks: Probe[[]string]{Err: errors.New("ls: cannot access '/sys/fs/bpf/tcx': No such file or directory"), Done: true},
		Mounts:   Probe[[]Mount]{Value: []Mount{{"proc", "/proc", "proc"}, {"bpffs", "/sys/fs/bpf", "bpf"}}, Done: true},
	}
}

// healthyTCX is a v3.32 node attaching with TCX: no clsact, pinned links and ready ifstate.
func healthyTCX() NodeFacts {
	n := healthyTC()
	n.Kernel, n.OSImage = "6.8.0-49-generic", "Ubuntu 24.04.1 LTS"
	n.Pod.Version = "v3.32.1"
	n.Log.Value = enabledLog("tcx")
	n.Qdiscs.Value = []model.Qdisc{{Kind: "mq", Dev: "eth0", Root: true}}
	n.IfState.Value = []model.IfState{
		{Name: "eth0", Flags: model.IfV4Ready | model.IfHost}, {Name: "bond0", Flags: model.IfHost},
		{Name: "cali1111", Flags: model.IfWorkload | model.IfV4Ready}, {Name: "cali2222", Flags: model.IfWorkload | model.IfV4Ready},
	}
	n.TCXLinks = Probe[[]string]{Value: []string{"eth0_ingress", "eth0_egress", "cali1111_ingress", "cali1111_egress", "cali2222_ingress", "cali2222_egress"}, Done: true}
	return n
}

func TestEvaluate(t *testing.T) {
	manifest := ClusterFacts{Flavour: "manifest", Namespace: "kube-system", FelixConfiguration: true}
	tests := []struct {
		name    string
		cluster ClusterFacts
		node    func() NodeFacts
		check   Check
		want    Status
		reason  string // substring of the cell
	}{
		// pod
		{"pod ready", operatorBPF(), healthyTC, CheckPod, OK, "ready"},
		{"pod missing", operatorBPF(), func() NodeFacts { n := healthyTC(); n.Pod = nil; return n }, CheckPod, Fail, "no calico-node pod"},
		{"pod crashloop", operatorBPF(), func() NodeFacts {
			n := healthyTC()
			n.Pod.Ready, n.Pod.Restarts, n.Pod.Waiting, n.Pod.LastTermination = false, 6, "CrashLoopBackOff", "failed to connect to datastore"
			return n
		}, CheckPod, Fail, "CrashLoopBackOff: failed to connect"},
		{"pod restarted", operatorBPF(), func() NodeFacts { n := healthyTC(); n.Pod.Restarts = 2; return n }, CheckPod, Warn, "2 restarts"},
		{"pod not ready", operatorBPF(), func() NodeFacts { n := healthyTC(); n.Pod.Ready = false; return n }, CheckPod, Fail, "not ready"},
		{"pod pending", operatorBPF(), func() NodeFacts { n := healthyTC(); n.Pod.Phase = "Pending"; return n }, CheckPod, Fail, "phase Pending"},
		{"pod deleting", operatorBPF(), func() NodeFacts { n := healthyTC(); n.Pod.Deleting = true; return n }, CheckPod, Fail, "being deleted"},

		// bpf requested
		{"operator BPF", operatorBPF(), healthyTC, CheckRequested, OK, "Installation BPF"},
		{"operator iptables", ClusterFacts{Installation: true, LinuxDataplane: "Iptables"}, healthyTC, CheckRequested, Fail, "linuxDataplane=Iptables"},
		{"operator default dataplane", ClusterFacts{Installation: true}, healthyTC, CheckRequested, Fail, "linuxDataplane=Iptables"},
		{"operator BPF not applied yet", ClusterFacts{Installation: true, LinuxDataplane: "BPF"}, healthyTC, CheckRequested, Fail, "not yet applied"},
		{"operator BPF via env", ClusterFacts{Installation: true, LinuxDataplane: "BPF"}, func() NodeFacts {
			n := healthyTC()
			n.Pod.BPFEnv, n.Pod.BPFEnvSet = "true", true
			return n
		}, CheckRequested, OK, "Installation BPF"},
		{"manifest felixconfig", ClusterFacts{BPFEnabled: boolp(true)}, healthyTC, CheckRequested, OK, "bpfEnabled=true"},
		{"manifest env", manifest, func() NodeFacts { n := healthyTC(); n.Pod.BPFEnv, n.Pod.BPFEnvSet = "true", true; return n }, CheckRequested, OK, "FELIX_BPFENABLED=true"},
		{"manifest env overrides config", ClusterFacts{BPFEnabled: boolp(true)}, func() NodeFacts {
			n := healthyTC()
			n.Pod.BPFEnv, n.Pod.BPFEnvSet = "false", true
			return n
		}, CheckRequested, Fail, "BPF not enabled"},
		{"manifest off", manifest, healthyTC, CheckRequested, Fail, "BPF not enabled"},
		{"config unreadable", ClusterFacts{Err: errors.New("forbidden")}, healthyTC, CheckRequested, Warn, "config unreadable"},

		// felix log
		{"felix enabled", operatorBPF(), healthyTC, CheckFelix, OK, "BPF enabled"},
		{"felix unsupported", operatorBPF(), func() NodeFacts {
			n := healthyTC()
			n.Kernel = "4.15.0-213-generic"
			n.Log.Value = []model.FelixLogFact{{Kind: model.FactBPFUnsupported, Message: "BPF dataplane mode enabled but not supported by the kernel.  Disabling BPF mode.", Error: "kernel is too old (have: 4.15.0 but want at least: 5.3.0)"}}
			return n
		}, CheckFelix, Fail, "kernel 4.15.0-213-generic not supported"},
		{"felix no line", operatorBPF(), func() NodeFacts { n := healthyTC(); n.Log.Value = nil; return n }, CheckFelix, Warn, "no BPF line"},
		{"felix log error", operatorBPF(), func() NodeFacts { n := healthyTC(); n.Log.Err = errors.New("forbidden"); return n }, CheckFelix, Warn, "log unreadable"},
		{"felix pod gone", operatorBPF(), func() NodeFacts { n := healthyTC(); n.Pod = nil; return n }, CheckFelix, Warn, "not checked"},

		// programs, tc
		{"tc healthy", operatorBPF(), healthyTC, CheckPrograms, OK, "tc: eth0 + 2/2 workloads"},
		{"tc no clsact", operatorBPF(), func() NodeFacts {
			n := healthyTC()
			n.Qdiscs.Value = []model.Qdisc{{Kind: "mq", Dev: "eth0", Root: true}}
			return n
		}, CheckPrograms, Fail, "no clsact on eth0"},
		{"tc workload missing clsact", operatorBPF(), func() NodeFacts {
			n := healthyTC()
			n.Qdiscs.Value = append(n.Qdiscs.Value, model.Qdisc{Kind: "noqueue", Dev: "cali3333", Root: true})
			return n
		}, CheckPrograms, Fail, "1 workload ifaces without clsact"},
		{"tc fewer workloads than pods", operatorBPF(), func() NodeFacts { n := healthyTC(); n.WorkloadPods = 3; return n }, CheckPrograms, Warn, "2/3 workloads"},
		{"tc no data iface", operatorBPF(), func() NodeFacts {
			n := healthyTC()
			n.Qdiscs.Value = []model.Qdisc{{Kind: "noqueue", Dev: "lo", Root: true}}
			return n
		}, CheckPrograms, Fail, "no data interface"},
		{"tc unreadable", operatorBPF(), func() NodeFacts { n := healthyTC(); n.Qdiscs.Err = errors.New("exec failed"); return n }, CheckPrograms, Fail, "qdiscs unreadable"},
		{"tc by config on v3.32", ClusterFacts{Installation: true, LinuxDataplane: "BPF", BPFEnabled: boolp(true), AttachType: "TC"}, func() NodeFacts {
			n := healthyTC()
			n.Pod.Version, n.Log.Value = "v3.32.1", enabledLog("tc")[:1]
			return n
		}, CheckPrograms, OK, "tc: eth0"},
		{"tcx fallback logged", operatorBPF(), func() NodeFacts {
			n := healthyTC()
			n.Pod.Version = "v3.32.1"
			n.Log.Value = append(enabledLog("tc")[:1], model.FelixLogFact{Kind: model.FactTCXFallback, Message: "tcx is not supported. Falling back to tc"})
			return n
		}, CheckPrograms, OK, "tc: eth0"},

		// programs, tcx
		{"tcx healthy", operatorBPF(), healthyTCX, CheckPrograms, OK, "tcx: eth0 + 2/2 workloads"},
		{"tcx by default without log", operatorBPF(), func() NodeFacts { n := healthyTCX(); n.Log.Value = nil; return n }, CheckPrograms, OK, "tcx: eth0"},
		{"tcx links only", operatorBPF(), func() NodeFacts { n := healthyTCX(); n.IfState.Err = errors.New("unsupported"); return n }, CheckPrograms, OK, "tcx: eth0 + 2/2"},
		{"tcx ifstate only", operatorBPF(), func() NodeFacts { n := healthyTCX(); n.TCXLinks.Err = errors.New("no such dir"); return n }, CheckPrograms, OK, "tcx: eth0 + 2/2"},
		{"tcx eth0 not ready", operatorBPF(), func() NodeFacts {
			n := healthyTCX()
			n.IfState.Value = []model.IfState{{Name: "eth0", Flags: model.IfHost}, {Name: "cali1111", Flags: model.IfWorkload}}
			return n
		}, CheckPrograms, Fail, "tcx: eth0 not ready"},
		{"tcx nothing", operatorBPF(), func() NodeFacts {
			n := healthyTCX()
			n.IfState.Value, n.TCXLinks.Value = nil, nil
			return n
		}, CheckPrograms, Fail, "no programs attached"},
		{"tcx no evidence", operatorBPF(), func() NodeFacts {
			n := healthyTCX()
			n.IfState.Err, n.TCXLinks.Err = errors.New("a"), errors.New("b")
			return n
		}, CheckPrograms, Fail, "no evidence"},
		{"tcx expected but clsact found", operatorBPF(), func() NodeFacts {
			n := healthyTC()
			n.Pod.Version, n.Log.Value = "v3.32.1", nil
			return n
		}, CheckPrograms, OK, "tc (tcx fallback)"},
		{"tcx fewer workloads", operatorBPF(), func() NodeFacts { n := healthyTCX(); n.WorkloadPods = 5; return n }, CheckPrograms, Warn, "2/5"},
		{"netkit config", ClusterFacts{Installation: true, LinuxDataplane: "BPF", AttachType: "Netkit"}, func() NodeFacts {
			n := healthyTCX()
			n.Pod.Version, n.Log.Value = "v3.33.0", nil
			return n
		}, CheckPrograms, OK, "tcx: eth0"},

		// bpffs
		{"bpffs mounted", operatorBPF(), healthyTC, CheckBPFFS, OK, "/sys/fs/bpf (bpf)"},
		{"bpffs absent", operatorBPF(), func() NodeFacts { n := healthyTC(); n.Mounts.Value = n.Mounts.Value[:1]; return n }, CheckBPFFS, Fail, "not mounted"},
		{"bpffs wrong type", operatorBPF(), func() NodeFacts {
			n := healthyTC()
			n.Mounts.Value = []Mount{{"tmpfs", "/sys/fs/bpf", "tmpfs"}}
			return n
		}, CheckBPFFS, Fail, "is tmpfs"},
		{"bpffs unreadable", operatorBPF(), func() NodeFacts { n := healthyTC(); n.Mounts.Err = errors.New("x"); return n }, CheckBPFFS, Fail, "unreadable"},

		// kube-proxy
		{"kube-proxy gone", operatorBPF(), healthyTC, CheckKubeProxy, OK, "none"},
		{"kube-proxy running", operatorBPF(), func() NodeFacts {
			n := healthyTC()
			n.KubeProxy.Value = []string{"kube-system/kube-proxy-abc"}
			return n
		}, CheckKubeProxy, Warn, "running: kube-system/kube-proxy-abc"},
		{"kube-proxy unknown", operatorBPF(), func() NodeFacts { n := healthyTC(); n.KubeProxy.Err = errors.New("forbidden"); return n }, CheckKubeProxy, Warn, "unknown"},

		// kernel
		{"kernel ok", operatorBPF(), healthyTC, CheckKernel, OK, "5.15.0-126-generic"},
		{"kernel old", operatorBPF(), func() NodeFacts { n := healthyTC(); n.Kernel = "4.19.0-26-amd64"; n.OSImage = "Debian 10"; return n }, CheckKernel, Fail, "< 5.3"},
		{"kernel 5.3.0 exact", operatorBPF(), func() NodeFacts { n := healthyTC(); n.Kernel = "5.3.0"; return n }, CheckKernel, OK, "5.3.0"},
		{"kernel rhel ok", operatorBPF(), func() NodeFacts {
			n := healthyTC()
			n.Kernel, n.OSImage = "4.18.0-193.el8.x86_64", "Red Hat Enterprise Linux 8.2 (Ootpa)"
			return n
		}, CheckKernel, OK, "4.18.0-193"},
		{"kernel rhel old", operatorBPF(), func() NodeFacts {
			n := healthyTC()
			n.Kernel, n.OSImage = "4.18.0-147.el8.x86_64", "CentOS Linux 8"
			return n
		}, CheckKernel, Fail, "< 4.18.0-193 (RHEL)"},
		{"kernel unknown", operatorBPF(), func() NodeFacts { n := healthyTC(); n.Kernel = ""; return n }, CheckKernel, Warn, "unknown kernel"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := Evaluate(tt.cluster, []NodeFacts{tt.node()})
			got := rep.Nodes[0].Check(tt.check)
			if got.Status != tt.want || !strings.Contains(got.Reason, tt.reason) {
				t.Fatalf("%s: got %s %q, want %s containing %q (seen: %s)", tt.check, got.Status, got.Reason, tt.want, tt.reason, got.Seen)
			}
			if got.Status != OK && (got.Seen == "" || got.Action == "") {
				t.Errorf("non-OK result without details: %+v", got)
			}
		})
	}
}

func TestEvaluateOverall(t *testing.T) {
	warn := healthyTCX()
	warn.Node = "n2"
	warn.KubeProxy.Value = []string{"kube-system/kube-proxy-x"}
	fail := healthyTC()
	fail.Node = "n3"
	fail.Mounts.Value = nil
	rep := Evaluate(operatorBPF(), []NodeFacts{healthyTC(), warn})
	if rep.Status != Warn || rep.Nodes[0].Status != OK || rep.Nodes[1].Status != Warn {
		t.Fatalf("statuses: %v %v %v", rep.Status, rep.Nodes[0].Status, rep.Nodes[1].Status)
	}
	if rep.Nodes[0].Attach != "tc" || rep.Nodes[1].Attach != "tcx" {
		t.Errorf("attach modes: %q %q", rep.Nodes[0].Attach, rep.Nodes[1].Attach)
	}
	rep = Evaluate(operatorBPF(), []NodeFacts{healthyTC(), warn, fail})
	if rep.Status != Fail {
		t.Fatalf("status %v", rep.Status)
	}
	if got := rep.NotPassing(Warn); strings.Join(got, ",") != "n2,n3" {
		t.Errorf("NotPassing(Warn) = %v", got)
	}
	if got := rep.NotPassing(Fail); strings.Join(got, ",") != "n3" {
		t.Errorf("NotPassing(Fail) = %v", got)
	}
	if rep.Requested != "Installation linuxDataplane=BPF" {
		t.Errorf("requested %q", rep.Requested)
	}
}

func TestParseKernel(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want kernelRelease
	}{
		{"6.8.0-49-generic", kernelRelease{6, 8, 0, 49}},
		{"5.14.0-427.42.1.el9_4.x86_64", kernelRelease{5, 14, 0, 427}},
		{"5.10", kernelRelease{5, 10, 0, 0}},
		{"4.18.0-193.el8.x86_64", kernelRelease{4, 18, 0, 193}},
	} {
		got, ok := parseKernel(tt.in)
		if !ok || got != tt.want {
			t.Errorf("parseKernel(%q) = %v %v", tt.in, got, ok)
		}
	}
	if _, ok := parseKernel("windows"); ok {
		t.Error("parsed a non-version")
	}
}
