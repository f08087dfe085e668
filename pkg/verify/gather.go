package verify

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/calico"
	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/collect"
	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/kube"
	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/model"
	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/parse"
)

// LogSource streams a container's log since it started (pods/log).
type LogSource interface {
	ContainerLog(ctx context.Context, namespace, pod, container string) (io.ReadCloser, error)
}

// KubeLogs reads logs through the API server.
type KubeLogs struct{ Client kubernetes.Interface }

// ContainerLog implements LogSource.
func (k KubeLogs) ContainerLog(ctx context.Context, namespace, pod, container string) (io.ReadCloser, error) {
	return k.Client.CoreV1().Pods(namespace).GetLogs(pod, &corev1.PodLogOptions{Container: container}).Stream(ctx)
}

// maxLogBytes bounds how much of a Felix log is read; the lines verify looks for come first.
const maxLogBytes = 256 << 20

// bpfEnv is the calico-node environment variable that turns BPF on.
const bpfEnv = "FELIX_BPFENABLED"

// Gatherer reads the facts verify needs from the cluster.
type Gatherer struct {
	Kube    kubernetes.Interface
	Dynamic dynamic.Interface
	Exec    kube.Executor
	Logs    LogSource
	// Namespace is --calico-namespace ("" detects it).
	Namespace string
	Parallel  int
	// Timeout bounds each node's commands.
	Timeout time.Duration
}

// ErrNoCalico is returned when the cluster has no calico-node DaemonSet.
var ErrNoCalico = errors.New("no calico-node DaemonSet found")

// Gather reads the install's configuration and every selected node's facts. Nodes that are
// not Linux (no calico-node runs there) are left out and named in skipped.
func (g *Gatherer) Gather(ctx context.Context, sel kube.NodeSelection) (c ClusterFacts, nodes []NodeFacts, skipped []string, err error) {
	inst, err := kube.DetectCalico(ctx, g.Kube, g.Dynamic, g.Namespace)
	if err != nil {
		return c, nil, nil, err
	}
	if inst.DaemonSet == nil {
		where := inst.Namespace
		if g.Namespace == "" {
			where = calico.OperatorNamespace + " or " + calico.ManifestNamespace
		}
		return c, nil, nil, fmt.Errorf("%w in %s", ErrNoCalico, where)
	}
	c = g.clusterFacts(ctx, inst)
	selected, err := kube.SelectNodes(ctx, g.Kube, sel)
	if err != nil {
		return c, nil, nil, err
	}
	calicoPods, err := kube.CalicoNodePods(ctx, g.Kube, inst.Namespace)
	if err != nil {
		return c, nil, nil, err
	}
	all, err := g.Kube.CoreV1().Pods("").List(ctx, metav1.ListOptions{})
	if err != nil {
		return c, nil, nil, fmt.Errorf("list pods: %w", err)
	}
	workloads, kubeProxy := podsByNode(all.Items)

	var targets []collect.Node
	for _, n := range selected {
		if os := n.Labels["kubernetes.io/os"]; os != "" && os != "linux" && len(sel.Names) == 0 {
			skipped = append(skipped, n.Name)
			continue
		}
		nf := NodeFacts{
			Node: n.Name, Kernel: n.Status.NodeInfo.KernelVersion, OSImage: n.Status.NodeInfo.OSImage,
			WorkloadPods: workloads[n.Name],
			KubeProxy:    Probe[[]string]{Value: kubeProxy[n.Name], Done: true},
		}
		if p := calicoPods[n.Name]; p != nil {
			nf.Pod = podFacts(p)
		}
		nodes = append(nodes, nf)
		targets = append(targets, collect.Node{Name: n.Name, Pod: calicoPods[n.Name]})
	}
	g.probe(ctx, nodes, targets)
	return c, nodes, skipped, nil
}

