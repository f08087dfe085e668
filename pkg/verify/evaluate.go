package verify

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/calico"
	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/model"
)

// Evaluate turns the facts into results: one per check per node. It is pure.
func Evaluate(c ClusterFacts, nodes []NodeFacts) Report {
	rep := Report{Flavour: c.Flavour, Namespace: c.Namespace, Requested: requestedSource(c)}
	for _, n := range nodes {
		nr := evaluateNode(c, n)
		if nr.Status > rep.Status {
			rep.Status = nr.Status
		}
		rep.Nodes = append(rep.Nodes, nr)
	}
	return rep
}

func evaluateNode(c ClusterFacts, n NodeFacts) NodeResult {
	nr := NodeResult{Node: n.Node}
	if n.Pod != nil {
		nr.Pod = n.Pod.Namespace + "/" + n.Pod.Name
		nr.Version = n.Pod.Version
	}
	mode, modeWhy := attachMode(c, n)
	programs := checkPrograms(n, mode, modeWhy)
	nr.Attach = mode
	if strings.HasPrefix(programs.Reason, "tc (") {
		nr.Attach = "tc"
	}
	nr.Checks = []Result{
		checkPod(n),
		checkRequested(c, n),
		checkFelix(n, programs),
		programs,
		checkBPFFS(n),
		checkKubeProxy(n),
		checkKernel(n),
	}
	for _, r := range nr.Checks {
		if r.Status > nr.Status {
			nr.Status = r.Status
		}
	}
	return nr
}

func ok(c Check, reason string) Result { return Result{Check: c, Status: OK, Reason: reason} }

func bad(c Check, s Status, reason, seen, action string) Result {
	return Result{Check: c, Status: s, Reason: reason, Seen: seen, Action: action}
}

// podUsable reports whether exec and logs can be expected to answer.
func podUsable(n NodeFacts) bool {
	return n.Pod != nil && n.Pod.Phase == "Running" && !n.Pod.Deleting && n.Pod.Waiting == ""
}

// notChecked is the result of a check that needs a running pod the node does not have.
func notChecked(c Check, n NodeFacts) Result {
	why := "no calico-node pod"
	if n.Pod != nil {
		why = "calico-node not running"
	}
	return bad(c, Warn, "not checked: "+why, "the check needs a running calico-node container on the node", "fix the pod first (see the pod column)")
}

func checkPod(n NodeFacts) Result {
	p := n.Pod
	if p == nil {
		return bad(CheckPod, Fail, "no calico-node pod", "no calico-node pod is scheduled on the node",
			"check the calico-node DaemonSet's nodeSelector, tolerations and events (kubectl describe ds calico-node)")
	}
	name := p.Namespace + "/" + p.Name
	if p.Waiting == "CrashLoopBackOff" {
		last := p.LastTermination
		if last == "" {
			last = "no termination message"
		}
		return bad(CheckPod, Fail, "CrashLoopBackOff: "+firstLine(last, 60),
			fmt.Sprintf("pod %s is in CrashLoopBackOff after %d restarts; last termination: %s", name, p.Restarts, last),
			"read its previous log: kubectl logs -n "+p.Namespace+" "+p.Name+" -c calico-node --previous")
	}
	if p.Deleting {
		return bad(CheckPod, Fail, "being deleted", "pod "+name+" is being deleted (a rollout in progress?)", "wait for its replacement and verify again (--wait)")
	}
	if p.Phase != "Running" {
		return bad(CheckPod, Fail, "phase "+p.Phase, "pod "+name+" is in phase "+p.Phase, "kubectl describe pod -n "+p.Namespace+" "+p.Name)
	}
	if p.Waiting != "" {
		return bad(CheckPod, Fail, "waiting: "+p.Waiting, fmt.Sprintf("container calico-node of %s is waiting: %s %s", name, p.Waiting, p.WaitingMessage), "kubectl describe pod -n "+p.Namespace+" "+p.Name)
	}
	if !p.Ready {
		return bad(CheckPod, Fail, "not ready", "pod "+name+" is running but not ready: calico-node's readiness probe fails",
			"read its log: kubectl logs -n "+p.Namespace+" "+p.Name+" -c calico-node")
	}
	if p.Restarts > 0 {
		seen := fmt.Sprintf("pod %s is ready but restarted %d times", name, p.Restarts)
		if p.LastTermination != "" {
			seen += "; last termination: " + p.LastTermination
		}
		return bad(CheckPod, Warn, fmt.Sprintf("ready, %d restarts", p.Restarts), seen,
			"read the previous log: kubectl logs -n "+p.Namespace+" "+p.Name+" -c calico-node --previous")
	}
	return ok(CheckPod, "ready")
}

