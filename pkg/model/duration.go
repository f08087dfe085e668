package model

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
)

// Duration is a time.Duration that marshals to JSON the way Calico's JSON
// does: as Go's duration string ("30.598353808s", "1m4.11277541s").
// Unmarshalling also accepts a number of nanoseconds.
type Duration struct {
	time.Duration
}

// D makes a Duration.
func D(d time.Duration) Duration { return Duration{d} }

// IsZero reports whether the duration is zero; it lets `omitzero` drop unset durations.
func (d Duration) IsZero() bool { return d.Duration == 0 }

// MarshalText writes the duration string.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.Duration.String()), nil }

// UnmarshalJSON accepts "1m4.5s" or a number of nanoseconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	if len(b) > 1 && b[0] == '"' && b[len(b)-1] == '"' && !bytes.ContainsRune(b, '\\') {
		// The common case, a plain string, without a second JSON decode.
		v, err := time.ParseDuration(string(b[1 : len(b)-1]))
		if err != nil {
			return fmt.Errorf("decode duration: %w", err)
		}
		d.Duration = v
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		v, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("decode duration: %w", err)
		}
		d.Duration = v
		return nil
	}
	var n int64
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("decode duration %s: %w", b, err)
	}
	d.Duration = time.Duration(n)
	return nil
}
