package cmd

import (
	"fmt"
	"io"
	"strings"

	"k8s.io/cli-runtime/pkg/printers"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/output"
	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/preflight"
)

// writePreflight prints the install found, one row per node, one row per cluster-wide check,
// the details of everything not OK, and a summary line.
func writePreflight(w io.Writer, r preflight.Report) error {
	ns := ""
	if r.Namespace != "" {
		ns = " (calico-node in " + r.Namespace + ")"
	}
	fmt.Fprintf(w, "Calico install: %s%s\n\n", r.Flavour, ns)

	headers := append([]string{"NODE"}, preflight.NodeChecks...)
	rows := make([][]string, 0, len(r.Nodes))
	for _, n := range r.Nodes {
		row := []string{n.Node}
		for _, c := range n.Checks {
			row = append(row, cell(c))
		}
		rows = append(rows, row)
	}
	if len(rows) == 0 {
		fmt.Fprintln(w, "No nodes.")
	} else if err := output.WriteTable(w, headers, rows); err != nil {
		return err
	}
	fmt.Fprintln(w)

	rows = rows[:0]
	for _, c := range r.Cluster {
		rows = append(rows, []string{c.Check, string(c.Status), c.Reason})
	}
	if err := output.WriteTable(w, []string{"CHECK", "STATUS", "DETAIL"}, rows); err != nil {
		return err
	}

	var details [][2]string
	for _, n := range r.Nodes {
		for _, c := range n.Checks {
			if notable(c) {
				details = append(details, [2]string{fmt.Sprintf("[%s] node %s %s: %s", c.Status, n.Node, c.Check, c.Reason), detailBody(c)})
			}
		}
	}
	for _, c := range r.Cluster {
		if notable(c) {
			details = append(details, [2]string{fmt.Sprintf("[%s] %s: %s", c.Status, c.Check, c.Reason), detailBody(c)})
		}
	}
	if len(details) > 0 {
		fmt.Fprintln(w, "\nDetails:")
		for _, d := range details {
			fmt.Fprintf(w, "%s\n%s", escapeLine(d[0]), d[1])
		}
	}
	s := r.Summary
	fmt.Fprintf(w, "\n%d OK, %d WARN, %d FAIL, %d SKIP\n", s.OK, s.Warn, s.Fail, s.Skip)
	return nil
}

func cell(c preflight.Result) string {
	if c.Reason == "" {
		return string(c.Status)
	}
	return string(c.Status) + " " + c.Reason
}

func notable(c preflight.Result) bool {
	return c.Status == preflight.Warn || c.Status == preflight.Fail
}

func detailBody(c preflight.Result) string {
	s := ""
	if c.Seen != "" {
		s += "    seen: " + escapeLine(c.Seen) + "\n"
	}
	if c.Action != "" {
		s += "    do:   " + escapeLine(c.Action) + "\n"
	}
	return s
}

// escapeLine neutralises terminal escapes and line breaks in text that came from the cluster.
func escapeLine(s string) string {
	return strings.NewReplacer("\n", `\n`, "\r", `\r`).Replace(printers.EscapeTerminal(s))
}
