package cmd

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/kubectl/pkg/util/term"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/collect"
	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/kube"
	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/model"
	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/output"
	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/parse"
)

// liveFlags select the nodes a dump reads and how it reaches them.
type liveFlags struct {
	configFlags *genericclioptions.ConfigFlags

	Nodes           []string
	AllNodes        bool
	Selector        string
	CalicoNamespace string
	Parallel        int
	Timeout         time.Duration
	ExecTransport   string
	IPv6            bool
	Raw             bool
}

func (l *liveFlags) addFlags(f *pflag.FlagSet, kind parse.Kind) {
	f.StringArrayVar(&l.Nodes, "node", nil, "Read this node (repeatable).")
	f.BoolVar(&l.AllNodes, "all-nodes", false, "Read every node.")
	f.StringVarP(&l.Selector, "selector", "l", "", "Read the nodes matching this label selector (e.g. topology.kubernetes.io/zone=a).")
	f.StringVar(&l.CalicoNamespace, "calico-namespace", "", "Namespace of calico-node (default: detected, calico-system or kube-system).")
	f.IntVar(&l.Parallel, "parallel", 10, "How many nodes to read at once.")
	f.DurationVar(&l.Timeout, "timeout", time.Minute, "Give up on a node that has not answered in this time.")
	f.StringVar(&l.ExecTransport, "exec-transport", string(kube.TransportAuto), "Exec protocol: auto (WebSocket, then SPDY), websocket or spdy.")
	f.BoolVarP(&l.IPv6, "ipv6", "6", false, "Dump the IPv6 maps (Calico v3.27+).")
	if kind == parse.KindConntrack {
		f.BoolVar(&l.Raw, "raw", false, "One row per conntrack map entry, NAT forward entries included (--raw, Calico v3.28+; older versions only print raw).")
	}
}

func (l *liveFlags) selection() kube.NodeSelection {
	return kube.NodeSelection{Names: l.Nodes, All: l.AllNodes, Selector: l.Selector}
}

// liveKinds are the kinds a node dumps on request; trace streams and is its own command.
var liveKinds = map[parse.Kind]bool{
	parse.KindRoutes: true, parse.KindNAT: true, parse.KindNATAffinity: true, parse.KindMaglev: true,
	parse.KindIPSets: true, parse.KindConntrack: true, parse.KindConntrackStats: true, parse.KindARP: true,
	parse.KindCounters: true, parse.KindIfState: true, parse.KindQdisc: true,
}

