package preflight

import (
	"fmt"
	"net"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/util/version"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/calico"
)

// Evaluate turns facts into results. It is pure: same facts, same report.
func Evaluate(f Facts) Report {
	r := Report{Flavour: string(f.Install.Flavour), Namespace: f.Install.Namespace}
	for _, n := range f.Nodes {
		nr := NodeReport{Node: n.Name, Checks: []Result{
			checkKernel(n), checkOSArch(n), checkBPFFS(n), checkCgroupV2(n),
		}}
		r.Nodes = append(r.Nodes, nr)
	}
	r.Cluster = []Result{
		checkCalico(f.Install),
		checkOperator(f.Install),
		checkTigeraStatus(f.Install),
		checkHostPorts(f.Install),
		checkAPIServer(f),
		checkServiceEndpoint(f),
		checkKubeProxyMode(f.KubeProxy),
		checkKubeProxyOwner(f.KubeProxy),
	}
	for _, n := range r.Nodes {
		for _, c := range n.Checks {
			r.Summary.add(c.Status)
		}
	}
	for _, c := range r.Cluster {
		r.Summary.add(c.Status)
	}
	return r
}

func isWindows(n NodeFacts) bool { return strings.EqualFold(n.OperatingSystem, "windows") }

func checkKernel(n NodeFacts) Result {
	res := Result{Check: CheckKernel}
	if isWindows(n) {
		res.Status, res.Reason = Skip, "windows"
		return res
	}
	k, ok := parseKernel(n.KernelVersion)
	if !ok {
		res.Status, res.Reason = Warn, "unknown kernel"
		res.Seen = fmt.Sprintf("node %s reports kernel %q in status.nodeInfo.kernelVersion", n.Name, n.KernelVersion)
		res.Action = "check the kernel on the node: the eBPF dataplane needs 5.3+ (RHEL 4.18.0-193+), 5.8+ recommended"
		return res
	}
	rhel := isRHEL(n.KernelVersion, n.OSImage)
	min := minKernel
	if rhel {
		min = minRHELKernel
	}
	switch {
	case k.less(min):
		res.Status, res.Reason = Fail, n.KernelVersion+" < "+min.String()
		res.Seen = fmt.Sprintf("node %s runs kernel %s (%s); Felix needs %s or later there and would fall back to iptables mode "+
			"(\"BPF dataplane mode enabled but not supported by the kernel\"), which breaks Services once kube-proxy is gone",
			n.Name, n.KernelVersion, orDash(n.OSImage), min)
		res.Action = "upgrade the node's kernel (5.8+ recommended) or remove the node from the cluster before enabling eBPF"
	case k.less(recommendedKernel):
		res.Status, res.Reason = Warn, n.KernelVersion+" < 5.8"
		res.Seen = fmt.Sprintf("node %s runs kernel %s (%s): supported, but 5.8 or later with CO-RE is recommended", n.Name, n.KernelVersion, orDash(n.OSImage))
		res.Action = "plan a kernel upgrade to 5.8+; eBPF mode works on this kernel with fewer features"
	default:
		res.Status, res.Reason = OK, n.KernelVersion
	}
	return res
}

func checkOSArch(n NodeFacts) Result {
	res := Result{Check: CheckOSArch, Reason: orDash(n.OperatingSystem) + "/" + orDash(n.Architecture)}
	switch {
	case isWindows(n):
		res.Status = Fail
		res.Seen = fmt.Sprintf("node %s is a Windows node (%s); a cluster with the eBPF dataplane cannot have Windows nodes", n.Name, orDash(n.OSImage))
		res.Action = "remove the Windows nodes, or keep this cluster on the iptables/nftables dataplane"
	case !strings.EqualFold(n.OperatingSystem, "linux"):
		res.Status = Warn
		res.Seen = fmt.Sprintf("node %s reports operating system %q", n.Name, n.OperatingSystem)
		res.Action = "the eBPF dataplane runs on Linux nodes only; check this node"
	case n.Architecture == "s390x":
		res.Status = Fail
		res.Seen = fmt.Sprintf("node %s is %s, a big-endian architecture; Felix's BPF programs need a little-endian CPU", n.Name, n.Architecture)
		res.Action = "remove the node, or keep this cluster on the iptables/nftables dataplane"
	case n.Architecture != "amd64" && n.Architecture != "arm64":
		res.Status = Warn
		res.Seen = fmt.Sprintf("node %s is %s; the eBPF dataplane is tested on amd64 and arm64", n.Name, orDash(n.Architecture))
		res.Action = "try eBPF mode on this architecture in a test cluster first"
	default:
		res.Status = OK
	}
	return res
}

