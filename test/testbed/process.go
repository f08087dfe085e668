package testbed

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

const controllerPIDFile = "controller.pid"

// StartControllerProcess starts `<this program> controller` detached from the terminal, so
// that the cluster keeps its controller after `make cluster` returns. Its log is
// controller.log in the cluster dir; Down stops it.
func StartControllerProcess(_ context.Context, c *Cluster) error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	stopControllerProcess(c.Dir)
	logf, err := os.Create(filepath.Join(c.Dir, "controller.log"))
	if err != nil {
		return err
	}
	defer logf.Close()
	cmd := exec.Command(exe, "controller", "--name", c.Name, "--flavour", string(c.Flavour))
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s controller: %w", exe, err)
	}
	pid := cmd.Process.Pid
	_ = cmd.Process.Release()
	return os.WriteFile(filepath.Join(c.Dir, controllerPIDFile), []byte(strconv.Itoa(pid)), 0o644)
}

func stopControllerProcess(dir string) {
	b, err := os.ReadFile(filepath.Join(dir, controllerPIDFile))
	if err != nil {
		return
	}
	if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && pid > 0 {
		_ = syscall.Kill(pid, syscall.SIGTERM)
	}
	_ = os.Remove(filepath.Join(dir, controllerPIDFile))
}
