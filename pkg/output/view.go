package output

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// View is how the rows of one kind print as a table: the headers and the cells of each row,
// in table form or, with wide, with the extra columns of -o wide. Views are pure functions
// of model rows.
type View interface {
	// Noun names the rows in messages: "No <noun> found."
	Noun() string
	// Headers returns the column headers.
	Headers(wide bool) []string
	// Rows renders one model row. Most kinds give one table row per model row; counters give
	// one per counter of the interface.
	Rows(row any, wide bool) ([][]string, error)
}

// column is one column of a view over rows of type T.
type column[T any] struct {
	header string
	// wideOnly columns appear only in -o wide.
	wideOnly bool
	cell     func(T) string
	// wideCell, when set, replaces cell in -o wide (a full list where the table shortens it).
	wideCell func(T) string
}

// columns is a View with one table row per model row.
type columns[T any] struct {
	noun string
	cols []column[T]
}

func (v columns[T]) Noun() string { return v.noun }

func (v columns[T]) Headers(wide bool) []string {
	out := make([]string, 0, len(v.cols))
	for _, c := range v.cols {
		if wide || !c.wideOnly {
			out = append(out, c.header)
		}
	}
	return out
}

func (v columns[T]) Rows(row any, wide bool) ([][]string, error) {
	r, ok := row.(T)
	if !ok {
		return nil, fmt.Errorf("print %s: got a %T row", v.noun, row)
	}
	return [][]string{v.cells(r, wide)}, nil
}

func (v columns[T]) cells(r T, wide bool) []string {
	out := make([]string, 0, len(v.cols))
	for _, c := range v.cols {
		switch {
		case !wide && c.wideOnly:
		case wide && c.wideCell != nil:
			out = append(out, c.wideCell(r))
		default:
			out = append(out, c.cell(r))
		}
	}
	return out
}

// none is kubectl's marker for an empty cell.
const none = "<none>"

func orNone(s string) string {
	if s == "" {
		return none
	}
	return s
}

// tableListLen is how many list elements (backends, set members) a table cell shows before
// "+N more"; -o wide shows them all.
const tableListLen = 3

// shortList joins the first tableListLen items and says how many more there are.
func shortList(items []string) string {
	if len(items) <= tableListLen {
		return joinOrNone(items)
	}
	return strings.Join(items[:tableListLen], ",") + " +" + strconv.Itoa(len(items)-tableListLen) + " more"
}

func joinOrNone(items []string) string { return orNone(strings.Join(items, ",")) }

func addrOrNone(a netip.Addr) string {
	if !a.IsValid() {
		return none
	}
	return a.String()
}

func addrPortOrNone(ap netip.AddrPort) string {
	if !ap.IsValid() {
		return none
	}
	return ap.String()
}

// hostPort writes ip:port, with brackets for IPv6.
func hostPort(a netip.Addr, port uint16) string { return netip.AddrPortFrom(a, port).String() }

func itoa[T ~int | ~int32 | ~int64 | ~uint8 | ~uint16 | ~uint32](n T) string {
	return strconv.FormatInt(int64(n), 10)
}

func utoa(n uint64) string { return strconv.FormatUint(n, 10) }
