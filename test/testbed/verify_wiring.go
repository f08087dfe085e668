package testbed

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Node annotations for the faults `verify` must report. Like the others, the wiring reads them
// when it (re)wires the node's calico-node pod.
const (
	// AnnotationFelixLog changes the Felix log of BPF-enabled pods: not-supported (the kernel
	// check fails and Felix disables BPF) or missing (no BPF line at all, as with a log level
	// above Info or a rotated log).
	AnnotationFelixLog = "testbed.calico-ebpf/felix-log"
	// AnnotationVerifyFault breaks the node's attached programs: no-qdisc (no clsact qdisc
	// anywhere, for a node attaching with tc) or ifstate-not-ready (no interface is v4Ready or
	// v6Ready in `ifstate dump`).
	AnnotationVerifyFault = "testbed.calico-ebpf/verify-fault"
	// AnnotationAttach forces the node's attach mode (tc or tcx), as FelixConfiguration
	// bpfAttachType or a kernel without TCX would: FAKE_ATTACH, the Felix log and the data.
	AnnotationAttach = "testbed.calico-ebpf/attach"
)

// verifyStamp is the part of the wire stamp that the verify annotations make up.
func verifyStamp(node *corev1.Node) string {
	return node.Annotations[AnnotationFelixLog] + "/" + node.Annotations[AnnotationVerifyFault] + "/" + node.Annotations[AnnotationAttach]
}

// nodeAttachMode is the node's attach mode for a Calico version.
func nodeAttachMode(node *corev1.Node, version string) string {
	if m := node.Annotations[AnnotationAttach]; m == "tc" || m == "tcx" {
		return m
	}
	return attachMode(version)
}

// verifyFelixLines adjusts Felix's start-up lines to the node's attach mode and log fault.
func verifyFelixLines(node *corev1.Node, version string, bpf bool, lines []string) []string {
	if node == nil || !bpf {
		return lines
	}
	mode := nodeAttachMode(node, version)
	out := lines[:0:0]
	for _, l := range lines {
		if mode == "tc" {
			l = strings.Replace(l, "Program attached to tcx.", "Program attached to tc.", 1)
		}
		out = append(out, l)
	}
	switch node.Annotations[AnnotationFelixLog] {
	case "not-supported":
		return []string{
			out[0],
			"felix/int_dataplane.go 402: BPF dataplane mode enabled but not supported by the kernel.  Disabling BPF mode. error=\"kernel is too old (have: 4.15.0 but want at least: 5.3.0)\"",
			"felix/int_dataplane.go 428: Creating internal dataplane driver. BPF disabled",
		}
	case "missing":
		var kept []string
		for _, l := range out {
			if !strings.Contains(l, "BPF enabled") && !strings.Contains(l, "Program attached") {
				kept = append(kept, l)
			}
		}
		return kept
	}
	return out
}

// verifyDataDir returns the data directory the node's fakes read: the rendered one, or a
// copy of it with the node's verify fault applied. It (re)writes the data that depends on the
// pods of the node: a workload interface with programs per pod, in the node's attach mode.
func (c *Controller) verifyDataDir(ctx context.Context, node *corev1.Node, version, dataDir string) (string, error) {
	fault := node.Annotations[AnnotationVerifyFault]
	mode := nodeAttachMode(node, version)
	dir := dataDir
	if fault != "" || mode != attachMode(version) {
		dir = dataDir + ".verify-" + mode + "-" + orNone(fault)
		if _, err := os.Stat(dir); err != nil {
			if err := copyDir(dataDir, dir); err != nil {
				return "", err
			}
			if fault == "ifstate-not-ready" {
				if err := unreadyIfState(dir); err != nil {
					return "", err
				}
			}
		}
	}
	ifaces, err := c.workloadIfaces(ctx, node.Name)
	if err != nil {
		return "", err
	}
	clsact := mode == "tc" && fault != "no-qdisc"
	if err := writeIfChanged(filepath.Join(dir, "tc-s-qdisc-show.stdout.txt"), qdiscListing(ifaces, clsact)); err != nil {
		return "", err
	}
	links := filepath.Join(dir, "ls-sys-fs-bpf-tcx.stdout.txt")
	if mode == "tcx" {
		err = writeIfChanged(links, tcxLinks(ifaces))
	} else if err = os.Remove(links); os.IsNotExist(err) {
		err = nil
	}
	return dir, err
}

