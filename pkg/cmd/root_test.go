package cmd

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"k8s.io/cli-runtime/pkg/genericiooptions"
)

func runRoot(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	streams, _, out, errOut := genericiooptions.NewTestIOStreams()
	code = Execute(context.Background(), streams, args)
	return out.String(), errOut.String(), code
}

func TestVersionClientOnly(t *testing.T) {
	out, errOut, code := runRoot(t, "version", "--client", "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var info VersionInfo
	if err := json.Unmarshal([]byte(out), &info); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if info.Client.Version != version || info.Calico != nil || info.Kubernetes != "" {
		t.Errorf("version --client -o json = %+v", info)
	}
}

func TestUsageErrorPointsToHelp(t *testing.T) {
	out, errOut, code := runRoot(t, "version", "--nope")
	if code != 1 || out != "" {
		t.Fatalf("exit %d, stdout %q", code, out)
	}
	if !strings.Contains(errOut, "error: unknown flag: --nope") || !strings.Contains(errOut, "See 'kubectl calico-ebpf --help' for usage.") {
		t.Errorf("stderr = %q", errOut)
	}
}

func TestVersionRejectsWide(t *testing.T) {
	_, errOut, code := runRoot(t, "version", "-o", "wide")
	if code == 0 || !strings.Contains(errOut, "json or yaml") {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
}

func TestHelpUsesKubectlName(t *testing.T) {
	out, _, code := runRoot(t, "--help")
	if code != 0 || !strings.Contains(out, "kubectl calico-ebpf [command]") {
		t.Errorf("exit %d, help:\n%s", code, out)
	}
}
