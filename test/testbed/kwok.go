package testbed

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// kubeVersion is the Kubernetes version the tools are built at; kwokctl picks component flags
// by it.
const kubeVersion = "v1.37.2"

// serviceCIDR holds the ClusterIPs the fixtures use (10.96.0.1 kubernetes, 10.96.0.10 DNS, …).
const serviceCIDR = "10.96.0.0/16"

// kwokctl runs kwokctl with the cluster's environment: its state under the cache, the fakes
// first on PATH (kwok's exec runs commands with kwok's PATH), then the tools.
func (c *Cluster) kwokctl(ctx context.Context, args ...string) error {
	cmd := exec.CommandContext(ctx, filepath.Join(c.ToolsBin, "kwokctl"), args...)
	cmd.Env = c.kwokEnv()
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("kwokctl %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	return nil
}

func (c *Cluster) kwokEnv() []string {
	env := []string{
		"KWOK_WORKDIR=" + c.Paths.KwokWorkDir(),
		"KWOK_KUBE_VERSION=" + kubeVersion,
		"PATH=" + c.FakesBin + string(os.PathListSeparator) + c.ToolsBin + string(os.PathListSeparator) + os.Getenv("PATH"),
	}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PATH=") && !strings.HasPrefix(kv, "KWOK_") && !strings.HasPrefix(kv, "KUBECONFIG=") {
			env = append(env, kv)
		}
	}
	return env
}

func (c *Cluster) createKwokCluster(ctx context.Context) error {
	b := func(name string) string { return filepath.Join(c.ToolsBin, name) }
	args := []string{
		"create", "cluster",
		"--name", c.Name,
		"--runtime", "binary",
		"--kube-apiserver-binary", b("kube-apiserver"),
		"--kube-controller-manager-binary", b("kube-controller-manager"),
		"--kube-scheduler-binary", b("kube-scheduler"),
		"--kwok-controller-binary", b("kwok"),
		"--etcd-binary", b("etcd"),
		"--enable-crds", "Exec,Logs",
		"--kube-authorization",
		"--kubeconfig", c.Kubeconfig,
		"--extra-args", "kube-apiserver=service-cluster-ip-range=" + serviceCIDR,
		"--extra-args", "kube-controller-manager=service-cluster-ip-range=" + serviceCIDR,
		"--wait", "2m",
	}
	if c.AuditPolicy != "" {
		// blocking (kube-apiserver's default for the log backend, made explicit): each event
		// is written before its request's response is finished, so a test that has its
		// answer finds the event in the log (MarkAudit).
		args = append(args, "--kube-audit-policy", c.AuditPolicy,
			"--extra-args", "kube-apiserver=audit-log-mode=blocking")
	}
	return c.kwokctl(ctx, args...)
}

func (c *Cluster) deleteKwokCluster(ctx context.Context) error {
	return c.kwokctl(ctx, "delete", "cluster", "--name", c.Name, "--kubeconfig", c.Kubeconfig)
}