// runLive dumps the selected nodes in parallel and prints every healthy node's rows; failed
// nodes are listed after them and make the command fail.
func (o *DumpOptions) runLive(ctx context.Context) error {
	l := &o.live
	clients, transport, err := execClients(l.configFlags, l.ExecTransport)
	if err != nil {
		return err
	}
	inst, err := kube.DetectCalico(ctx, clients.Kube, clients.Dynamic, l.CalicoNamespace)
	if err != nil {
		return err
	}
	nodes, err := kube.SelectNodes(ctx, clients.Kube, l.selection())
	if err != nil {
		return err
	}
	pods, err := kube.CalicoNodePods(ctx, clients.Kube, inst.Namespace)
	if err != nil {
		return err
	}
	// Listed while the first execs connect, not before: on a busy API server the Lists
	// would slow down the lookups that the first exec waits for.
	collectCtx, stopCollect := context.WithCancel(ctx)
	defer stopCollect()
	world := startIndex(collectCtx, clients.Kube, stopCollect)
	targets := make([]collect.Node, len(nodes))
	for i, n := range nodes {
		targets[i] = collect.Node{Name: n.Name, Pod: pods[n.Name]}
	}
	c := &collect.Collector{
		Exec:     &kube.PodExecutor{Config: clients.Config, Client: clients.Kube, Transport: transport},
		Parallel: l.Parallel,
		Timeout:  l.Timeout,
	}
	if term.IsTerminal(o.ErrOut) {
		c.Progress = func(done, total int) { fmt.Fprintf(o.ErrOut, "\r%d/%d nodes read", done, total) }
	}

	p := o.mode.printer(o.Out, o.ErrOut, o.format)
	req := collect.Request{Kind: o.mode.kind, IPv6: l.IPv6, Raw: l.Raw}
	stats := map[string]*model.ConntrackStats{}
	if o.mode.kind == parse.KindConntrackStats {
		// Counted from the raw dump, so that every version has statistics (Calico's own
		// `conntrack stats` came with v3.30) and NAT forward entries are seen.
		req.Kind, req.Raw = parse.KindConntrack, true
		for _, t := range targets {
			stats[t.Name] = &model.ConntrackStats{}
		}
	}
	// Set by the first row that needs names, once the index is there.
	var keep func(any) bool
	var keepCT func(*model.ConntrackEntry) bool
	var names *liveAnnotator
	ready := func() error {
		if names != nil {
			return nil
		}
		idx, err := world.get()
		if err != nil {
			return err
		}
		keep, keepCT, names = o.keep(idx), o.keepConntrack(idx), newLiveAnnotator(idx, o.format)
		return nil
	}
	var results []collect.Result
	var printErr error
	// NAT frontends are read against the other frontends of their id, so a node's NAT map is
	// gathered whole (it is bounded by the map size) and annotated at the end.
	nat := map[string][]model.NATEntry{}
	if req.Kind == parse.KindConntrack {
		// The bulk of a big dump, typed all the way to the printer: no interface per entry.
		stage := newPrintStage(func(node string, e *model.ConntrackEntry) error {
			if err := ready(); err != nil {
				return err
			}
			if !keepCT(e) {
				return nil
			}
			return p.Add(names.conntrackItem(node, e))
		})
		results = collect.CollectRows(c, collectCtx, targets, req, parse.Options{}, parse.Conntrack, func(node string, e model.ConntrackEntry) error {
			if s := stats[node]; s != nil {
				s.Tally(e)
				return nil
			}
			return stage.add(node, e)
		})
		printErr = stage.close()
	} else {
		stage := newPrintStage(func(node string, row *any) error {
			if err := ready(); err != nil {
				return err
			}
			if !keep(*row) {
				return nil
			}
			return p.Add(names.item(node, *row))
		})
		results = c.Collect(collectCtx, targets, req, parse.Options{}, func(node string, row any) error {
			if r, ok := row.(model.NATEntry); ok {
				nat[node] = append(nat[node], r)
				return nil
			}
			return stage.add(node, row)
		})
		printErr = stage.close()
	}
	if c.Progress != nil {
		fmt.Fprint(o.ErrOut, "\r\033[K")
	}
	idx, err := world.get()
	if err != nil {
		return err // as if the Lists had come first: the nodes' results are moot
	}
	if printErr != nil {
		return printErr
	}
	if len(stats) > 0 {
		size, from := conntrackMapSize(ctx, clients.Dynamic)
		for _, r := range results {
			if r.Failed() {
				continue
			}
			s := stats[r.Node]
			s.MapSize = size
			if err := p.Add(statsItem(r.Node, *s, conntrackUsage(s.TotalEntries, size, from))); err != nil {
				return err
			}
		}
	}
	if o.mode.check {
		return o.checkNAT(nat, idx, results)
	}
	for _, r := range results {
		for _, it := range natItems(idx, r.Node, nat[r.Node]) {
			if err := p.Add(it); err != nil {
				return err
			}
		}
	}
	var summary output.Summary
	var failed []collect.Result
	for _, r := range results {
		s := summaryOf(r.Report, r.Node)
		summary.Warnings = append(summary.Warnings, s.Warnings...)
		summary.WarningsDropped += s.WarningsDropped
		if r.Failed() {
			failed = append(failed, r)
		}
	}
	if err := p.Close(summary); err != nil {
		return err
	}
	if len(failed) == 0 {
		return nil
	}
	return o.reportFailures(failed, len(results))
}

// reportFailures lists the nodes that gave nothing, with why, after the results.
func (o *DumpOptions) reportFailures(failed []collect.Result, total int) error {
	rows := make([][]string, len(failed))
	for i, r := range failed {
		pod := r.Pod
		if pod == "" {
			pod = "<none>"
		}
		rows[i] = []string{r.Node, pod, string(r.Reason), detail(r)}
	}
	fmt.Fprintf(o.ErrOut, "\n%d of %d nodes failed:\n", len(failed), total)
	if err := output.WriteTable(o.ErrOut, []string{"NODE", "POD", "REASON", "DETAIL"}, rows); err != nil {
		return err
	}
	return fmt.Errorf("%s: %d of %d nodes failed", o.spec.name, len(failed), total)
}

// detail is the error without the "dump X on node N (pod P): " prefix the table already shows.
func detail(r collect.Result) string {
	msg := r.Err.Error()
	for _, prefix := range []string{"on node " + r.Node + " (pod " + r.Pod + "): ", "node " + r.Node + ": "} {
		if i := strings.Index(msg, prefix); i >= 0 {
			msg = msg[i+len(prefix):]
		}
	}
	return msg
}
