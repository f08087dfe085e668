package felixconfig

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Annotations the debug commands keep on FelixConfiguration "default", so that a later
// process (debug off, debug status, or a user with kubectl) knows what to restore and when a
// timed debug session should have ended.
const (
	// AnnotationDebugRestore holds the bpfLogLevel and bpfLogFilters from before `debug on`,
	// as a JSON object with a key only for each field that was set.
	AnnotationDebugRestore = "calico-ebpf.projectcalico.org/debug-restore"
	// AnnotationDebugUntil is when `debug on --for` will switch debug off (RFC 3339). If it has
	// passed and debug is still on, that process was killed before it could.
	AnnotationDebugUntil = "calico-ebpf.projectcalico.org/debug-until"

	fieldLogLevel   = "bpfLogLevel"
	fieldLogFilters = "bpfLogFilters"
	levelDebug      = "Debug"
	// levelAfterDebug is what `debug off` sets when nothing recorded the level from before.
	levelAfterDebug = "Info"
)

// DebugOnOptions are the flags of `debug on`.
type DebugOnOptions struct {
	// Ifaces limit Debug logging to these interfaces (also all, weps, heps): bpfLogFilters.
	// Empty leaves bpfLogFilters as it is.
	Ifaces []string
	// Filter is the pcap expression for each interface; "" logs every packet.
	Filter string
	// Until, when not zero, is when the caller will switch debug off again.
	Until time.Time
}

// DebugOn plans bpfLogLevel Debug, the filters, and the record of what to restore. When debug
// is already on through this plugin the first record is kept, so `debug off` goes back to the
// level from before the first `debug on`.
func DebugOn(obj Object, o DebugOnOptions) (Plan, error) {
	p := Plan{Spec: map[string]any{fieldLogLevel: levelDebug}, Annotations: map[string]*string{}}
	if len(o.Ifaces) > 0 {
		filters := map[string]any{}
		for _, i := range o.Ifaces {
			if !ifaceKey.MatchString(i) {
				return Plan{}, fmt.Errorf("--iface %q is not an interface name (or all, weps, heps)", i)
			}
			filters[i] = o.Filter
		}
		p.Spec[fieldLogFilters] = filters
	} else if o.Filter != "" {
		return Plan{}, fmt.Errorf("--filter needs --iface: the interfaces to filter (all for every one)")
	}
	// A record is kept only while debug is still on: one left behind while the level is not
	// Debug (someone set it by hand since) is stale, and restoring it would undo their change.
	_, recorded := obj.Annotations[AnnotationDebugRestore]
	if on, _ := obj.Spec[fieldLogLevel].(string); !recorded || !strings.EqualFold(on, levelDebug) {
		rec := map[string]any{}
		for _, k := range []string{fieldLogLevel, fieldLogFilters} {
			if v, ok := obj.Spec[k]; ok && v != nil {
				rec[k] = v
			}
		}
		b, err := json.Marshal(rec)
		if err != nil {
			return Plan{}, fmt.Errorf("record the log settings to restore: %w", err)
		}
		p.Annotations[AnnotationDebugRestore] = ptr(string(b))
	}
	if o.Until.IsZero() {
		p.Annotations[AnnotationDebugUntil] = nil
	} else {
		p.Annotations[AnnotationDebugUntil] = ptr(o.Until.UTC().Format(time.RFC3339))
	}
	return p, nil
}

// DebugOff plans the way back: the recorded bpfLogLevel and bpfLogFilters exactly (removed if
// they were unset), or Info when debug is on with no record. note explains a fallback.
func DebugOff(obj Object) (p Plan, note string) {
	p = Plan{Spec: map[string]any{}, Annotations: map[string]*string{AnnotationDebugRestore: nil, AnnotationDebugUntil: nil}}
	raw, recorded := obj.Annotations[AnnotationDebugRestore]
	rec := map[string]any{}
	if recorded {
		if err := json.Unmarshal([]byte(raw), &rec); err != nil {
			recorded = false
			note = fmt.Sprintf("annotation %s is not what this plugin wrote (%v): ", AnnotationDebugRestore, err)
		}
	}
	lvl, _ := obj.Spec[fieldLogLevel].(string)
	if recorded && !strings.EqualFold(lvl, levelDebug) {
		// Debug is off already (someone set the level since): the record is stale, and
		// restoring it would undo their change. Only the annotations go.
		return p, "debug is not on (bpfLogLevel " + orUnset(lvl) + "): removing the stale record, leaving the level as it is"
	}
	if recorded {
		for _, k := range []string{fieldLogLevel, fieldLogFilters} {
			p.Spec[k] = rec[k] // nil when it was unset: the merge patch removes it
		}
		return p, ""
	}
	if strings.EqualFold(lvl, levelDebug) {
		p.Spec[fieldLogLevel] = levelAfterDebug
		return p, note + "no record of the level from before debug was switched on: setting " + levelAfterDebug
	}
	return p, note
}

// DebugState is what `debug status` reports.
type DebugState struct {
	Level   string            `json:"bpfLogLevel"`
	Filters map[string]string `json:"bpfLogFilters,omitempty"`
	On      bool              `json:"debug"`
	// Recorded is true when this plugin switched debug on and knows what to restore.
	Recorded bool `json:"restoreRecorded"`
	// Restore is what `debug off` will put back.
	Restore string `json:"restore,omitempty"`
	// Until is when a `debug on --for` meant to switch it off.
	Until *time.Time `json:"until,omitempty"`
	// Expired: Until has passed but debug is still on (its process was killed).
	Expired bool `json:"expired"`
}

// State reads the debug state of obj at now.
func State(obj Object, now time.Time) DebugState {
	s := DebugState{Level: "Off"}
	if lvl, _ := obj.Spec[fieldLogLevel].(string); lvl != "" {
		s.Level = lvl
	}
	if m, ok := obj.Spec[fieldLogFilters].(map[string]any); ok {
		s.Filters = map[string]string{}
		for k, v := range m {
			s.Filters[k] = Display(v)
		}
	}
	s.On = strings.EqualFold(s.Level, levelDebug)
	if raw, ok := obj.Annotations[AnnotationDebugRestore]; ok {
		rec := map[string]any{}
		if json.Unmarshal([]byte(raw), &rec) == nil {
			s.Recorded = true
			lvl := "unset (Off)"
			if v, ok := rec[fieldLogLevel].(string); ok && v != "" {
				lvl = v
			}
			s.Restore = fieldLogLevel + " " + lvl
			if f, ok := rec[fieldLogFilters]; ok {
				s.Restore += ", " + fieldLogFilters + " " + Display(f)
			} else {
				s.Restore += ", " + fieldLogFilters + " unset"
			}
		}
	}
	if raw, ok := obj.Annotations[AnnotationDebugUntil]; ok {
		if t, err := time.Parse(time.RFC3339, raw); err == nil {
			s.Until = &t
			s.Expired = now.After(t)
		}
	}
	return s
}

func ptr[T any](v T) *T { return &v }

func orUnset(s string) string {
	if s == "" {
		return "unset"
	}
	return s
}
