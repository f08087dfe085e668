package felixconfig

import (
	"encoding/json"
	"fmt"
	"net"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Parse reads a value as a user writes it on the command line and returns it as the JSON value
// to store (bool, int64, string, []any of strings, map[string]any of strings), validated the
// way Felix and the v3 API validate it.
func (f Field) Parse(in string) (any, error) {
	s := strings.TrimSpace(in)
	switch f.Kind {
	case KindBool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return nil, fmt.Errorf("%s: %q is not a bool (true or false)", f.Name, in)
		}
		return b, nil
	case KindInt:
		n, err := strconv.ParseInt(s, 0, 64)
		if err != nil {
			return nil, fmt.Errorf("%s: %q is not a whole number", f.Name, in)
		}
		if n < f.Min || n > f.Max {
			return nil, fmt.Errorf("%s: %d is out of range %d..%d", f.Name, n, f.Min, f.Max)
		}
		return n, nil
	case KindEnum:
		// The API accepts only the canonical spelling for most enums (validate oneof=…), and
		// any case for bpfLogLevel and bpfExternalServiceMode; writing the canonical spelling
		// suits both, so input case does not matter.
		for _, v := range f.Values {
			if strings.EqualFold(v, s) {
				return v, nil
			}
		}
		return nil, fmt.Errorf("%s: %q is not one of %s", f.Name, in, strings.Join(f.Values, ", "))
	case KindDuration:
		if d, err := time.ParseDuration(s); err != nil || d < 0 {
			return nil, fmt.Errorf("%s: %q is not a duration such as 1s or 500ms", f.Name, in)
		}
		return s, nil
	case KindRegexp:
		if _, err := regexp.Compile(s); err != nil {
			return nil, fmt.Errorf("%s: %q is not a regular expression: %v", f.Name, in, err)
		}
		return s, nil
	case KindCIDRList:
		return parseList(f, s, checkCIDR)
	case KindIfaceList:
		return parseList(f, s, checkIfaceFilter)
	case KindPortRange:
		if err := checkPortRange(s); err != nil {
			return nil, fmt.Errorf("%s: %q: %v", f.Name, in, err)
		}
		return s, nil
	case KindLogFilters:
		return parseMap(f, s, func(k, v string) (string, string, error) {
			if !ifaceKey.MatchString(k) {
				return "", "", fmt.Errorf("%q is not an interface name (or all, weps, heps)", k)
			}
			return k, v, nil
		})
	case KindCTTimeouts:
		return parseMap(f, s, func(k, v string) (string, string, error) {
			key := ""
			for _, t := range TimeoutKeys {
				if strings.EqualFold(t.From, k) {
					key = t.From
				}
			}
			if key == "" {
				return "", "", fmt.Errorf("%q is not a conntrack timer (%s)", k, strings.Join(timeoutNames(), ", "))
			}
			if strings.EqualFold(v, "Auto") {
				return key, "Auto", nil
			}
			if d, err := time.ParseDuration(v); err != nil || d <= 0 {
				return "", "", fmt.Errorf("%s=%q: want a duration or Auto", key, v)
			}
			return key, v, nil
		})
	}
	return nil, fmt.Errorf("%s: no parser for %s", f.Name, f.Kind)
}

// ifaceKey is libcalico-go's interface name rule (validator.go interfaceRegex), which the v3
// API applies to bpfLogFilters keys.
var ifaceKey = regexp.MustCompile(`^[a-zA-Z0-9_.-]{1,15}$`)

func timeoutNames() []string {
	names := make([]string, len(TimeoutKeys))
	for i, t := range TimeoutKeys {
		names[i] = t.From
	}
	return names
}

func parseList(f Field, s string, check func(string) error) (any, error) {
	if strings.HasPrefix(s, "[") {
		var list []string
		if err := json.Unmarshal([]byte(s), &list); err != nil {
			return nil, fmt.Errorf("%s: %q is not a JSON list of strings: %v", f.Name, s, err)
		}
		return checkList(f, list, check)
	}
	var list []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			list = append(list, part)
		}
	}
	return checkList(f, list, check)
}