// requestedSource says where the install asks for the BPF dataplane.
func requestedSource(c ClusterFacts) string {
	switch {
	case c.Installation:
		return "Installation linuxDataplane=" + orDefault(c.LinuxDataplane, "Iptables")
	case c.BPFEnabled != nil:
		return fmt.Sprintf("FelixConfiguration bpfEnabled=%t", *c.BPFEnabled)
	}
	return "FELIX_BPFENABLED on calico-node"
}

// nodeBPF is the BPF setting Felix on the node runs with: the pod's FELIX_BPFENABLED wins
// over FelixConfiguration.
func nodeBPF(c ClusterFacts, n NodeFacts) (bool, string) {
	if n.Pod != nil && n.Pod.BPFEnvSet {
		return strings.EqualFold(n.Pod.BPFEnv, "true"), "FELIX_BPFENABLED=" + n.Pod.BPFEnv
	}
	if c.BPFEnabled != nil {
		return *c.BPFEnabled, fmt.Sprintf("FelixConfiguration bpfEnabled=%t", *c.BPFEnabled)
	}
	return false, "neither FELIX_BPFENABLED nor FelixConfiguration bpfEnabled is set"
}

func checkRequested(c ClusterFacts, n NodeFacts) Result {
	if c.Err != nil {
		return bad(CheckRequested, Warn, "config unreadable", "reading the install's configuration failed: "+c.Err.Error(), "check that you may get installations and felixconfigurations")
	}
	on, why := nodeBPF(c, n)
	if c.Installation {
		dp := orDefault(c.LinuxDataplane, "Iptables")
		if dp != "BPF" {
			return bad(CheckRequested, Fail, "linuxDataplane="+dp, "operator install: Installation default has spec.calicoNetwork.linuxDataplane="+dp,
				"set it to BPF: kubectl patch installation default --type merge -p '{\"spec\":{\"calicoNetwork\":{\"linuxDataplane\":\"BPF\"}}}'")
		}
		if !on {
			return bad(CheckRequested, Fail, "BPF not yet applied", "Installation asks for BPF, but Felix on the node is not told to run it ("+why+"); the operator sets bpfEnabled once calico-node has rolled out",
				"wait for the calico-node rollout (verify --wait)")
		}
		return ok(CheckRequested, "Installation BPF")
	}
	if !on {
		return bad(CheckRequested, Fail, "BPF not enabled", "manifest install: "+why,
			"set FelixConfiguration default spec.bpfEnabled: true (or FELIX_BPFENABLED=true on calico-node)")
	}
	return ok(CheckRequested, why)
}

func checkFelix(n NodeFacts, programs Result) Result {
	if !podUsable(n) {
		return notChecked(CheckFelix, n)
	}
	if n.Log.Err != nil {
		return bad(CheckFelix, Warn, "log unreadable", "reading the calico-node log failed: "+n.Log.Err.Error()+"; falling back to the other evidence: programs "+programs.Status.String()+" ("+programs.Reason+")",
			"check that you may get pods/log")
	}
	var enabled, unsupported *model.FelixLogFact
	for i := range n.Log.Value {
		f := &n.Log.Value[i]
		switch f.Kind {
		case model.FactBPFEnabled:
			if strings.HasPrefix(f.Message, "BPF enabled, starting BPF endpoint manager") {
				enabled = f
			}
		case model.FactBPFUnsupported:
			unsupported = f
		}
	}
	if unsupported != nil {
		kernel := n.Kernel
		seen := "Felix logged \"" + unsupported.Message + "\""
		if unsupported.Time != "" {
			seen += " at " + unsupported.Time
		}
		if unsupported.Error != "" {
			seen += " (" + unsupported.Error + ")"
		}
		seen += "; it runs without BPF. Node kernel: " + orDefault(kernel, "unknown")
		return bad(CheckFelix, Fail, "kernel "+orDefault(kernel, "?")+" not supported", seen,
			"upgrade the node's kernel (≥ 5.3, RHEL ≥ 4.18.0-193; 5.8+ recommended) or keep the node off BPF")
	}
	if enabled != nil {
		r := "BPF enabled"
		if enabled.Time != "" {
			r += " at " + enabled.Time
		}
		return ok(CheckFelix, r)
	}
	return bad(CheckFelix, Warn, "no BPF line in log",
		"the log since the pod started has no \"BPF enabled, starting BPF endpoint manager and map manager.\" line (log level above Info, or the log rotated); falling back to the other evidence: programs "+programs.Status.String()+" ("+programs.Reason+")",
		"set FelixConfiguration logSeverityScreen: Info to see it after a restart, and rely on the programs column")
}

