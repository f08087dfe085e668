package model

import (
	"fmt"
	"strconv"
	"strings"
)

func itoa(n int) string      { return strconv.Itoa(n) }
func utoa16(n uint64) string { return strconv.FormatUint(n, 16) }

func errorf(format string, args ...any) error { return fmt.Errorf(format, args...) }

// cutIntPrefix parses s as prefix followed by a decimal integer.
func cutIntPrefix(s, prefix string) (int, bool) {
	rest, ok := strings.CutPrefix(s, prefix)
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(rest)
	return n, err == nil
}

func hasAnyPrefix(s string, prefixes ...string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

func containsAny(s string, subs ...string) bool {
	for _, p := range subs {
		if strings.Contains(s, p) {
			return true
		}
	}
	return false
}
