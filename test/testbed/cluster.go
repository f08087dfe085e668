package testbed

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/calico"
)

//go:embed manifests/*.yaml
var manifests embed.FS

// Config describes a simulated cluster.
type Config struct {
	// Name is the kwok cluster name; the demo and the tests use different ones.
	Name string
	// Nodes is how many kwok nodes to create.
	Nodes int
	// Versions are the Calico versions of the calico-node pods, assigned round the nodes.
	Versions []string
	// Flavour is an operator (calico-system) or manifest (kube-system) install.
	Flavour calico.Flavour
	// WorkloadNodes caps how many nodes run the fixture-world apps (0: all, at most 4).
	WorkloadNodes int
	// OperatorVersion is the tigera-operator image tag (default v1.42.3); the operator
	// stand-in offers what that version offers (bpfNetworkBootstrap and kubeProxyManagement
	// from v1.40, host ports with BPF from v1.31).
	OperatorVersion string
	// AuditPolicy is a kube-apiserver audit policy file; Up writes one that logs every
	// request's metadata when it is empty (see AuditLogPath).
	AuditPolicy string
	// NoAudit turns the audit log off: benchmarks measure the API server without it.
	NoAudit bool
	// Progress receives one line per step.
	Progress io.Writer
}

// Cluster is a running (or about to run) simulated cluster.
type Cluster struct {
	Config
	Paths      Paths
	ToolsBin   string
	FakesBin   string
	Dir        string
	Kubeconfig string
	Kube       kubernetes.Interface
	Dynamic    dynamic.Interface
}

// New resolves where the cluster lives; nothing is started.
func New(cfg Config) (*Cluster, error) {
	p, err := FindPaths()
	if err != nil {
		return nil, err
	}
	if cfg.Name == "" {
		cfg.Name = "calico-ebpf"
	}
	if cfg.Nodes <= 0 {
		cfg.Nodes = 3
	}
	if len(cfg.Versions) == 0 {
		cfg.Versions = []string{"v3.32.1"}
	}
	if cfg.Flavour == "" {
		cfg.Flavour = calico.FlavourOperator
	}
	if cfg.WorkloadNodes <= 0 || cfg.WorkloadNodes > min(cfg.Nodes, 4) {
		cfg.WorkloadNodes = min(cfg.Nodes, 4)
	}
	if cfg.Progress == nil {
		cfg.Progress = io.Discard
	}
	dir := p.ClusterDir(cfg.Name)
	return &Cluster{Config: cfg, Paths: p, Dir: dir, Kubeconfig: filepath.Join(dir, "kubeconfig")}, nil
}

func (c *Cluster) step(format string, a ...any) {
	fmt.Fprintf(c.Progress, "testbed: "+format+"\n", a...)
}

// Prepare builds (or reuses) the tools and the fakes.
func (c *Cluster) Prepare(ctx context.Context) error {
	var err error
	if c.ToolsBin, err = c.Paths.Tools(ctx); err != nil {
		return err
	}
	c.FakesBin, err = c.Paths.BuildFakes(ctx)
	return err
}

// Running reports whether the cluster was set up completely and its API server answers.
func (c *Cluster) Running(ctx context.Context) bool {
	if _, err := os.Stat(filepath.Join(c.Dir, "ready")); err != nil {
		return false
	}
	if err := c.Connect(); err != nil {
		return false
	}
	_, err := c.Kube.Discovery().ServerVersion()
	return err == nil
}