func checkBPFFS(n NodeFacts) Result {
	res := Result{Check: CheckBPFFS}
	if r, skip := mountsUnknown(n, res); skip {
		return r
	}
	var other string
	for _, m := range n.Mounts {
		if m.Target != "/sys/fs/bpf" {
			continue
		}
		if m.FSType == "bpf" {
			res.Status, res.Reason = OK, "mounted"
			return res
		}
		other = m.FSType
	}
	res.Status = Warn
	if other != "" {
		res.Reason = "not bpf"
		res.Seen = fmt.Sprintf("node %s: /sys/fs/bpf holds a %s file system, not bpf; Felix would mount its own at /var/run/calico/bpffs", n.Name, other)
	} else {
		res.Reason = "not mounted"
		res.Seen = fmt.Sprintf("node %s: no bpf file system at /sys/fs/bpf in pod %s", n.Name, n.Pod)
	}
	res.Action = "mount the BPF file system on the host (bpffs /sys/fs/bpf bpf defaults 0 0 in /etc/fstab) so BPF maps survive a calico-node restart; calico-node mounts it at start otherwise"
	return res
}

func checkCgroupV2(n NodeFacts) Result {
	res := Result{Check: CheckCgroupV2}
	if r, skip := mountsUnknown(n, res); skip {
		return r
	}
	for _, m := range n.Mounts {
		if m.FSType == "cgroup2" {
			res.Status, res.Reason = OK, "mounted"
			return res
		}
	}
	res.Status, res.Reason = Warn, "not mounted"
	res.Seen = fmt.Sprintf("node %s: no cgroup2 file system in pod %s", n.Name, n.Pod)
	res.Action = "connect-time load balancing needs cgroup v2; calico-node mounts it at /run/calico/cgroup when it can, check the node supports cgroup v2"
	return res
}

// mountsUnknown returns the result of a mount check that cannot be made, and true.
func mountsUnknown(n NodeFacts, res Result) (Result, bool) {
	switch {
	case isWindows(n):
		res.Status, res.Reason = Skip, "windows"
	case n.Pod == "":
		res.Status, res.Reason = Skip, "no calico-node pod"
	case n.MountsError != "":
		res.Status, res.Reason = Warn, "unknown"
		res.Seen = fmt.Sprintf("node %s: could not read /proc/mounts in pod %s: %s", n.Name, n.Pod, n.MountsError)
		res.Action = "check the calico-node pod; rerun preflight when it runs"
	case n.Mounts == nil:
		res.Status, res.Reason = Skip, "not read"
	default:
		return res, false
	}
	return res, true
}

// versionOf parses an image's tag; nil when it has none or it is not a version.
func versionOf(image string) *version.Version { return calico.ParseVersion(calico.ImageTag(image)) }

func atLeast(v *version.Version, s string) bool {
	return v != nil && v.AtLeast(version.MustParseGeneric(s))
}

func checkCalico(in InstallFacts) Result {
	res := Result{Check: CheckCalico}
	if !in.Found {
		res.Status, res.Reason = Fail, "calico-node not found"
		res.Seen = fmt.Sprintf("no calico-node DaemonSet in %s", searchedNamespaces(in.Namespace))
		res.Action = "install Calico first, or point at its namespace with --calico-namespace"
		return res
	}
	tag := calico.ImageTag(in.CalicoImage)
	v := versionOf(in.CalicoImage)
	what := fmt.Sprintf("%s install, calico-node in %s", in.Flavour, in.Namespace)
	switch {
	case v == nil:
		res.Status, res.Reason = Warn, orUnknown(tag)+", "+string(in.Flavour)
		res.Seen = fmt.Sprintf("calico-node image %q has no version tag (%s)", in.CalicoImage, what)
		res.Action = "make sure every node runs Calico v3.16 or later"
	case !atLeast(v, "3.16.0"):
		res.Status, res.Reason = Fail, tag+" < v3.16"
		res.Seen = fmt.Sprintf("calico-node %s (%s); the eBPF dataplane is supported from v3.16", tag, what)
		res.Action = "upgrade Calico (v3.27 or later recommended) before enabling eBPF"
	default:
		res.Status, res.Reason = OK, tag+", "+what
	}
	return res
}

