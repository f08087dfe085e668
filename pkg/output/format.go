package output

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"sigs.k8s.io/yaml"
)

// Format is an output format selected with -o.
type Format string

const (
	Table Format = "table"
	Wide  Format = "wide"
	JSON  Format = "json"
	YAML  Format = "yaml"
)

// Formats lists the formats in the order help text shows them.
var Formats = []Format{Table, Wide, JSON, YAML}

// ParseFormat reads a -o value; "" means table.
func ParseFormat(s string) (Format, error) {
	if s == "" {
		return Table, nil
	}
	for _, f := range Formats {
		if string(f) == s {
			return f, nil
		}
	}
	return "", fmt.Errorf("unknown output format %q: use one of %s", s, formatList())
}

func formatList() string {
	names := make([]string, len(Formats))
	for i, f := range Formats {
		names[i] = string(f)
	}
	return strings.Join(names, "|")
}

// FlagHelp is the help text of the -o flag.
func FlagHelp() string { return "Output format: " + formatList() + "." }

// IsStructured reports whether the format encodes data (json, yaml) rather than a table.
func (f Format) IsStructured() bool { return f == JSON || f == YAML }

// WriteJSON writes v as indented JSON followed by a newline.
func WriteJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("encode json: %w", err)
	}
	return nil
}

// WriteYAML writes v as YAML, using its JSON field names as kubectl does.
func WriteYAML(w io.Writer, v any) error {
	b, err := yaml.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode yaml: %w", err)
	}
	_, err = w.Write(b)
	return err
}

// WriteStructured writes v as JSON or YAML according to f.
func WriteStructured(w io.Writer, f Format, v any) error {
	if f == YAML {
		return WriteYAML(w, v)
	}
	return WriteJSON(w, v)
}
