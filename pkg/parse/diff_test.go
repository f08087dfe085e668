package parse

import (
	"fmt"
	"strings"
)

// lineDiff is a small line diff for test failures: the longest common
// subsequence of lines, printed with "-" for want-only and "+" for got-only
// lines and two lines of context around changes.
func lineDiff(want, got string) string {
	a, b := strings.Split(want, "\n"), strings.Split(got, "\n")
	if len(a)*len(b) > 4_000_000 { // keep the table small; fall back to both texts
		return fmt.Sprintf("-want:\n%s\n+got:\n%s", want, got)
	}
	lcs := make([][]int, len(a)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	type op struct {
		kind byte
		text string
	}
	var ops []op
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case i < len(a) && j < len(b) && a[i] == b[j]:
			ops = append(ops, op{' ', a[i]})
			i, j = i+1, j+1
		case j < len(b) && (i == len(a) || lcs[i][j+1] >= lcs[i+1][j]):
			ops = append(ops, op{'+', b[j]})
			j++
		default:
			ops = append(ops, op{'-', a[i]})
			i++
		}
	}
	const context = 2
	var sb strings.Builder
	last := -1
	for k, o := range ops {
		if o.kind == ' ' {
			near := false
			for d := -context; d <= context; d++ {
				if k+d >= 0 && k+d < len(ops) && ops[k+d].kind != ' ' {
					near = true
				}
			}
			if !near {
				continue
			}
		}
		if last >= 0 && k > last+1 {
			sb.WriteString("  …\n")
		}
		fmt.Fprintf(&sb, "%c %s\n", o.kind, o.text)
		last = k
	}
	return sb.String()
}

// diffValues renders two values as indented JSON-ish text and diffs them.
func diffValues(want, got any) string {
	return lineDiff(string(mustJSON(want)), string(mustJSON(got)))
}