func checkList(f Field, list []string, check func(string) error) (any, error) {
	out := make([]any, 0, len(list))
	for _, item := range list {
		if err := check(item); err != nil {
			return nil, fmt.Errorf("%s: %v", f.Name, err)
		}
		out = append(out, item)
	}
	return out, nil
}

func checkCIDR(s string) error {
	if _, _, err := net.ParseCIDR(s); err == nil {
		return nil
	}
	if net.ParseIP(s) != nil {
		return nil
	}
	return fmt.Errorf("%q is not a CIDR or address", s)
}

// checkIfaceFilter follows Felix's iface-filter-slice: an interface name, "+" at the end for
// every name with that prefix.
func checkIfaceFilter(s string) error {
	if !ifaceKey.MatchString(strings.TrimSuffix(s, "+")) {
		return fmt.Errorf("%q is not an interface name (a trailing + matches a prefix)", s)
	}
	return nil
}

func checkPortRange(s string) error {
	lo, hi, found := strings.Cut(s, ":")
	if !found {
		hi = lo
	}
	a, err1 := strconv.ParseUint(lo, 10, 16)
	b, err2 := strconv.ParseUint(hi, 10, 16)
	if err1 != nil || err2 != nil || a == 0 || a > b {
		return fmt.Errorf("want a port range MIN:MAX with 1 ≤ MIN ≤ MAX ≤ 65535")
	}
	return nil
}

// parseMap reads a JSON object or Felix's env-var form "k=v,k=v" (so a filter expression
// cannot contain a comma in that form: use JSON).
func parseMap(f Field, s string, check func(k, v string) (string, string, error)) (any, error) {
	raw := map[string]string{}
	if strings.HasPrefix(s, "{") {
		if err := json.Unmarshal([]byte(s), &raw); err != nil {
			return nil, fmt.Errorf("%s: %q is not a JSON object of strings: %v", f.Name, s, err)
		}
	} else {
		for _, part := range strings.Split(s, ",") {
			if strings.TrimSpace(part) == "" {
				continue
			}
			k, v, ok := strings.Cut(part, "=")
			if !ok {
				return nil, fmt.Errorf("%s: %q: want KEY=VALUE[,KEY=VALUE…] or a JSON object", f.Name, part)
			}
			raw[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	out := map[string]any{}
	for k, v := range raw {
		k2, v2, err := check(k, v)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", f.Name, err)
		}
		out[k2] = v2
	}
	return out, nil
}

// Equal reports whether two stored values mean the same to Felix: numbers compare by value
// (the API hands back int64 or float64), enums without regard to case, and everything else
// by its JSON form.
func (f Field) Equal(a, b any) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	as, aok := a.(string)
	bs, bok := b.(string)
	if aok && bok {
		switch f.Kind {
		case KindEnum:
			return strings.EqualFold(as, bs)
		case KindDuration:
			da, errA := time.ParseDuration(as)
			db, errB := time.ParseDuration(bs)
			if errA == nil && errB == nil {
				return da == db
			}
		}
	}
	return canonical(a) == canonical(b)
}

func canonical(v any) string {
	switch n := v.(type) {
	case float64:
		if n == float64(int64(n)) {
			return strconv.FormatInt(int64(n), 10)
		}
	case int:
		return strconv.Itoa(n)
	case int32:
		return strconv.FormatInt(int64(n), 10)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// Display renders a stored value the way the user would type it: lists comma-separated,
// maps as KEY=VALUE pairs in key order, everything else as is.
func Display(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = Display(e)
		}
		return strings.Join(parts, ",")
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = k + "=" + Display(x[k])
		}
		return strings.Join(parts, ",")
	case float64:
		if x == float64(int64(x)) {
			return strconv.FormatInt(int64(x), 10)
		}
	}
	return canonical(v)
}
