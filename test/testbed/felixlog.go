package testbed

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// writeFelixLog writes the container log kwok serves for a calico-node pod: Felix's start-up
// lines as the pod's configuration and Calico version would print them, in CRI format.
//
// Felix takes FELIX_BPFENABLED from its environment and, where that is not set (manifest
// installs), bpfEnabled from FelixConfiguration (felix is felixStamp's answer). When that
// flips, Felix restarts inside the running container: its new start-up lines are appended
// to the log, as they would be.
func (c *Controller) writeFelixLog(p *corev1.Pod, node *corev1.Node, version, felix string) (string, error) {
	dir := filepath.Join(c.dataRoot, "logs")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	bpf, fromEnv := false, false
	for _, e := range p.Spec.Containers[0].Env {
		if e.Name == bpfEnv {
			bpf, fromEnv = e.Value == "true", true
		}
	}
	if !fromEnv {
		bpf = felix == felixBPFOn
	}
	path := filepath.Join(dir, p.Namespace+"_"+p.Name+".log")
	start := p.CreationTimestamp.UTC()
	if start.IsZero() {
		start = time.Now().UTC()
	}
	var prev []byte
	if old, err := os.ReadFile(path); err == nil && !fromEnv && loggedBPF(old) != bpf {
		prev, start = old, time.Now().UTC()
	}
	lines := verifyFelixLines(node, version, bpf, felixStartup(version, bpf))
	var b strings.Builder
	for i, l := range lines {
		t := start.Add(time.Duration(i) * 10 * time.Millisecond)
		felix := fmt.Sprintf("%s [INFO][%d] %s", t.Format("2006-01-02 15:04:05.000"), 60+i, l)
		fmt.Fprintf(&b, "%s stdout F %s\n", t.Format(time.RFC3339Nano), felix)
	}
	return path, os.WriteFile(path, append(prev, b.String()...), 0o644)
}

// loggedBPF reads the BPFEnabled of the last start-up in a log written by writeFelixLog.
func loggedBPF(log []byte) bool {
	i := strings.LastIndex(string(log), "config.Config{BPFEnabled:")
	return i >= 0 && strings.HasPrefix(string(log[i+len("config.Config{BPFEnabled:"):]), "true")
}

// felixStartup is the part of Felix's start-up log the plugin looks for.
func felixStartup(version string, bpf bool) []string {
	lines := []string{
		"felix/daemon.go 384: Successfully loaded configuration. GOMAXPROCS=2 builddate=\"\" config=&config.Config{BPFEnabled:" + fmt.Sprint(bpf) + "} gitcommit=\"\" version=\"" + version + "\"",
	}
	if !bpf {
		return append(lines, "felix/int_dataplane.go 428: Creating internal dataplane driver. BPF disabled")
	}
	cleanup := "BPF enabled, configuring iptables layer to clean up kube-proxy's rules."
	if attachMode(version) == "tcx" {
		cleanup = "BPF enabled, configuring iptables/nftables layer to clean up kube-proxy's rules."
	}
	attach := "felix/attach.go 180: Program attached to TC. attachPoint=&tc.AttachPoint{Iface:\"eth0\"}"
	if attachMode(version) == "tcx" {
		attach = "felix/attach.go 201: Program attached to tcx. attachPoint=&tc.AttachPoint{Iface:\"eth0\"}"
	}
	return append(lines,
		"felix/int_dataplane.go 713: BPF enabled, starting BPF endpoint manager and map manager.",
		"felix/int_dataplane.go 721: "+cleanup,
		"felix/int_dataplane.go 2025: BPF enabled, disabling unprivileged BPF usage.",
		attach,
	)
}
