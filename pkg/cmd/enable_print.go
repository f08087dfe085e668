package cmd

import (
	"fmt"
	"io"
	"strconv"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/enable"
	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/output"
)

func (o *EnableOptions) printPlan(p *enable.Plan) error {
	if o.format.IsStructured() {
		return output.WriteStructured(o.Out, o.format, p)
	}
	return writePlanTable(o.Out, p)
}

// writePlanTable prints the plan: a title, then one row per step.
func writePlanTable(w io.Writer, p *enable.Plan) error {
	fmt.Fprintf(w, "Plan: %s, %d steps\n\n", p.Title, len(p.Steps))
	rows := make([][]string, 0, len(p.Steps))
	for i, s := range p.Steps {
		obj := "-"
		if s.Target.Kind != "" {
			obj = s.Target.String()
			if s.Target.Name == "" {
				obj = s.Target.Resource() + " -n " + s.Target.Namespace + " -l " + s.Selector
			}
		}
		rows = append(rows, []string{strconv.Itoa(i + 1), string(s.Action), obj, s.Change(), s.Why})
	}
	if err := output.WriteTable(w, []string{"#", "ACTION", "OBJECT", "CHANGE", "WHY"}, rows); err != nil {
		return err
	}
	fmt.Fprintln(w)
	return nil
}