// attachMode decides how Felix on the node attaches programs: tc or tcx (netkit devices are
// TCX-linked too; Calico resolves everything else to TCX).
func attachMode(c ClusterFacts, n NodeFacts) (string, string) {
	if n.Log.Err == nil {
		for i := len(n.Log.Value) - 1; i >= 0; i-- {
			f := n.Log.Value[i]
			switch {
			case f.Kind == model.FactTCXFallback:
				return "tc", "Felix logged \"tcx is not supported. Falling back to tc\""
			case f.Kind == model.FactProgramAttached && f.AttachMode != "":
				m := strings.ToLower(f.AttachMode)
				return m, "Felix logged \"" + f.Message + "\""
			}
		}
	}
	var version string
	if n.Pod != nil {
		version = n.Pod.Version
	}
	v := calico.ParseVersion(version)
	if v != nil && (v.Major() < 3 || (v.Major() == 3 && v.Minor() < 31)) {
		return "tc", "Calico " + version + " attaches with tc (TCX came with v3.31)"
	}
	switch strings.ToLower(c.AttachType) {
	case "tc":
		return "tc", "FelixConfiguration bpfAttachType=TC"
	case "tcx":
		return "tcx", "FelixConfiguration bpfAttachType=TCX"
	case "netkit":
		return "tcx", "FelixConfiguration bpfAttachType=Netkit (TCX links for non-netkit interfaces)"
	}
	if v == nil {
		return "tcx", "unknown Calico version: assuming the v3.31+ default, TCX"
	}
	return "tcx", "Calico " + version + " attaches with TCX by default"
}

// dataIface matches the host's data interfaces as Felix's bpfDataIfacePattern does.
var dataIface = regexp.MustCompile(`^((en|wl|ww|sl|ib)[Popsx].*|(eth|wlan|wwan|bond).*)$`)

func isWorkloadIface(name string) bool { return strings.HasPrefix(name, "cali") }

func checkPrograms(n NodeFacts, mode, why string) Result {
	if !podUsable(n) {
		return notChecked(CheckPrograms, n)
	}
	if mode == "tc" {
		return checkTC(n, why, "")
	}
	r := checkTCX(n, why)
	if r.Status != OK && n.Qdiscs.Err == nil {
		// Felix falls back to tc where TCX does not work: accept clsact programs then.
		if tc := checkTC(n, why+", but no TCX links were found", " (tcx fallback)"); tc.Status == OK {
			return tc
		}
	}
	return r
}

