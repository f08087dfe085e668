package preflight

import (
	"strings"
	"testing"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/calico"
)

var procMounts = ParseMounts("overlay / overlay rw 0 0\ncgroup2 /sys/fs/cgroup cgroup2 rw 0 0\nbpffs /sys/fs/bpf bpf rw 0 0\n")

func goodNode(name string) NodeFacts {
	return NodeFacts{Name: name, KernelVersion: "6.8.0-49-generic", OSImage: "Ubuntu 24.04.1 LTS",
		OperatingSystem: "linux", Architecture: "amd64", Pod: "calico-node-" + name, Mounts: procMounts}
}

// healthy is a clean operator install: every check OK or SKIP.
func healthy() Facts {
	return Facts{
		Nodes: []NodeFacts{goodNode("n1"), goodNode("n2")},
		Install: InstallFacts{
			Flavour: calico.FlavourOperator, Namespace: "calico-system", Found: true,
			CalicoImage: "quay.io/calico/node:v3.32.1", OperatorImage: "quay.io/tigera/operator:v1.42.3",
			Installation: &InstallationFacts{LinuxDataplane: "Iptables", HostPorts: "Enabled"},
			TigeraStatus: &TigeraStatusFacts{Available: "True", Progressing: "False", Degraded: "False"},
		},
		APIServer: APIServerFacts{Endpoints: []string{"10.0.0.1:6443"}},
		KubeProxy: KubeProxyFacts{DaemonSet: true, ConfigMap: true, Mode: "iptables", Labels: map[string]string{"k8s-app": "kube-proxy"}},
	}
}

func manifest(f *Facts) {
	f.Install.Flavour, f.Install.Namespace = calico.FlavourManifest, "kube-system"
	f.Install.OperatorImage, f.Install.Installation, f.Install.TigeraStatus = "", nil, nil
}

type evalCase struct {
	name   string
	mutate func(*Facts)
	status Status
	reason string // substring of Reason
}

func runCases(t *testing.T, check string, cases []evalCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := healthy()
			if tc.mutate != nil {
				tc.mutate(&f)
			}
			r := Evaluate(f)
			got, ok := find(r, check)
			if !ok {
				t.Fatalf("no %s result in %+v", check, r)
			}
			if got.Status != tc.status || !strings.Contains(got.Reason, tc.reason) {
				t.Errorf("%s = %s %q, want %s %q", check, got.Status, got.Reason, tc.status, tc.reason)
			}
			if got.Status != OK && got.Status != Skip && (got.Seen == "" || got.Action == "") {
				t.Errorf("%s %s without details: %+v", check, got.Status, got)
			}
		})
	}
}

// find returns the first node's result for a node check, or the cluster-wide result.
func find(r Report, check string) (Result, bool) {
	for _, n := range r.Nodes {
		for _, c := range n.Checks {
			if c.Check == check {
				return c, true
			}
		}
	}
	for _, c := range r.Cluster {
		if c.Check == check {
			return c, true
		}
	}
	return Result{}, false
}

func node(mut func(*NodeFacts)) func(*Facts) {
	return func(f *Facts) { mut(&f.Nodes[0]) }
}

func TestHealthyClusterPasses(t *testing.T) {
	for name, mut := range map[string]func(*Facts){"operator": nil, "manifest": manifest} {
		f := healthy()
		if mut != nil {
			mut(&f)
		}
		r := Evaluate(f)
		if r.Failed(true) {
			t.Errorf("%s: healthy cluster failed strict: %+v", name, r)
		}
		if len(r.Nodes) != 2 || len(r.Nodes[0].Checks) != len(NodeChecks) || r.Flavour != string(f.Install.Flavour) {
			t.Errorf("%s: report shape %+v", name, r)
		}
	}
}

func TestFailedAndStrict(t *testing.T) {
	r := Report{Summary: Summary{OK: 3, Warn: 1}}
	if r.Failed(false) || !r.Failed(true) {
		t.Error("WARN: fails only with --strict")
	}
	r.Summary.Fail = 1
	if !r.Failed(false) {
		t.Error("FAIL must fail")
	}
}