// operatorFeatures reports what the operator can do for eBPF: bpfNetworkBootstrap and
// kubeProxyManagement (operator v1.40 = Calico v3.31), host ports in BPF mode (v1.31 = v3.27).
// When the operator's tag is not a version, Calico's own version stands in.
func operatorFeatures(in InstallFacts) (bootstrap, hostPorts, known bool) {
	if ov := versionOf(in.OperatorImage); ov != nil {
		return atLeast(ov, "1.40.0"), atLeast(ov, "1.31.0"), true
	}
	if cv := versionOf(in.CalicoImage); cv != nil {
		return atLeast(cv, "3.31.0"), atLeast(cv, "3.27.0"), true
	}
	return false, false, false
}

func checkOperator(in InstallFacts) Result {
	res := Result{Check: CheckOperator}
	if in.Flavour != calico.FlavourOperator {
		res.Status, res.Reason = Skip, "manifest install"
		return res
	}
	if in.OperatorImage == "" {
		res.Status, res.Reason = Warn, "not found"
		res.Seen = fmt.Sprintf("no Deployment %s/%s, though Calico looks operator-installed", calico.TigeraOperatorNamespace, calico.OperatorDeployment)
		res.Action = "check the Tigera operator: enabling eBPF on an operator install goes through it"
		return res
	}
	tag := calico.ImageTag(in.OperatorImage)
	bootstrap, _, known := operatorFeatures(in)
	switch {
	case !known:
		res.Status, res.Reason = Warn, orUnknown(tag)
		res.Seen = fmt.Sprintf("operator image %q has no version tag", in.OperatorImage)
		res.Action = "enable will assume an operator without bpfNetworkBootstrap and kubeProxyManagement"
	case bootstrap:
		res.Status, res.Reason = OK, tag+": bpfNetworkBootstrap, kubeProxyManagement"
	default:
		res.Status, res.Reason = OK, tag+": no bpfNetworkBootstrap/kubeProxyManagement (v1.40+)"
	}
	return res
}

func checkTigeraStatus(in InstallFacts) Result {
	res := Result{Check: CheckTigeraStatus}
	if in.Flavour != calico.FlavourOperator {
		res.Status, res.Reason = Skip, "manifest install"
		return res
	}
	ts := in.TigeraStatus
	switch {
	case ts == nil:
		res.Status, res.Reason = Warn, "not found"
		res.Seen = "no TigeraStatus \"calico\""
		res.Action = "check the Tigera operator's logs: it reports Calico's health there"
	case ts.Degraded == "True":
		res.Status, res.Reason = Fail, "Degraded"
		res.Seen = "TigeraStatus calico is Degraded: " + orDash(ts.Message)
		res.Action = "fix what the operator reports (kubectl get tigerastatus calico -o yaml) before changing the dataplane"
	case ts.Available != "True":
		res.Status, res.Reason = Warn, "not Available"
		res.Seen = fmt.Sprintf("TigeraStatus calico: Available=%s Progressing=%s: %s", orUnknown(ts.Available), orUnknown(ts.Progressing), orDash(ts.Message))
		res.Action = "wait for the operator to finish (kubectl get tigerastatus calico), then rerun preflight"
	default:
		res.Status, res.Reason = OK, "Available"
	}
	return res
}

func checkHostPorts(in InstallFacts) Result {
	res := Result{Check: CheckHostPorts}
	if in.Flavour != calico.FlavourOperator || in.Installation == nil {
		res.Status, res.Reason = Skip, "no Installation"
		if in.Flavour == calico.FlavourManifest {
			res.Reason = "manifest install"
		}
		return res
	}
	hp := in.Installation.HostPorts
	if hp == "" {
		hp = "Enabled" // the operator defaults it with Calico CNI
	}
	_, supported, known := operatorFeatures(in)
	switch {
	case hp != "Enabled":
		res.Status, res.Reason = OK, hp
	case supported:
		res.Status, res.Reason = OK, "Enabled (supported in BPF mode)"
	case !known:
		res.Status, res.Reason = Warn, "Enabled, operator version unknown"
		res.Seen = "Installation spec.calicoNetwork.hostPorts is Enabled and the operator's version is unknown; operators before v1.31 (Calico v3.27) refuse host ports with the eBPF dataplane"
		res.Action = "check the operator's version, or set hostPorts to Disabled"
	default:
		res.Status, res.Reason = Fail, "Enabled, unsupported by this operator"
		res.Seen = "Installation spec.calicoNetwork.hostPorts is Enabled; operators before v1.31 (Calico v3.27) reject it with the eBPF dataplane (\"spec.calicoNetwork.hostPorts is not supported with the eBPF dataplane\")"
		res.Action = "upgrade Calico to v3.27+, or: kubectl patch installation.operator.tigera.io default --type merge -p '{\"spec\":{\"calicoNetwork\":{\"hostPorts\":\"Disabled\"}}}'"
	}
	return res
}