func checkTC(n NodeFacts, why, suffix string) Result {
	if n.Qdiscs.Err != nil {
		return bad(CheckPrograms, Fail, "tc: qdiscs unreadable", "`tc -s qdisc show` failed: "+n.Qdiscs.Err.Error(), "check exec into the pod (kubectl exec … -- tc qdisc show)")
	}
	clsact := map[string]bool{}
	devs := map[string]bool{}
	for _, q := range n.Qdiscs.Value {
		devs[q.Dev] = true
		if q.IsClsact() {
			clsact[q.Dev] = true
		}
	}
	var data, missing, wlMissing []string
	workloads := 0
	for d := range devs {
		switch {
		case dataIface.MatchString(d):
			data = append(data, d)
			if !clsact[d] {
				missing = append(missing, d)
			}
		case isWorkloadIface(d):
			if clsact[d] {
				workloads++
			} else {
				wlMissing = append(wlMissing, d)
			}
		}
	}
	sort.Strings(data)
	sort.Strings(missing)
	sort.Strings(wlMissing)
	mode := "tc" + suffix
	switch {
	case len(data) == 0:
		return bad(CheckPrograms, Fail, mode+": no data interface", "mode tc ("+why+"); `tc qdisc show` lists no data interface (eth*, en*, bond*)",
			"check bpfDataIfacePattern in FelixConfiguration and the node's interfaces")
	case len(missing) > 0:
		return bad(CheckPrograms, Fail, mode+": no clsact on "+strings.Join(missing, ","),
			"mode tc ("+why+"); no clsact qdisc on data interface(s) "+strings.Join(missing, ", ")+": Calico's programs are not attached",
			"read Felix's log for attach errors; check bpfDataIfacePattern; restart calico-node on the node")
	case len(wlMissing) > 0:
		return bad(CheckPrograms, Fail, fmt.Sprintf("%s: %d workload ifaces without clsact", mode, len(wlMissing)),
			"mode tc ("+why+"); no clsact qdisc on workload interface(s) "+strings.Join(wlMissing, ", "),
			"read Felix's log for attach errors; restart calico-node on the node")
	}
	return workloadCount(mode, why, strings.Join(data, ","), workloads, n.WorkloadPods)
}

func workloadCount(mode, why, data string, workloads, pods int) Result {
	reason := fmt.Sprintf("%s: %s + %d/%d workloads", mode, data, workloads, pods)
	if workloads < pods {
		return bad(CheckPrograms, Warn, reason,
			fmt.Sprintf("mode %s (%s); programs on %d workload interfaces, but %d pods on the node are not host-networked", mode, why, workloads, pods),
			"new pods get programs within seconds: verify again (--wait); if it persists, read Felix's log for attach errors")
	}
	return ok(CheckPrograms, reason)
}

func checkTCX(n NodeFacts, why string) Result {
	if n.TCXLinks.Err != nil && n.IfState.Err != nil {
		return bad(CheckPrograms, Fail, "tcx: no evidence", "mode tcx ("+why+"); `ls /sys/fs/bpf/tcx` failed: "+n.TCXLinks.Err.Error()+"; `ifstate dump` failed: "+n.IfState.Err.Error(),
			"check the BPF file system and exec into the pod")
	}
	// Pinned links: <iface without dots>_<ingress|egress>.
	links := map[string]int{}
	if n.TCXLinks.Err == nil {
		for _, l := range n.TCXLinks.Value {
			iface, hook, found := cutLast(l, "_")
			if found && (hook == "ingress" || hook == "egress") {
				links[iface]++
			}
		}
	}
	var data, notReady []string
	workloads := 0
	if n.IfState.Err == nil && n.IfState.Done {
		for _, st := range n.IfState.Value {
			ready := st.Flags.Has(model.IfV4Ready) || st.Flags.Has(model.IfV6Ready) || st.Flags.Has(model.IfReady)
			switch {
			case st.Flags.Has(model.IfWorkload) || isWorkloadIface(st.Name):
				if ready {
					workloads++
				}
			case dataIface.MatchString(st.Name):
				if ready {
					data = append(data, st.Name)
				} else {
					notReady = append(notReady, st.Name)
				}
			}
		}
	}
	linkWorkloads, linkData := 0, []string{}
	for iface, hooks := range links {
		switch {
		case isWorkloadIface(iface) && hooks >= 2:
			linkWorkloads++
		case dataIface.MatchString(iface):
			linkData = append(linkData, iface)
		}
	}
	sort.Strings(data)
	sort.Strings(notReady)
	sort.Strings(linkData)
	switch {
	case len(data) == 0 && len(notReady) > 0:
		return bad(CheckPrograms, Fail, "tcx: "+strings.Join(notReady, ",")+" not ready",
			"mode tcx ("+why+"); `ifstate dump` lists data interface(s) "+strings.Join(notReady, ", ")+" without v4Ready/v6Ready, and none ready: Felix has not finished programming them",
			"read Felix's log for attach errors on the interface; restart calico-node on the node")
	case len(data) == 0 && len(linkData) == 0:
		seen := "mode tcx (" + why + "); no data interface is ready in `ifstate dump` and /sys/fs/bpf/tcx holds no link of one"
		if n.TCXLinks.Err != nil {
			seen += " (ls: " + n.TCXLinks.Err.Error() + ")"
		}
		if n.IfState.Err != nil {
			seen += " (ifstate: " + n.IfState.Err.Error() + ")"
		}
		return bad(CheckPrograms, Fail, "tcx: no programs attached", seen,
			"read Felix's log (\"Program attached to tcx.\"); check bpfDataIfacePattern; restart calico-node on the node")
	}
	if len(data) == 0 {
		data = linkData
	}
	return workloadCount("tcx", why, strings.Join(data, ","), max(workloads, linkWorkloads), n.WorkloadPods)
}

