package calicobpf

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// parseFlags parses args like pflag with interspersed flags: flags may
// appear anywhere, "--" ends them. It returns values by long name and the
// positional words. Error texts are pflag's.
func parseFlags(flags []Flag, args []string) (map[string]string, []string, error) {
	values := map[string]string{}
	var positional []string
	for len(args) > 0 {
		s := args[0]
		args = args[1:]
		switch {
		case len(s) < 2 || s[0] != '-':
			positional = append(positional, s)
		case s == "--":
			return values, append(positional, args...), nil
		case strings.HasPrefix(s, "--"):
			var err error
			if args, err = parseLong(flags, values, s, args); err != nil {
				return nil, nil, err
			}
		default:
			var err error
			if args, err = parseShorts(flags, values, s, args); err != nil {
				return nil, nil, err
			}
		}
	}
	return values, positional, nil
}

func parseLong(flags []Flag, values map[string]string, s string, args []string) ([]string, error) {
	name := s[2:]
	if name == "" || name[0] == '-' || name[0] == '=' {
		return nil, fmt.Errorf("bad flag syntax: %s", s)
	}
	name, value, hasValue := strings.Cut(name, "=")
	f, ok := lookup(flags, name, "")
	if !ok {
		return nil, fmt.Errorf("unknown flag: --%s", name)
	}
	switch {
	case hasValue:
	case !f.takesValue():
		value = "true"
	case len(args) > 0:
		value, args = args[0], args[1:]
	default:
		return nil, fmt.Errorf("flag needs an argument: %s", s)
	}
	return args, set(values, f, value)
}

// parseShorts handles "-6", "-6j", "-v4", "-v 4" and "-j=false".
func parseShorts(flags []Flag, values map[string]string, s string, args []string) ([]string, error) {
	shorts := s[1:]
	for len(shorts) > 0 {
		c := shorts[:1]
		f, ok := lookup(flags, "", c)
		if !ok {
			return nil, fmt.Errorf("unknown shorthand flag: %q in -%s", rune(c[0]), shorts)
		}
		var value string
		switch {
		case len(shorts) > 2 && shorts[1] == '=':
			value, shorts = shorts[2:], ""
		case !f.takesValue():
			value, shorts = "true", shorts[1:]
		case len(shorts) > 1:
			value, shorts = shorts[1:], ""
		case len(args) > 0:
			value, args, shorts = args[0], args[1:], ""
		default:
			return nil, fmt.Errorf("flag needs an argument: %q in -%s", rune(c[0]), shorts)
		}
		if err := set(values, f, value); err != nil {
			return nil, err
		}
	}
	return args, nil
}

func lookup(flags []Flag, name, short string) (Flag, bool) {
	for _, f := range flags {
		if (name != "" && f.Name == name) || (short != "" && f.Short == short) {
			return f, true
		}
	}
	return Flag{}, false
}

func set(values map[string]string, f Flag, value string) error {
	var err error
	switch f.Type {
	case "bool":
		var b bool
		if b, err = strconv.ParseBool(value); err == nil {
			value = strconv.FormatBool(b)
		}
	case "int":
		_, err = strconv.ParseInt(value, 0, 64)
	}
	if err != nil {
		var numErr *strconv.NumError
		if errors.As(err, &numErr) {
			err = numErr
		}
		return fmt.Errorf("invalid argument %q for %q flag: %v", value, flagDisplay(f), err)
	}
	values[f.Name] = value
	return nil
}

func flagDisplay(f Flag) string {
	if f.Short != "" {
		return "-" + f.Short + ", --" + f.Name
	}
	return "--" + f.Name
}