// refreshVerifyData keeps every wired pod's per-node data in step with the pods on its node.
func (c *Controller) refreshVerifyData(ctx context.Context, pods []corev1.Pod, byName map[string]*corev1.Node) error {
	for i := range pods {
		p := &pods[i]
		node := byName[p.Spec.NodeName]
		if node == nil || p.DeletionTimestamp != nil {
			continue
		}
		version := imageVersion(p)
		dir := filepath.Join(c.dataRoot, "nodes", node.Name, version)
		if _, err := os.Stat(filepath.Join(dir, ".rendered")); err != nil {
			continue // not wired yet
		}
		if _, err := c.verifyDataDir(ctx, node, version, dir); err != nil {
			return err
		}
	}
	return nil
}

func imageVersion(p *corev1.Pod) string {
	img := p.Spec.Containers[0].Image
	if i := strings.LastIndexByte(img, ':'); i >= 0 {
		return img[i+1:]
	}
	return ""
}

// workloadIfaces names the workload interface of every running, non-host-networked pod on
// the node, the way Calico names them (cali + 11 hex digits of a hash of the pod).
func (c *Controller) workloadIfaces(ctx context.Context, node string) ([]string, error) {
	pods, err := c.kube.CoreV1().Pods("").List(ctx, metav1.ListOptions{FieldSelector: "spec.nodeName=" + node})
	if err != nil {
		return nil, fmt.Errorf("list pods of node %s: %w", node, err)
	}
	var names []string
	for _, p := range pods.Items {
		if p.Spec.HostNetwork || p.DeletionTimestamp != nil || p.Status.Phase != corev1.PodRunning {
			continue
		}
		sum := sha1.Sum([]byte(p.Namespace + "." + p.Name))
		names = append(names, "cali"+hex.EncodeToString(sum[:])[:11])
	}
	sort.Strings(names)
	return names, nil
}

const verifyQdiscStats = " Sent 0 bytes 0 pkt (dropped 0, overlimits 0 requeues 0) \n backlog 0b 0p requeues 0\n"

func qdiscListing(ifaces []string, clsact bool) []byte {
	heads := []string{"qdisc noqueue 0: dev lo root refcnt 2 \n", "qdisc mq 0: dev eth0 root \n"}
	if clsact {
		heads = append(heads, "qdisc clsact ffff: dev eth0 parent ffff:fff1 \n")
	}
	for _, i := range ifaces {
		heads = append(heads, "qdisc noqueue 0: dev "+i+" root refcnt 2 \n")
		if clsact {
			heads = append(heads, "qdisc clsact ffff: dev "+i+" parent ffff:fff1 \n")
		}
	}
	var b bytes.Buffer
	for _, h := range heads {
		b.WriteString(h + verifyQdiscStats)
	}
	return b.Bytes()
}

func tcxLinks(ifaces []string) []byte {
	var b bytes.Buffer
	for _, i := range append([]string{"eth0"}, ifaces...) {
		fmt.Fprintf(&b, "%s_egress\n%s_ingress\n", i, i)
	}
	return b.Bytes()
}

// unreadyIfState drops the ready flags from the ifstate dumps, text and JSON.
func unreadyIfState(dir string) error {
	files, err := filepath.Glob(filepath.Join(dir, "ifstate-dump*.stdout.txt"))
	if err != nil {
		return err
	}
	r := strings.NewReplacer(
		"\"v4Ready\",", "", "\"v6Ready\",", "", ",\n      \"v4Ready\"", "", ",\n      \"v6Ready\"", "", "\"v4Ready\"", "\"host\"", "\"v6Ready\"", "\"host\"",
		"v4Ready,", "", "v6Ready,", "", ",v4Ready", "", ",v6Ready", "", "v4Ready", "host", "v6Ready", "host",
	)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		if err := os.WriteFile(f, []byte(r.Replace(string(b))), 0o644); err != nil {
			return err
		}
	}
	return nil
}

func copyDir(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
}

func writeIfChanged(path string, data []byte) error {
	if cur, err := os.ReadFile(path); err == nil && bytes.Equal(cur, data) {
		return nil
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
