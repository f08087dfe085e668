package model

import (
	"encoding/json"
	"strconv"
)

// InterfaceCounters is the counter table of one interface (`counters dump`,
// v3.24+), the shape of one object of Calico's JSON stream:
// {"interface": "lo", "counters": […]}.
type InterfaceCounters struct {
	Interface string    `json:"interface"`
	Counters  []Counter `json:"counters"`
}

// Counter is one row of the table.
type Counter struct {
	Category string       `json:"category"`
	Type     string       `json:"type"`
	Ingress  CounterValue `json:"ingress"`
	Egress   CounterValue `json:"egress"`
	// XDP is not available (N/A) on most interfaces and has no column before v3.25.
	XDP CounterValue `json:"xdp"`
}

// CounterValue is a packet count or "not available" (text "N/A", JSON null).
type CounterValue struct {
	Value uint64
	Valid bool
}

// Count makes an available counter value.
func Count(n uint64) CounterValue { return CounterValue{Value: n, Valid: true} }

// String writes the number or "N/A".
func (v CounterValue) String() string {
	if !v.Valid {
		return "N/A"
	}
	return strconv.FormatUint(v.Value, 10)
}

// MarshalJSON writes the number or null.
func (v CounterValue) MarshalJSON() ([]byte, error) {
	if !v.Valid {
		return []byte("null"), nil
	}
	return strconv.AppendUint(nil, v.Value, 10), nil
}

// UnmarshalJSON reads a number or null.
func (v *CounterValue) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*v = CounterValue{}
		return nil
	}
	var n uint64
	if err := json.Unmarshal(b, &n); err != nil {
		return err
	}
	*v = Count(n)
	return nil
}
