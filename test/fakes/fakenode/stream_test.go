package fakenode

import (
	"bufio"
	"context"
	"crypto/sha256"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/calico-ebpf/kubectl-calico-ebpf/test/fakes/render"
)

// A 50 MB conntrack dump must come through exec byte for byte.
func TestLargeConntrackRoundTrip(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 50 MB")
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "conntrack-dump.stdout.txt")
	if _, err := render.WriteLargeConntrack(file, 50<<20, 42); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(filepath.Join(binDir, "calico-node"), "-bpf", "conntrack", "dump")
	cmd.Env = node{version: "v3.32.1", dataDir: dir}.environ()
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	got := sha256.New()
	n, err := io.Copy(got, out)
	if err != nil || cmd.Wait() != nil {
		t.Fatalf("stream: %v", err)
	}
	want := sha256.New()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	wantN, _ := io.Copy(want, f)
	if n != wantN || string(got.Sum(nil)) != string(want.Sum(nil)) {
		t.Errorf("streamed %d bytes, file has %d; contents equal: %v", n, wantN, string(got.Sum(nil)) == string(want.Sum(nil)))
	}
}

// tc exec bpf debug prints the captured trace, then keeps the pipe open.
func TestTraceStreamsThenBlocks(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "tc-exec-bpf-debug.stdout.txt"),
		"<idle>-0 [001] d.s.. 100.000001: bpf_trace_printk: eth0-----I: New packet at ifindex=2; mark=0\n")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(binDir, "tc"), "exec", "bpf", "debug")
	cmd.Env = node{version: "v3.29.7", dataDir: dir}.environ()
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || !strings.Contains(line, "New packet at ifindex=2") {
		t.Fatalf("first trace line %q: %v", line, err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		t.Fatalf("trace pipe ended by itself: %v", err)
	case <-time.After(200 * time.Millisecond):
	}
	cmd.Process.Kill()
	<-done
}
