package parse

import (
	"errors"
	"fmt"
)

// Format is the encoding of a dump.
type Format int

// Formats.
const (
	// FormatAuto looks at the first line that is not noise: '[', '{' or
	// "null" mean JSON, anything else text.
	FormatAuto Format = iota
	FormatText
	FormatJSON
)

// String returns "auto", "text" or "json".
func (f Format) String() string {
	switch f {
	case FormatText:
		return "text"
	case FormatJSON:
		return "json"
	}
	return "auto"
}

// MarshalText writes the name.
func (f Format) MarshalText() ([]byte, error) { return []byte(f.String()), nil }

// ParseFormat reads "auto", "text" or "json".
func ParseFormat(s string) (Format, error) {
	switch s {
	case "", "auto":
		return FormatAuto, nil
	case "text":
		return FormatText, nil
	case "json":
		return FormatJSON, nil
	}
	return FormatAuto, fmt.Errorf("parse format %q: want auto, text or json", s)
}

// Defaults for Options' zero fields.
const (
	DefaultMaxLineBytes = 1 << 20
	DefaultMaxWarnings  = 1000
	// DefaultMaxBackends bounds the backends read for one NAT frontend. No
	// real service comes close; the blackhole loop of v3.15–v3.26 does.
	DefaultMaxBackends = 65536
	// DefaultMaxSetMembers bounds the members of one IPSet row; larger sets
	// are delivered as several rows with the same ID.
	DefaultMaxSetMembers = 65536
)

// Options tune a decoder. The zero value is ready to use.
type Options struct {
	// Format of the input; FormatAuto detects it.
	Format Format
	// MaxLineBytes bounds one text line; longer lines become a warning. Default 1 MiB.
	MaxLineBytes int
	// MaxWarnings bounds Report.Warnings; further ones are only counted. Default 1000.
	MaxWarnings int
	// MaxBackends bounds the backend lines of one NAT frontend. Reaching it
	// stops the decoder with Report.Incomplete set. Default 65536.
	MaxBackends int
	// MaxSetMembers bounds the members of one IPSet row. Default 65536.
	MaxSetMembers int
	// Dev and Direction describe a `tc filter show dev DEV DIRECTION` dump;
	// tc leaves out what it was asked for.
	Dev       string
	Direction string
}

func (o Options) withDefaults() Options {
	if o.MaxLineBytes <= 0 {
		o.MaxLineBytes = DefaultMaxLineBytes
	}
	if o.MaxWarnings <= 0 {
		o.MaxWarnings = DefaultMaxWarnings
	}
	if o.MaxBackends <= 0 {
		o.MaxBackends = DefaultMaxBackends
	}
	if o.MaxSetMembers <= 0 {
		o.MaxSetMembers = DefaultMaxSetMembers
	}
	return o
}

// Warning is a line the decoder did not understand, or a problem it worked around.
type Warning struct {
	// Line is the 1-based input line; 0 inside JSON, where only Reason's byte offset is known.
	Line int `json:"line"`
	// Text is the offending line (shortened when very long).
	Text string `json:"text,omitempty"`
	// Reason says what was wrong.
	Reason string `json:"reason"`
}

// String formats the warning as "line N: reason: text".
func (w Warning) String() string {
	s := fmt.Sprintf("line %d: %s", w.Line, w.Reason)
	if w.Text != "" {
		s += fmt.Sprintf(": %q", w.Text)
	}
	return s
}

// Report describes a decoding run.
type Report struct {
	Kind   Kind   `json:"kind"`
	Format Format `json:"format"`
	// Lines is the number of text lines read (up to where JSON started, for JSON).
	Lines int `json:"lines"`
	// Rows is the number of rows delivered to the callback.
	Rows int `json:"rows"`
	// Skipped counts noise lines that were recognised and ignored: log lines,
	// shell prompts, kubectl notices, grep separators, "..." elisions.
	Skipped int `json:"skipped"`
	// Warnings lists what was not understood, in input order.
	Warnings []Warning `json:"warnings,omitempty"`
	// WarningsDropped counts warnings beyond Options.MaxWarnings.
	WarningsDropped int `json:"warnings_dropped,omitempty"`
	// Truncated is set when the input ends in the middle of a line or JSON value.
	Truncated bool `json:"truncated,omitempty"`
	// Incomplete is set when the decoder stopped before the end of the input
	// (for example in the endless blackhole backend list of v3.15–v3.26); the
	// caller should stop the command that produces the input.
	Incomplete bool `json:"incomplete,omitempty"`
}

// ErrToolError is matched (errors.Is) by errors for input that is the dump
// tool's error message rather than data: error or fatal log lines, cobra's
// "Error: unknown flag" and usage text, Go's "flag provided but not defined".
var ErrToolError = errors.New("the dump tool reported an error")

// ToolError quotes the line that showed the tool failed.
type ToolError struct {
	Line int
	Text string
}

// Error quotes the line and its number.
func (e *ToolError) Error() string {
	return fmt.Sprintf("%v on line %d: %q", ErrToolError, e.Line, e.Text)
}

// Unwrap makes errors.Is(err, ErrToolError) true.
func (e *ToolError) Unwrap() error { return ErrToolError }