func TestKernel(t *testing.T) {
	k := func(kernel, os string) func(*Facts) {
		return node(func(n *NodeFacts) { n.KernelVersion, n.OSImage = kernel, os })
	}
	runCases(t, CheckKernel, []evalCase{
		{"recent", nil, OK, "6.8.0"},
		{"exactly 5.8", k("5.8.0-1-generic", "Ubuntu"), OK, "5.8.0"},
		{"5.4 supported, below recommended", k("5.4.0-200-generic", "Ubuntu 20.04"), Warn, "< 5.8"},
		{"5.3.0 minimum", k("5.3.0", "Debian"), Warn, "< 5.8"},
		{"old ubuntu", k("4.15.0-213-generic", "Ubuntu 18.04.6 LTS"), Fail, "< 5.3.0"},
		{"rhel 8.2 kernel", k("4.18.0-193.el8.x86_64", "Red Hat Enterprise Linux 8.2 (Ootpa)"), Warn, "< 5.8"},
		{"rhel 8.1 kernel", k("4.18.0-147.el8.x86_64", "Red Hat Enterprise Linux 8.1 (Ootpa)"), Fail, "< 4.18.0-193"},
		{"rocky by image", k("4.18.0-513.5.1", "Rocky Linux 8.9"), Warn, "< 5.8"},
		{"4.18 not rhel", k("4.18.0-193", "Ubuntu"), Fail, "< 5.3.0"},
		{"rhel 9", k("5.14.0-427.42.1.el9_4.x86_64", "Red Hat Enterprise Linux 9.4 (Plow)"), OK, "5.14.0"},
		{"unparsable", k("custom", "Linux"), Warn, "unknown kernel"},
		{"windows", node(func(n *NodeFacts) { n.OperatingSystem, n.KernelVersion = "windows", "10.0.20348.2655" }), Skip, "windows"},
	})
}

func TestOSArch(t *testing.T) {
	set := func(os, arch string) func(*Facts) {
		return node(func(n *NodeFacts) { n.OperatingSystem, n.Architecture = os, arch })
	}
	runCases(t, CheckOSArch, []evalCase{
		{"linux/amd64", nil, OK, "linux/amd64"},
		{"linux/arm64", set("linux", "arm64"), OK, "linux/arm64"},
		{"windows", set("windows", "amd64"), Fail, "windows/amd64"},
		{"s390x big endian", set("linux", "s390x"), Fail, "s390x"},
		{"ppc64le untested", set("linux", "ppc64le"), Warn, "ppc64le"},
		{"unknown os", set("plan9", "amd64"), Warn, "plan9"},
	})
}

func TestBPFFSAndCgroup(t *testing.T) {
	mounts := func(s string) func(*Facts) { return node(func(n *NodeFacts) { n.Mounts = ParseMounts(s) }) }
	runCases(t, CheckBPFFS, []evalCase{
		{"mounted", nil, OK, "mounted"},
		{"absent", mounts("overlay / overlay rw 0 0\n"), Warn, "not mounted"},
		{"other fs there", mounts("tmpfs /sys/fs/bpf tmpfs rw 0 0\n"), Warn, "not bpf"},
		{"no pod", node(func(n *NodeFacts) { n.Pod, n.Mounts = "", nil }), Skip, "no calico-node pod"},
		{"exec failed", node(func(n *NodeFacts) { n.Mounts, n.MountsError = nil, "exit status 1" }), Warn, "unknown"},
		{"not read", node(func(n *NodeFacts) { n.Mounts = nil }), Skip, "not read"},
		{"windows", node(func(n *NodeFacts) { n.OperatingSystem = "windows" }), Skip, "windows"},
	})
	runCases(t, CheckCgroupV2, []evalCase{
		{"mounted", nil, OK, "mounted"},
		{"calico's own mount", mounts("cgroup2 /run/calico/cgroup cgroup2 rw 0 0\n"), OK, "mounted"},
		{"v1 only", mounts("cgroup /sys/fs/cgroup/cpu cgroup rw 0 0\n"), Warn, "not mounted"},
		{"no pod", node(func(n *NodeFacts) { n.Pod, n.Mounts = "", nil }), Skip, "no calico-node pod"},
	})
}

func TestCalicoVersion(t *testing.T) {
	img := func(s string) func(*Facts) { return func(f *Facts) { f.Install.CalicoImage = s } }
	runCases(t, CheckCalico, []evalCase{
		{"operator", nil, OK, "v3.32.1, operator install, calico-node in calico-system"},
		{"manifest", manifest, OK, "manifest install, calico-node in kube-system"},
		{"old", img("calico/node:v3.15.5"), Fail, "< v3.16"},
		{"no tag", img("calico/node:latest"), Warn, "latest"},
		{"missing", func(f *Facts) { f.Install.Found = false }, Fail, "not found"},
	})
}

func TestOperator(t *testing.T) {
	op := func(s string) func(*Facts) { return func(f *Facts) { f.Install.OperatorImage = s } }
	runCases(t, CheckOperator, []evalCase{
		{"new", nil, OK, "bpfNetworkBootstrap, kubeProxyManagement"},
		{"v1.40 exactly", op("quay.io/tigera/operator:v1.40.0"), OK, "v1.40.0: bpfNetworkBootstrap"},
		{"old", op("quay.io/tigera/operator:v1.34.5"), OK, "no bpfNetworkBootstrap"},
		{"missing", op(""), Warn, "not found"},
		{"no tag, calico version decides", func(f *Facts) { f.Install.OperatorImage = "quay.io/tigera/operator:latest" }, OK, "bpfNetworkBootstrap"},
		{"no version at all", func(f *Facts) {
			f.Install.OperatorImage, f.Install.CalicoImage = "op:latest", "node:latest"
		}, Warn, "latest"},
		{"manifest", manifest, Skip, "manifest"},
	})
}