// Up creates the cluster and fills it; startController is called once the world exists and
// before calico-node is deployed, so that its pods get wired as they appear.
func (c *Cluster) Up(ctx context.Context, startController func(context.Context, *Cluster) error) error {
	start := time.Now()
	if err := os.MkdirAll(c.Dir, 0o755); err != nil {
		return err
	}
	_ = os.Remove(filepath.Join(c.Dir, "ready"))
	if err := c.ensureAuditPolicy(); err != nil {
		return err
	}
	c.step("starting kwok cluster %q (%d nodes)", c.Name, c.Nodes)
	if err := c.createKwokCluster(ctx); err != nil {
		return err
	}
	if err := c.Connect(); err != nil {
		return err
	}
	c.step("installing Calico CRDs and configuration (%s flavour)", c.Flavour)
	if err := c.applyManifests(ctx); err != nil {
		return err
	}
	c.step("creating nodes, workloads and services")
	if err := createNodes(ctx, c.Kube, c.Nodes); err != nil {
		return err
	}
	if err := c.createWorld(ctx); err != nil {
		return err
	}
	if err := startController(ctx, c); err != nil {
		return fmt.Errorf("start test-bed controller: %w", err)
	}
	c.step("deploying calico-node %s", strings.Join(c.Versions, ", "))
	if err := deployCalicoNode(ctx, c.Kube, calico.NamespaceFor(c.Flavour), c.Nodes, c.Versions); err != nil {
		return err
	}
	if err := c.waitWired(ctx); err != nil {
		return err
	}
	c.step("ready in %s", time.Since(start).Round(time.Second))
	return os.WriteFile(filepath.Join(c.Dir, "ready"), []byte(time.Now().Format(time.RFC3339)), 0o644)
}

// Down deletes the cluster and its state. It is safe to call on a cluster that is half up.
func (c *Cluster) Down(ctx context.Context) error {
	if c.ToolsBin == "" {
		if err := c.Prepare(ctx); err != nil {
			return err
		}
	}
	stopControllerProcess(c.Dir)
	err := c.deleteKwokCluster(ctx)
	if rmErr := os.RemoveAll(c.Dir); err == nil {
		err = rmErr
	}
	return err
}

// Connect builds the clients from the cluster's kubeconfig.
func (c *Cluster) Connect() error {
	cfg, err := clientcmd.BuildConfigFromFlags("", c.Kubeconfig)
	if err != nil {
		return fmt.Errorf("load kubeconfig %s: %w", c.Kubeconfig, err)
	}
	cfg.QPS, cfg.Burst = 200, 400
	if c.Kube, err = kubernetes.NewForConfig(cfg); err != nil {
		return err
	}
	c.Dynamic, err = dynamic.NewForConfig(cfg)
	return err
}

// Kubectl runs the real kubectl against the cluster.
func (c *Cluster) Kubectl(ctx context.Context, stdin []byte, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, filepath.Join(c.ToolsBin, "kubectl"), append([]string{"--kubeconfig", c.Kubeconfig}, args...)...)
	cmd.Stdin = bytes.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return out, fmt.Errorf("kubectl %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	return out, nil
}

func (c *Cluster) applyManifests(ctx context.Context) error {
	crds, _ := manifests.ReadFile("manifests/crds.yaml")
	if _, err := c.Kubectl(ctx, crds, "apply", "-f", "-"); err != nil {
		return err
	}
	if _, err := c.Kubectl(ctx, nil, "wait", "--for", "condition=established", "--timeout", "60s", "crd", "--all"); err != nil {
		return err
	}
	files := []string{"manifests/calico-config.yaml"}
	if c.Flavour == calico.FlavourOperator {
		files = append(files, "manifests/operator.yaml")
	}
	for _, f := range files {
		b, _ := manifests.ReadFile(f)
		if c.OperatorVersion != "" {
			b = bytes.ReplaceAll(b, []byte(operatorImage+defaultOperatorVersion), []byte(operatorImage+c.OperatorVersion))
		}
		if _, err := c.Kubectl(ctx, b, "apply", "-f", "-"); err != nil {
			return err
		}
	}
	ci := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "crd.projectcalico.org/v1", "kind": "ClusterInformation",
		"metadata": map[string]any{"name": calico.DefaultName},
		"spec":     map[string]any{"calicoVersion": c.Versions[len(c.Versions)-1], "clusterType": "k8s,bgp,kubeadm", "datastoreReady": true},
	}}
	_, err := c.Dynamic.Resource(calico.ClusterInformationV1GVR).Create(ctx, ci, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("create clusterinformation: %w", err)
	}
	return nil
}