func checkAPIServer(f Facts) Result {
	res := Result{Check: CheckAPIServer}
	a := f.APIServer
	eps := strings.Join(a.Endpoints, ", ")
	bootstrap, _, _ := operatorFeatures(f.Install)
	bootstrap = bootstrap && f.Install.Flavour == calico.FlavourOperator
	switch {
	case a.Override != "":
		res.Status, res.Reason = OK, a.Override+" (--api-server)"
		if len(a.Endpoints) > 0 && !slices.Contains(a.Endpoints, a.Override) {
			res.Reason = a.Override + " (--api-server, a load balancer?)"
		}
	case len(a.Endpoints) == 0:
		res.Status, res.Reason = Fail, "no endpoints"
		res.Seen = "the EndpointSlices of Service default/kubernetes list no ready endpoint"
		res.Action = "give the API server's address with --api-server HOST:PORT"
	case len(a.Endpoints) == 1:
		res.Status, res.Reason = OK, a.Endpoints[0]
	case a.ConfigMap != nil:
		res.Status, res.Reason = OK, fmt.Sprintf("%d endpoints; ConfigMap gives one", len(a.Endpoints))
	case bootstrap:
		res.Status, res.Reason = Warn, fmt.Sprintf("%d endpoints", len(a.Endpoints))
		res.Seen = fmt.Sprintf("Service default/kubernetes has %d endpoints (%s); calico-node must reach the API server without kube-proxy", len(a.Endpoints), eps)
		res.Action = "bpfNetworkBootstrap hands calico-node all of them; to use a load balancer or one address instead, give it with --api-server HOST:PORT"
	default:
		res.Status, res.Reason = Fail, fmt.Sprintf("%d endpoints", len(a.Endpoints))
		res.Seen = fmt.Sprintf("Service default/kubernetes has %d endpoints (%s); the kubernetes-services-endpoint ConfigMap takes one address", len(a.Endpoints), eps)
		res.Action = "give a load balancer in front of the API servers (or a single API server) with --api-server HOST:PORT"
	}
	return res
}

func checkServiceEndpoint(f Facts) Result {
	res := Result{Check: CheckServiceEndpoint}
	a, cm := f.APIServer, f.APIServer.ConfigMap
	bootstrap, _, _ := operatorFeatures(f.Install)
	bootstrap = bootstrap && f.Install.Flavour == calico.FlavourOperator
	bootstrapOn := f.Install.Installation != nil && f.Install.Installation.BPFNetworkBootstrap == "Enabled"
	if cm == nil {
		res.Status, res.Reason = OK, "none (enable creates it)"
		if bootstrap {
			res.Reason = "none (enable can use bpfNetworkBootstrap)"
		}
		return res
	}
	where := cm.Namespace + "/kubernetes-services-endpoint"
	got := net.JoinHostPort(cm.Host, cm.Port)
	switch {
	case cm.Host == "" || cm.Port == "":
		res.Status, res.Reason = Fail, "incomplete"
		res.Seen = fmt.Sprintf("ConfigMap %s has KUBERNETES_SERVICE_HOST=%q KUBERNETES_SERVICE_PORT=%q", where, cm.Host, cm.Port)
		res.Action = "set both keys, or delete the ConfigMap and let enable write it (--api-server HOST:PORT)"
	case bootstrapOn:
		res.Status, res.Reason = Fail, "conflicts with bpfNetworkBootstrap"
		res.Seen = fmt.Sprintf("ConfigMap %s exists (%s) and Installation bpfNetworkBootstrap is Enabled; the operator refuses that combination", where, got)
		res.Action = "delete the ConfigMap, or set bpfNetworkBootstrap to Disabled"
	case a.Override != "" && a.Override != got:
		res.Status, res.Reason = Warn, got+" != --api-server"
		res.Seen = fmt.Sprintf("ConfigMap %s says %s, --api-server says %s", where, got, a.Override)
		res.Action = "enable will rewrite the ConfigMap to --api-server's value; make sure that is intended"
	case a.Override == "" && len(a.Endpoints) > 0 && !slices.Contains(a.Endpoints, got):
		res.Status, res.Reason = Warn, got+" not an endpoint"
		res.Seen = fmt.Sprintf("ConfigMap %s says %s, which is not among the endpoints of default/kubernetes (%s)", where, got, strings.Join(a.Endpoints, ", "))
		res.Action = "if it is a load balancer, make sure every node reaches it; otherwise fix the ConfigMap or give --api-server HOST:PORT"
	default:
		res.Status, res.Reason = OK, got+" in "+cm.Namespace
	}
	if res.Status == OK && f.Install.Found && cm.Namespace != endpointConfigMapNamespace(f.Install.Flavour) {
		res.Status, res.Reason = Warn, "wrong namespace"
		res.Seen = fmt.Sprintf("ConfigMap %s, but a %s install reads it from %s", where, f.Install.Flavour, endpointConfigMapNamespace(f.Install.Flavour))
		res.Action = "create it in " + endpointConfigMapNamespace(f.Install.Flavour)
	}
	return res
}