func (g *Gatherer) clusterFacts(ctx context.Context, inst *kube.CalicoInstall) ClusterFacts {
	c := ClusterFacts{Flavour: string(inst.Flavour), Namespace: inst.Namespace, Installation: inst.Installation}
	if g.Dynamic == nil {
		return c
	}
	if inst.Installation {
		obj, err := g.Dynamic.Resource(calico.InstallationGVR).Get(ctx, calico.DefaultName, metav1.GetOptions{})
		if err != nil {
			c.Err = fmt.Errorf("get installation default: %w", err)
			return c
		}
		c.LinuxDataplane, _, _ = unstructured.NestedString(obj.Object, "spec", "calicoNetwork", "linuxDataplane")
	}
	var lastErr error
	for _, gvr := range []schema.GroupVersionResource{calico.FelixConfigurationV1GVR, calico.FelixConfigurationV3GVR} {
		obj, err := g.Dynamic.Resource(gvr).Get(ctx, calico.DefaultName, metav1.GetOptions{})
		if err != nil {
			if !apierrors.IsNotFound(err) {
				lastErr = err
			}
			continue
		}
		c.FelixConfiguration = true
		if on, found, _ := unstructured.NestedBool(obj.Object, "spec", "bpfEnabled"); found {
			c.BPFEnabled = &on
		}
		c.AttachType, _, _ = unstructured.NestedString(obj.Object, "spec", "bpfAttachType")
		return c
	}
	if lastErr != nil && !strings.Contains(lastErr.Error(), "the server could not find the requested resource") {
		c.Err = fmt.Errorf("get felixconfiguration default: %w", lastErr)
	}
	return c
}

func podFacts(p *corev1.Pod) *PodFacts {
	f := &PodFacts{
		Namespace: p.Namespace, Name: p.Name, Phase: string(p.Status.Phase),
		Deleting: p.DeletionTimestamp != nil,
		Version:  calico.ImageTag(kube.PodImage(p, calico.NodeContainer)),
	}
	for _, c := range p.Spec.Containers {
		if c.Name != calico.NodeContainer {
			continue
		}
		for _, e := range c.Env {
			if e.Name == bpfEnv && e.ValueFrom == nil {
				f.BPFEnv, f.BPFEnvSet = e.Value, true
			}
		}
	}
	for _, cs := range p.Status.ContainerStatuses {
		if cs.Name != calico.NodeContainer {
			continue
		}
		f.Ready, f.Restarts = cs.Ready, cs.RestartCount
		if w := cs.State.Waiting; w != nil {
			f.Waiting, f.WaitingMessage = w.Reason, w.Message
		}
		if t := cs.LastTerminationState.Terminated; t != nil {
			f.LastTermination = strings.TrimSpace(t.Message)
			if f.LastTermination == "" {
				f.LastTermination = fmt.Sprintf("%s, exit code %d", t.Reason, t.ExitCode)
			}
		}
	}
	return f
}

// podsByNode counts the non-host-networked running pods of each node and names its
// kube-proxy pods.
func podsByNode(pods []corev1.Pod) (map[string]int, map[string][]string) {
	workloads, proxies := map[string]int{}, map[string][]string{}
	for _, p := range pods {
		if p.Spec.NodeName == "" || p.DeletionTimestamp != nil || p.Status.Phase != corev1.PodRunning {
			continue
		}
		if isKubeProxy(p) {
			proxies[p.Spec.NodeName] = append(proxies[p.Spec.NodeName], p.Namespace+"/"+p.Name)
		}
		if !p.Spec.HostNetwork {
			workloads[p.Spec.NodeName]++
		}
	}
	return workloads, proxies
}

func isKubeProxy(p corev1.Pod) bool {
	if p.Labels["k8s-app"] == "kube-proxy" || p.Labels["component"] == "kube-proxy" {
		return true
	}
	return p.Namespace == "kube-system" && strings.HasPrefix(p.Name, "kube-proxy-")
}

