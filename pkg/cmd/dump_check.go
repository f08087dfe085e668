package cmd

import (
	"fmt"
	"strings"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/annotate"
	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/collect"
	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/model"
	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/output"
)

// driftError is nat --check finding drift: exit status 1 with the findings already printed.
type driftError struct{ findings, nodes int }

func (d driftError) Error() string {
	return fmt.Sprintf("nat --check: %d %s of the NAT maps of %d %s", d.findings, plural(d.findings, "drift", "drifts"), d.nodes, plural(d.nodes, "node", "nodes"))
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// checkNAT compares the NAT maps of the nodes that answered with the cluster and with each
// other. Nodes that failed are not compared (an unread map is not a drifted one) but still
// fail the command.
func (o *DumpOptions) checkNAT(nat map[string][]model.NATEntry, idx *annotate.Index, results []collect.Result) error {
	read := map[string][]model.NATEntry{}
	var failed []collect.Result
	for _, r := range results {
		if r.Failed() {
			failed = append(failed, r)
			continue
		}
		read[r.Node] = nat[r.Node]
	}
	rep := annotate.CheckNAT(read, idx, nil)
	drift := rep.Drift()
	if o.format.IsStructured() {
		if err := output.WriteStructured(o.Out, o.format, rep); err != nil {
			return err
		}
	} else if len(drift) == 0 {
		fmt.Fprintf(o.Out, "No drift: the NAT maps of %d %s (%d frontends) match the Services and EndpointSlices.\n",
			len(rep.Nodes), plural(len(rep.Nodes), "node", "nodes"), rep.Frontends)
	} else {
		rows := make([][]string, len(drift))
		for i, f := range drift {
			node := f.Node
			if node == "" {
				node = "(" + strings.Join(f.Absent, ",") + " vs " + strings.Join(f.Present, ",") + ")"
			}
			rows[i] = []string{node, string(f.Code), f.Message}
		}
		if err := output.WriteTable(o.Out, []string{"NODE", "DRIFT", "DETAIL"}, rows); err != nil {
			return err
		}
	}
	if len(failed) > 0 {
		return o.reportFailures(failed, len(results))
	}
	if len(drift) > 0 {
		return driftError{len(drift), len(rep.Nodes)}
	}
	return nil
}