// endpointConfigMapNamespace is where a flavour reads kubernetes-services-endpoint.
func endpointConfigMapNamespace(fl calico.Flavour) string {
	if fl == calico.FlavourManifest {
		return calico.ManifestNamespace
	}
	return calico.TigeraOperatorNamespace
}

// ipvsCleanup are the steps of projectcalico/calico#12476: IPVS leaves state that the BPF
// dataplane does not clean up.
const ipvsCleanup = "switch kube-proxy to iptables mode first, or after kube-proxy stops run on every node: " +
	"ipvsadm -C; ip link delete kube-ipvs0; conntrack -F; modprobe -r ip_vs_rr ip_vs_wrr ip_vs_sh ip_vs " +
	"(projectcalico/calico#12476)"

func checkKubeProxyMode(kp KubeProxyFacts) Result {
	res := Result{Check: CheckKubeProxyMode}
	if !kp.DaemonSet && !kp.ConfigMap {
		res.Status, res.Reason = OK, "no kube-proxy"
		return res
	}
	mode := strings.ToLower(kp.Mode)
	switch mode {
	case "", "iptables":
		res.Status, res.Reason = OK, "iptables"
		if mode == "" && !kp.ConfigMap {
			res.Status, res.Reason = Warn, "unknown"
			res.Seen = "no ConfigMap kube-system/kube-proxy and no --proxy-mode flag on the DaemonSet"
			res.Action = "check kube-proxy's mode on a node (curl localhost:10249/proxyMode); IPVS needs cleanup before eBPF"
		}
	case "ipvs":
		res.Status, res.Reason = Fail, "ipvs: needs cleanup first"
		res.Seen = "kube-proxy runs in IPVS mode (" + kp.ModeSource + "); its IPVS services, kube-ipvs0 addresses and conntrack entries stay behind and break Services under the eBPF dataplane"
		res.Action = ipvsCleanup
	case "nftables":
		res.Status, res.Reason = Warn, "nftables"
		res.Seen = "kube-proxy runs in nftables mode (" + kp.ModeSource + ")"
		res.Action = "make sure kube-proxy's nftables table (ip kube-proxy) is gone on every node after kube-proxy stops"
	default:
		res.Status, res.Reason = Warn, kp.Mode
		res.Seen = fmt.Sprintf("kube-proxy mode %q (%s)", kp.Mode, kp.ModeSource)
		res.Action = "check kube-proxy's mode; only iptables is handed over to eBPF without extra steps"
	}
	return res
}

func checkKubeProxyOwner(kp KubeProxyFacts) Result {
	res := Result{Check: CheckKubeProxyOwner}
	if !kp.DaemonSet {
		res.Status, res.Reason = OK, "no kube-proxy DaemonSet"
		return res
	}
	var found, seen []string
	for _, c := range calico.ClaimsOn(kp.Labels, kp.Annotations) {
		if !slices.Contains(found, c.Manager) {
			found = append(found, c.Manager)
		}
		seen = append(seen, c.Evidence)
	}
	if len(found) == 0 {
		res.Status, res.Reason = OK, "unmanaged"
		return res
	}
	res.Status, res.Reason = Warn, "managed by "+strings.Join(found, ", ")
	res.Seen = "DaemonSet kube-system/kube-proxy has " + strings.Join(seen, ", ") + "; it will undo a change that stops kube-proxy, and the operator's kubeProxyManagement refuses such DaemonSets"
	res.Action = "turn kube-proxy off through " + strings.Join(found, ", ") + " (e.g. AKS, MKE kube_proxy_mode=disabled, OpenShift deployKubeProxy: false, or remove it from the GitOps source), not with enable"
	return res
}

func searchedNamespaces(ns string) string {
	if ns == "" || ns == calico.OperatorNamespace {
		return calico.OperatorNamespace + " or " + calico.ManifestNamespace
	}
	return ns
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}
