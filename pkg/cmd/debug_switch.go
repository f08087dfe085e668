package cmd

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/felixconfig"
	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/kube"
)

// switchDebug sets bpfLogLevel Debug (and bpfLogFilters for ifaces, when given) for a command
// that needs the BPF debug log for as long as it runs, such as trace, and returns the function
// that switches it back to exactly what it was. It writes the same restore record as `debug
// on`, so a killed caller leaves a state that `debug status` explains and `debug off` undoes.
// When debug is already on it changes nothing and restore does nothing: someone else's debug
// session is not ours to end. It does not wait for Felix to restart: the caller sees the
// debug lines as soon as Felix has reloaded the programs. Call restore with a context that
// Ctrl-C has not cancelled (context.WithoutCancel).
func switchDebug(ctx context.Context, clients *kube.Clients, ifaces []string) (restore func(context.Context) error, err error) {
	s, err := openFelix(ctx, clients, "")
	if err != nil {
		return nil, err
	}
	obj, err := s.read(ctx)
	if err != nil {
		return nil, err
	}
	if felixconfig.State(obj, time.Now()).On {
		return func(context.Context) error { return nil }, nil
	}
	if len(ifaces) > 0 {
		f, _ := felixconfig.Lookup("bpfLogFilters")
		if err := s.checkFields(io.Discard, []felixconfig.Assignment{{Field: f, Value: map[string]any{}}}, false); err != nil {
			return nil, fmt.Errorf("debug log for interfaces %v: %w", ifaces, err)
		}
	}
	w := &writeFlags{dryRun: dryRunNone}
	quiet := writeOut{io.Discard, io.Discard}
	changed, err := s.apply(ctx, w, quiet, func(obj felixconfig.Object) (felixconfig.Plan, error) {
		return felixconfig.DebugOn(obj, felixconfig.DebugOnOptions{Ifaces: ifaces})
	})
	if err != nil {
		return nil, fmt.Errorf("switch BPF debug logging on: %w", err)
	}
	if !changed {
		return func(context.Context) error { return nil }, nil
	}
	return func(ctx context.Context) error {
		if _, err := s.apply(ctx, w, quiet, debugOffPlan(io.Discard)); err != nil {
			return fmt.Errorf("switch BPF debug logging off (run `%s debug off`): %w", displayName, err)
		}
		return nil
	}, nil
}