func checkBPFFS(n NodeFacts) Result {
	if !podUsable(n) {
		return notChecked(CheckBPFFS, n)
	}
	if n.Mounts.Err != nil {
		return bad(CheckBPFFS, Fail, "mounts unreadable", "`cat /proc/mounts` in calico-node failed: "+n.Mounts.Err.Error(), "check exec into the pod")
	}
	for _, m := range n.Mounts.Value {
		if m.Target != "/sys/fs/bpf" {
			continue
		}
		if m.Type == "bpf" {
			return ok(CheckBPFFS, "/sys/fs/bpf (bpf)")
		}
		return bad(CheckBPFFS, Fail, "/sys/fs/bpf is "+m.Type, "/sys/fs/bpf is mounted with type "+m.Type+", not bpf: Felix falls back to /var/run/calico/bpffs and pins do not survive restarts",
			"unmount it on the host and mount bpffs: mount -t bpf bpffs /sys/fs/bpf")
	}
	return bad(CheckBPFFS, Fail, "not mounted", "/proc/mounts of calico-node has no bpf file system at /sys/fs/bpf: maps and programs are not pinned and are lost on restart",
		"mount it on the host (mount -t bpf bpffs /sys/fs/bpf, and in /etc/fstab) and make sure calico-node mounts the host's /sys/fs/bpf")
}

func checkKubeProxy(n NodeFacts) Result {
	if n.KubeProxy.Err != nil {
		return bad(CheckKubeProxy, Warn, "unknown", "listing kube-proxy pods failed: "+n.KubeProxy.Err.Error(), "check that you may list pods in kube-system")
	}
	if len(n.KubeProxy.Value) > 0 {
		return bad(CheckKubeProxy, Warn, "running: "+strings.Join(n.KubeProxy.Value, ","),
			"kube-proxy pod(s) "+strings.Join(n.KubeProxy.Value, ", ")+" run on the node next to Calico's eBPF kube-proxy replacement: the two fight over service NAT",
			"stop kube-proxy on Calico nodes: Installation kubeProxyManagement: Enabled (operator v3.31+), or patch the kube-proxy DaemonSet with a nodeSelector that matches no node")
	}
	return ok(CheckKubeProxy, "none")
}

func checkKernel(n NodeFacts) Result {
	k, parsed := parseKernel(n.Kernel)
	if !parsed {
		return bad(CheckKernel, Warn, "unknown kernel", "node.status.nodeInfo.kernelVersion is "+fmt.Sprintf("%q", n.Kernel), "check the node's kernel by hand: eBPF needs ≥ 5.3 (RHEL ≥ 4.18.0-193)")
	}
	minimum, minText := kernelMinimum(n.Kernel, n.OSImage)
	if k.less(minimum) {
		return bad(CheckKernel, Fail, n.Kernel+" < "+minText, "kernel "+n.Kernel+" ("+orDefault(n.OSImage, "unknown OS")+") is older than "+minText+", the oldest Felix runs the BPF dataplane on",
			"upgrade the node's kernel (5.8+ recommended) or keep Calico off BPF on this node")
	}
	return ok(CheckKernel, n.Kernel)
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

func firstLine(s string, n int) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	if len(s) > n {
		s = s[:n-1] + "…"
	}
	return s
}

func cutLast(s, sep string) (string, string, bool) {
	i := strings.LastIndex(s, sep)
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+len(sep):], true
}