func TestTigeraStatus(t *testing.T) {
	ts := func(a, d string) func(*Facts) {
		return func(f *Facts) { f.Install.TigeraStatus = &TigeraStatusFacts{Available: a, Degraded: d, Message: "m"} }
	}
	runCases(t, CheckTigeraStatus, []evalCase{
		{"available", nil, OK, "Available"},
		{"degraded", ts("True", "True"), Fail, "Degraded"},
		{"progressing", ts("False", "False"), Warn, "not Available"},
		{"no conditions", ts("", ""), Warn, "not Available"},
		{"absent", func(f *Facts) { f.Install.TigeraStatus = nil }, Warn, "not found"},
		{"manifest", manifest, Skip, "manifest"},
	})
}

func TestHostPorts(t *testing.T) {
	hp := func(v, op string) func(*Facts) {
		return func(f *Facts) { f.Install.Installation.HostPorts, f.Install.OperatorImage = v, op }
	}
	runCases(t, CheckHostPorts, []evalCase{
		{"enabled, new operator", nil, OK, "supported in BPF mode"},
		{"unset defaults to enabled", hp("", "quay.io/tigera/operator:v1.31.0"), OK, "supported"},
		{"enabled, old operator", hp("Enabled", "quay.io/tigera/operator:v1.30.4"), Fail, "unsupported"},
		{"disabled, old operator", hp("Disabled", "quay.io/tigera/operator:v1.30.4"), OK, "Disabled"},
		{"enabled, unknown versions", func(f *Facts) {
			f.Install.OperatorImage, f.Install.CalicoImage = "op:latest", "node:latest"
		}, Warn, "unknown"},
		{"no installation", func(f *Facts) { f.Install.Installation = nil }, Skip, "no Installation"},
		{"manifest", manifest, Skip, "manifest"},
	})
}

func TestAPIServer(t *testing.T) {
	eps := func(e ...string) func(*Facts) { return func(f *Facts) { f.APIServer.Endpoints = e } }
	three := []string{"10.0.0.1:6443", "10.0.0.2:6443", "10.0.0.3:6443"}
	runCases(t, CheckAPIServer, []evalCase{
		{"one", nil, OK, "10.0.0.1:6443"},
		{"none", eps(), Fail, "no endpoints"},
		{"three, operator with bootstrap", eps(three...), Warn, "3 endpoints"},
		{"three, old operator", func(f *Facts) {
			f.APIServer.Endpoints, f.Install.OperatorImage = three, "op:v1.36.0"
		}, Fail, "3 endpoints"},
		{"three, manifest", func(f *Facts) { manifest(f); f.APIServer.Endpoints = three }, Fail, "3 endpoints"},
		{"three, --api-server", func(f *Facts) { f.APIServer.Endpoints, f.APIServer.Override = three, "lb:6443" }, OK, "lb:6443 (--api-server, a load balancer?)"},
		{"three, configmap", func(f *Facts) {
			f.APIServer.Endpoints = three
			f.APIServer.ConfigMap = &EndpointConfigMap{Namespace: "tigera-operator", Host: "lb", Port: "6443"}
		}, OK, "ConfigMap gives one"},
		{"none, --api-server", func(f *Facts) { f.APIServer.Endpoints, f.APIServer.Override = nil, "lb:6443" }, OK, "lb:6443 (--api-server)"},
	})
}

func TestServiceEndpointConfigMap(t *testing.T) {
	cm := func(ns, host, port string) *EndpointConfigMap {
		return &EndpointConfigMap{Namespace: ns, Host: host, Port: port}
	}
	with := func(c *EndpointConfigMap, override string) func(*Facts) {
		return func(f *Facts) { f.APIServer.ConfigMap, f.APIServer.Override = c, override }
	}
	runCases(t, CheckServiceEndpoint, []evalCase{
		{"none, bootstrap", nil, OK, "bpfNetworkBootstrap"},
		{"none, manifest", manifest, OK, "enable creates it"},
		{"agrees", with(cm("tigera-operator", "10.0.0.1", "6443"), ""), OK, "10.0.0.1:6443 in tigera-operator"},
		{"agrees with --api-server", with(cm("tigera-operator", "lb", "6443"), "lb:6443"), OK, "lb:6443"},
		{"differs from --api-server", with(cm("tigera-operator", "lb", "6443"), "10.0.0.1:6443"), Warn, "!= --api-server"},
		{"not an endpoint", with(cm("tigera-operator", "10.9.9.9", "6443"), ""), Warn, "not an endpoint"},
		{"incomplete", with(cm("tigera-operator", "10.0.0.1", ""), ""), Fail, "incomplete"},
		{"wrong namespace", with(cm("kube-system", "10.0.0.1", "6443"), ""), Warn, "wrong namespace"},
		{"manifest namespace", func(f *Facts) { manifest(f); with(cm("kube-system", "10.0.0.1", "6443"), "")(f) }, OK, "in kube-system"},
		{"with bootstrap enabled", func(f *Facts) {
			with(cm("tigera-operator", "10.0.0.1", "6443"), "")(f)
			f.Install.Installation.BPFNetworkBootstrap = "Enabled"
		}, Fail, "bpfNetworkBootstrap"},
	})
}

