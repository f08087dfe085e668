package cmd

import (
	"context"
	"fmt"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/calico"
	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/kube"
)

// debugLevel is the bpfLogLevel that applies to one node, and which object says so.
type debugLevel struct {
	// Level is Off, Info or Debug as written (any case); "" when nothing sets it (Off).
	Level string
	// From is "FelixConfiguration node.<node>", "FelixConfiguration default" or "" (Felix's
	// own default).
	From string
}

func (d debugLevel) on() bool { return strings.EqualFold(d.Level, "Debug") }

func (d debugLevel) String() string {
	level := d.Level
	if level == "" {
		level = "Off"
	}
	if d.From == "" {
		return level + " (unset, Felix's default)"
	}
	return level + " (" + d.From + ")"
}

// readDebugLevel reads bpfLogLevel for node the way Felix resolves it: the node's own
// FelixConfiguration (node.<name>) where it sets the field, else default.
func readDebugLevel(ctx context.Context, clients *kube.Clients, node string) (debugLevel, error) {
	gvr, err := kube.FelixConfigurationGVR(clients.Kube.Discovery())
	if err != nil {
		return debugLevel{}, err
	}
	for _, name := range []string{"node." + node, calico.DefaultName} {
		obj, err := clients.Dynamic.Resource(gvr).Get(ctx, name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			continue
		}
		if err != nil {
			return debugLevel{}, fmt.Errorf("get felixconfiguration %s: %w", name, err)
		}
		level, found, _ := unstructured.NestedString(obj.Object, "spec", "bpfLogLevel")
		if found && level != "" {
			return debugLevel{Level: level, From: "FelixConfiguration " + name}, nil
		}
	}
	return debugLevel{}, nil
}

// ensureDebug checks that the node's programs write the trace. Without --debug a level other
// than Debug is a warning with the fix; with --debug the level is switched for the trace and
// the returned restore switches it back. A node-specific FelixConfiguration that sets the
// level wins over default, which is what --debug switches, so that case is an error.
func (o *TraceOptions) ensureDebug(ctx context.Context, clients *kube.Clients) (restore func(context.Context) error, err error) {
	level, err := readDebugLevel(ctx, clients, o.Node)
	switch {
	case err != nil && o.Debug:
		return nil, fmt.Errorf("trace node %s: read bpfLogLevel before switching it: %w", o.Node, err)
	case err != nil:
		fmt.Fprintf(o.ErrOut, "warning: trace: cannot read bpfLogLevel (%v); the trace stays empty unless it is Debug\n", err)
		return nil, nil
	case level.on():
		return nil, nil
	case !o.Debug:
		fmt.Fprintf(o.ErrOut, "warning: bpfLogLevel is %s: the BPF programs of node %s write no debug trace;\n%s\n",
			level, o.Node, traceFixHint(o.Node))
		return nil, nil
	case level.From == "FelixConfiguration node."+o.Node:
		return nil, fmt.Errorf("trace node %s: --debug switches FelixConfiguration default, but node.%s sets bpfLogLevel %s, which wins on this node: change it there",
			o.Node, o.Node, level.Level)
	}
	// The one place the trace switches Debug on: the switch of `debug on`, which records on
	// FelixConfiguration default what to restore, so a killed trace can be undone by `debug off`.
	restore, err = switchDebug(ctx, clients, debugIfaces(o.Ifaces))
	if err != nil {
		return nil, fmt.Errorf("trace node %s: switch bpfLogLevel to Debug: %w", o.Node, err)
	}
	fmt.Fprintf(o.ErrOut, "trace: bpfLogLevel is Debug for this trace (it was %s); it is switched back at the end\n", level)
	return restore, nil
}

// debugIfaces narrows Debug logging (bpfLogFilters) to the --iface values when they are plain
// names; patterns cannot be filters, so then every interface logs and the trace filters.
func debugIfaces(patterns []string) []string {
	for _, p := range patterns {
		if strings.ContainsAny(p, `*?[\`) || p == "CTLB" {
			return nil
		}
	}
	return patterns
}