// createWorld creates the fixture world's apps and Services and waits for every app pod to
// have its address, which the fixtures are rewritten to.
func (c *Cluster) createWorld(ctx context.Context) error {
	if _, err := c.Kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "demo"}}, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return err
	}
	for k := range c.WorkloadNodes {
		for _, a := range apps {
			d := appDeployment(a, nodeName(k))
			if _, err := c.Kube.AppsV1().Deployments(a.Namespace).Create(ctx, d, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
				return fmt.Errorf("create deployment %s/%s: %w", d.Namespace, d.Name, err)
			}
		}
	}
	for _, s := range services() {
		created, err := c.Kube.CoreV1().Services(s.Namespace).Create(ctx, s, metav1.CreateOptions{})
		if apierrors.IsAlreadyExists(err) {
			continue
		}
		if err != nil {
			return fmt.Errorf("create service %s/%s: %w", s.Namespace, s.Name, err)
		}
		if ip := loadBalancerIngress[s.Namespace+"/"+s.Name]; ip != "" {
			created.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{IP: ip}}
			if _, err := c.Kube.CoreV1().Services(s.Namespace).UpdateStatus(ctx, created, metav1.UpdateOptions{}); err != nil {
				return fmt.Errorf("set load balancer of %s/%s: %w", s.Namespace, s.Name, err)
			}
		}
	}
	want := c.WorkloadNodes * len(apps)
	return wait.PollUntilContextTimeout(ctx, 300*time.Millisecond, 3*time.Minute, true, func(ctx context.Context) (bool, error) {
		pods, err := c.Kube.CoreV1().Pods("").List(ctx, metav1.ListOptions{LabelSelector: appLabel})
		if err != nil {
			return false, err
		}
		ready := 0
		for _, p := range pods.Items {
			if p.Status.PodIP != "" && p.Status.Phase == corev1.PodRunning {
				ready++
			}
		}
		return ready >= want, nil
	})
}

// WaitWired waits until every calico-node pod has its Exec object: tests that roll
// calico-node call it before the next test execs into the new pods.
func (c *Cluster) WaitWired(ctx context.Context) error { return c.waitWired(ctx) }

// waitWired waits until every calico-node pod has its Exec object, made for the pod as it is
// and for its node's current fault annotations.
func (c *Cluster) waitWired(ctx context.Context) error {
	ns := calico.NamespaceFor(c.Flavour)
	return wait.PollUntilContextTimeout(ctx, 300*time.Millisecond, 2*time.Minute, true, func(ctx context.Context) (bool, error) {
		pods, err := calicoNodePods(ctx, c.Kube, ns)
		if err != nil {
			return false, err
		}
		nodes, err := c.Kube.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, nil
		}
		execs, err := c.Dynamic.Resource(execGVR).Namespace(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, nil
		}
		felix := felixStamp(ctx, c.Dynamic, c.Flavour)
		stamps := map[string]string{}
		for _, e := range execs.Items {
			stamps[e.GetName()] = e.GetAnnotations()[wiredPodAnnotation]
		}
		byName := map[string]*corev1.Node{}
		for i := range nodes.Items {
			byName[nodes.Items[i].Name] = &nodes.Items[i]
		}
		for i := range pods {
			p := &pods[i]
			node := byName[p.Spec.NodeName]
			if node == nil || stamps[p.Name] != wireStamp(p, node, felix) {
				return false, nil
			}
		}
		return len(pods) >= c.Nodes, nil
	})
}

// Controller returns the test-bed controller for this cluster.
func (c *Cluster) Controller(log io.Writer) *Controller {
	return NewController(c.Kube, c.Dynamic, c.Flavour, c.Dir, c.Paths.FixturesDir(), log)
}

// Env is the environment a shell or test needs to use the cluster with the real kubectl.
func (c *Cluster) Env() []string {
	return []string{"KUBECONFIG=" + c.Kubeconfig}
}
