//go:build e2e

package e2e

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/calico"
	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/kube"
	"github.com/calico-ebpf/kubectl-calico-ebpf/test/fakes/render"
)

// podExecutor builds the plugin's own exec layer for the e2e cluster.
func podExecutor(t *testing.T, transport kube.Transport) (*kube.PodExecutor, kubernetes.Interface) {
	t.Helper()
	cfg, err := clientcmd.BuildConfigFromFlags("", cluster.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	kc, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &kube.PodExecutor{Config: cfg, Client: kc, Transport: transport}, kc
}

// calicoTarget returns the exec target of a node's calico-node pod and its fake data dir.
func calicoTarget(t *testing.T, kc kubernetes.Interface, node string) (kube.Target, string) {
	t.Helper()
	pods, err := kube.CalicoNodePods(context.Background(), kc, calico.OperatorNamespace)
	if err != nil {
		t.Fatal(err)
	}
	p := pods[node]
	if p == nil {
		t.Fatalf("no calico-node pod on %s", node)
	}
	version := calico.ImageTag(kube.PodImage(p, calico.NodeContainer))
	dir := filepath.Join(cluster.Dir, "nodes", node, version)
	return kube.Target{Node: node, Namespace: p.Namespace, Pod: p.Name, Container: calico.NodeContainer}, dir
}

// TestExecRoundTrip50MB pulls a 50 MB conntrack dump out of a calico-node pod over each
// transport and checks it arrives byte for byte.
func TestExecRoundTrip50MB(t *testing.T) {
	_, kc := podExecutor(t, kube.TransportAuto)
	target, dir := calicoTarget(t, kc, "node-3") // v3.32.1
	dump := filepath.Join(dir, "conntrack-dump.stdout.txt")
	saved, err := os.ReadFile(dump)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.WriteFile(dump, saved, 0o644) })
	const size = 50 << 20
	if _, err := render.WriteLargeConntrack(dump, size, 42); err != nil {
		t.Fatal(err)
	}
	want, n := fileSHA256(t, dump)
	if n < size {
		t.Fatalf("fixture is %d bytes, want at least %d", n, size)
	}

	for _, tr := range []kube.Transport{kube.TransportWebSocket, kube.TransportSPDY, kube.TransportAuto} {
		t.Run(string(tr), func(t *testing.T) {
			ex, _ := podExecutor(t, tr)
			h := sha256.New()
			counter := &countingWriter{w: h}
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			start := time.Now()
			err := ex.Exec(ctx, target, []string{"calico-node", "-bpf", "conntrack", "dump"}, counter, io.Discard)
			if err != nil {
				t.Fatalf("exec over %s: %v", tr, err)
			}
			got := fmt.Sprintf("%x", h.Sum(nil))
			if got != want || counter.n != n {
				t.Fatalf("over %s got %d bytes sha256 %s, want %d bytes %s", tr, counter.n, got, n, want)
			}
			t.Logf("%s: %d bytes in %s, sha256 %s", tr, n, time.Since(start).Round(time.Millisecond), got)
		})
	}
}

// TestExecFailureNamesNodePodAndCommand runs a command the node's Calico refuses (-j on
// v3.29.7) and checks the error says where, what and why.
func TestExecFailureNamesNodePodAndCommand(t *testing.T) {
	ex, kc := podExecutor(t, kube.TransportAuto)
	target, _ := calicoTarget(t, kc, "node-2") // v3.29.7: no JSON
	var stderr strings.Builder
	err := ex.Exec(context.Background(), target, []string{"calico-node", "-bpf", "nat", "dump", "-j"}, io.Discard, &stderr)
	var execErr *kube.ExecError
	if !errors.As(err, &execErr) {
		t.Fatalf("exec error = %v (%T), want *kube.ExecError", err, err)
	}
	msg := err.Error()
	for _, want := range []string{"node-2", target.Pod, "calico-system", "calico-node -bpf nat dump -j", "exit status 1", "unknown shorthand flag: 'j'"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q lacks %q", msg, want)
		}
	}
	if execErr.ExitCode != 1 {
		t.Errorf("exit code = %d, want 1", execErr.ExitCode)
	}
	if !strings.Contains(stderr.String(), "unknown shorthand flag") {
		t.Errorf("stderr not streamed to the caller: %q", stderr.String())
	}
}

func fileSHA256(t *testing.T, path string) (string, int64) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%x", h.Sum(nil)), n
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return c.w.Write(p)
}