// probe runs the per-node commands: qdiscs and ifstate through the Collector, mounts, the
// TCX link listing and the Felix log directly.
func (g *Gatherer) probe(ctx context.Context, nodes []NodeFacts, targets []collect.Node) {
	index := map[string]*NodeFacts{}
	var usable []collect.Node
	for i := range nodes {
		index[nodes[i].Node] = &nodes[i]
		if podUsable(nodes[i]) {
			usable = append(usable, targets[i])
		}
	}
	col := &collect.Collector{Exec: g.Exec, Parallel: g.Parallel, Timeout: g.Timeout}
	var mu sync.Mutex
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		qd := map[string][]model.Qdisc{}
		res := col.Collect(ctx, usable, collect.Request{Kind: parse.KindQdisc}, parse.Options{}, func(node string, row any) error {
			if q, ok := row.(model.Qdisc); ok {
				qd[node] = append(qd[node], q)
			}
			return nil
		})
		mu.Lock()
		defer mu.Unlock()
		for _, r := range res {
			index[r.Node].Qdiscs = Probe[[]model.Qdisc]{Value: qd[r.Node], Err: r.Err, Done: true}
		}
	}()
	go func() {
		defer wg.Done()
		st := map[string][]model.IfState{}
		res := col.Collect(ctx, usable, collect.Request{Kind: parse.KindIfState}, parse.Options{}, func(node string, row any) error {
			if s, ok := row.(model.IfState); ok {
				st[node] = append(st[node], s)
			}
			return nil
		})
		mu.Lock()
		defer mu.Unlock()
		for _, r := range res {
			index[r.Node].IfState = Probe[[]model.IfState]{Value: st[r.Node], Err: r.Err, Done: true}
		}
	}()
	parallel := g.Parallel
	if parallel <= 0 {
		parallel = 10
	}
	sem := make(chan struct{}, parallel)
	for _, t := range usable {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			target := kube.Target{Node: t.Name, Namespace: t.Pod.Namespace, Pod: t.Pod.Name, Container: calico.NodeContainer}
			mounts, mErr := g.run(ctx, target, "cat", "/proc/mounts")
			links, lErr := g.run(ctx, target, "ls", "-1", "/sys/fs/bpf/tcx")
			facts, logErr := g.felixLog(ctx, target)
			mu.Lock()
			defer mu.Unlock()
			nf := index[t.Name]
			nf.Mounts = Probe[[]Mount]{Value: parseMounts(mounts), Err: mErr, Done: true}
			nf.TCXLinks = Probe[[]string]{Value: strings.Fields(string(links)), Err: lErr, Done: true}
			nf.Log = Probe[[]model.FelixLogFact]{Value: facts, Err: logErr, Done: true}
		}()
	}
	wg.Wait()
}

// run execs a short command and returns its stdout.
func (g *Gatherer) run(ctx context.Context, t kube.Target, argv ...string) ([]byte, error) {
	if g.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, g.Timeout)
		defer cancel()
	}
	var out, errOut bytes.Buffer
	err := g.Exec.Exec(ctx, t, argv, &out, &errOut)
	if kube.IsTransient(err) {
		// The exec stream broke (API server and kubelet proxies do this under load); the
		// command only reads, so run it once more.
		out.Reset()
		errOut.Reset()
		err = g.Exec.Exec(ctx, t, argv, &out, &errOut)
	}
	if err != nil {
		if msg := strings.TrimSpace(errOut.String()); msg != "" {
			return nil, fmt.Errorf("%s: %w", firstLine(msg, 200), err)
		}
		return nil, err
	}
	return out.Bytes(), nil
}

func (g *Gatherer) felixLog(ctx context.Context, t kube.Target) ([]model.FelixLogFact, error) {
	if g.Logs == nil {
		return nil, errors.New("no log source")
	}
	if g.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, g.Timeout)
		defer cancel()
	}
	rc, err := g.Logs.ContainerLog(ctx, t.Namespace, t.Pod, t.Container)
	if err != nil {
		return nil, fmt.Errorf("read log of pod %s/%s: %w", t.Namespace, t.Pod, err)
	}
	defer rc.Close()
	var facts []model.FelixLogFact
	_, err = parse.FelixLog(bufio.NewReader(io.LimitReader(rc, maxLogBytes)), parse.Options{Format: parse.FormatText}, func(f model.FelixLogFact) error {
		if f.Kind == model.FactConfigLoaded {
			// Felix restarted in place (it does on FelixConfiguration changes such as
			// bpfEnabled): only what the running Felix logged tells the current state.
			facts = facts[:0]
		}
		facts = append(facts, f)
		return nil
	})
	if err != nil {
		return facts, fmt.Errorf("read log of pod %s/%s: %w", t.Namespace, t.Pod, err)
	}
	return facts, nil
}

func parseMounts(b []byte) []Mount {
	var ms []Mount
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) >= 3 {
			ms = append(ms, Mount{Source: f[0], Target: f[1], Type: f[2]})
		}
	}
	return ms
}
