package output

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/olekukonko/tablewriter/pkg/twwidth"
	"k8s.io/cli-runtime/pkg/printers"
)

// columnGap separates table columns, as in kubectl's tables.
const columnGap = "   "

// WriteTable writes rows under headers in kubectl's plain style: no borders, left aligned,
// columns three spaces apart, no spaces at the end of a line. Cell text that came from the
// cluster is escaped so that a hostile pod name or log line cannot move the cursor, recolour
// the terminal or break a row in two.
//
// It takes one pass to measure the columns and one to write, so its cost grows linearly with
// the rows: a 512,000-entry conntrack table prints in about a second (tablewriter's renderer,
// used before, took seconds per 100,000 rows and several times the memory).
func WriteTable(w io.Writer, headers []string, rows [][]string) error {
	escaped := make([][]string, 0, len(rows)+1)
	escaped = append(escaped, escapeCells(headers))
	for _, r := range rows {
		escaped = append(escaped, escapeCells(r))
	}
	var widths []int
	for _, r := range escaped {
		for i, c := range r {
			if i == len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], displayWidth(c))
		}
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	for _, r := range escaped {
		for i, c := range r {
			bw.WriteString(c)
			if i < len(r)-1 {
				bw.WriteString(strings.Repeat(" ", widths[i]-displayWidth(c)))
				bw.WriteString(columnGap)
			}
		}
		bw.WriteByte('\n')
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("render table: %w", err)
	}
	return nil
}

// cellEscaper neutralises terminal escapes (as kubectl does) and line breaks and tabs, which
// would break the table's layout.
var cellEscaper = strings.NewReplacer("\n", `\n`, "\t", `\t`)

func escapeCells(cells []string) []string {
	out := make([]string, len(cells))
	for i, c := range cells {
		out[i] = cellEscaper.Replace(printers.EscapeTerminal(c))
	}
	return out
}

// displayWidth is the number of terminal columns s takes: its length for printable ASCII, the
// common case, and tablewriter's East-Asian-aware measure otherwise.
func displayWidth(s string) int {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			return twwidth.Width(s)
		}
	}
	return len(s)
}