func TestKubeProxyMode(t *testing.T) {
	mode := func(m string) func(*Facts) {
		return func(f *Facts) { f.KubeProxy.Mode, f.KubeProxy.ModeSource = m, "test" }
	}
	runCases(t, CheckKubeProxyMode, []evalCase{
		{"iptables", nil, OK, "iptables"},
		{"default mode", mode(""), OK, "iptables"},
		{"ipvs", mode("ipvs"), Fail, "ipvs: needs cleanup first"},
		{"IPVS upper case", mode("IPVS"), Fail, "ipvs"},
		{"nftables", mode("nftables"), Warn, "nftables"},
		{"odd", mode("userspace"), Warn, "userspace"},
		{"no configmap", func(f *Facts) { f.KubeProxy.ConfigMap, f.KubeProxy.Mode = false, "" }, Warn, "unknown"},
		{"no kube-proxy", func(f *Facts) { f.KubeProxy = KubeProxyFacts{} }, OK, "no kube-proxy"},
	})
	f := healthy()
	f.KubeProxy.Mode = "ipvs"
	r, _ := find(Evaluate(f), CheckKubeProxyMode)
	for _, step := range []string{"ipvsadm -C", "kube-ipvs0", "conntrack -F", "ip_vs", "#12476"} {
		if !strings.Contains(r.Action, step) {
			t.Errorf("ipvs action lacks %q: %s", step, r.Action)
		}
	}
}

func TestKubeProxyManager(t *testing.T) {
	label := func(k, v string) func(*Facts) { return func(f *Facts) { f.KubeProxy.Labels = map[string]string{k: v} } }
	runCases(t, CheckKubeProxyOwner, []evalCase{
		{"unmanaged", nil, OK, "unmanaged"},
		{"addon manager", label("addonmanager.kubernetes.io/mode", "Reconcile"), Warn, "the addon manager (Reconcile)"},
		{"helm", label("app.kubernetes.io/managed-by", "Helm"), Warn, "managed by Helm"},
		{"argo", func(f *Facts) {
			f.KubeProxy.Annotations = map[string]string{"argocd.argoproj.io/tracking-id": "infra:apps/DaemonSet:kube-system/kube-proxy"}
		}, Warn, "Argo CD"},
		{"flux kustomize", label("kustomize.toolkit.fluxcd.io/name", "infra"), Warn, "Flux (Kustomization)"},
		{"flux helm", label("helm.toolkit.fluxcd.io/name", "kp"), Warn, "Flux (HelmRelease)"},
		{"several", func(f *Facts) {
			f.KubeProxy.Labels = map[string]string{"addonmanager.kubernetes.io/mode": "EnsureExists", "app.kubernetes.io/managed-by": "Helm"}
		}, Warn, "the addon manager (EnsureExists), Helm"},
		{"no daemonset", func(f *Facts) { f.KubeProxy.DaemonSet = false }, OK, "no kube-proxy DaemonSet"},
	})
}

func TestSummaryCountsEveryResult(t *testing.T) {
	f := healthy()
	f.Nodes[1].KernelVersion = "4.15.0-213-generic"
	f.KubeProxy.Mode = "ipvs"
	r := Evaluate(f)
	s := r.Summary
	if total := s.OK + s.Warn + s.Fail + s.Skip; total != 2*len(NodeChecks)+len(r.Cluster) {
		t.Errorf("summary %+v counts %d results", s, total)
	}
	if s.Fail != 2 || !r.Failed(false) {
		t.Errorf("summary %+v", s)
	}
}

func TestParseMounts(t *testing.T) {
	m := ParseMounts("a /mnt/with\\040space ext4 rw 0 0\n\nshort line\n")
	if len(m) != 1 || m[0].Target != "/mnt/with space" || m[0].FSType != "ext4" {
		t.Errorf("ParseMounts = %+v", m)
	}
	if ParseMounts("") == nil {
		t.Error("ParseMounts of nothing must be empty, not nil (read, but no mounts)")
	}
}
