package parse

import (
	"bytes"
	"io"
	"strings"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/model"
)

// Filters decodes `tc filter show dev DEV ingress|egress` (text or -j JSON)
// and calls fn for each filter that has a handle. tc prints a summary line
// per pref/chain without a handle ("filter protocol all pref 49152 bpf chain 0");
// those are skipped. tc does not print what it was asked for, so Dev and
// Direction come from Options unless the line names them.
//
//	filter protocol all pref 49152 bpf chain 0 handle 0x1 cali_tc_preambl:[61] direct-action not_in_hw id 61 tag 4add0302745d594c jited
func Filters(r io.Reader, opts Options, fn func(model.TCFilter) error) (Report, error) {
	s := newSession(KindFilter, r, opts)
	return s.finish(s.run(func(first []byte) error {
		return decodeJSON(s, first, func(f *filterJSON) error {
			if f.Options == nil { // a pref/chain summary
				s.rep.Skipped++
				return nil
			}
			return emit(s, fn, f.model(s.opts))
		})
	}, func() error { return filterText(s, fn) }))
}

func filterText(s *session, fn func(model.TCFilter) error) error {
	return readBlocks(s, fn, func(line []byte, num int) (*model.TCFilter, bool) {
		if !bytes.HasPrefix(line, []byte("filter ")) {
			return nil, false
		}
		var f model.TCFilter
		switch parseFilterLine(line, &f, s.opts) {
		case filterRow:
			return &f, true
		case filterSummary:
			s.rep.Skipped++
		default:
			s.warn(num, line, "not understood")
		}
		return nil, true
	}, func(line []byte, cur *model.TCFilter) bool {
		if classify(line, true) != classUnknown {
			return false
		}
		cur.Details = append(cur.Details, string(line)) // actions and matches of other filter kinds
		return true
	})
}

type filterLineKind int

const (
	filterBad filterLineKind = iota
	filterSummary
	filterRow
)

func parseFilterLine(line []byte, f *model.TCFilter, opts Options) filterLineKind {
	*f = model.TCFilter{Dev: opts.Dev, Direction: opts.Direction}
	_, rest := nextField(line) // "filter"
	hasHandle := false
	for {
		var tok, v []byte
		tok, rest = nextField(rest)
		switch string(tok) {
		case "":
			if f.Kind == "" {
				return filterBad
			}
			if !hasHandle {
				return filterSummary
			}
			return filterRow
		case "dev":
			v, rest = nextField(rest)
			f.Dev = string(v)
		case "ingress", "egress":
			f.Direction = string(tok)
		case "parent":
			v, rest = nextField(rest)
			switch string(v) {
			case "ffff:fff2":
				f.Direction = "ingress"
			case "ffff:fff3":
				f.Direction = "egress"
			}
		case "protocol":
			v, rest = nextField(rest)
			f.Protocol = string(v)
		case "pref":
			v, rest = nextField(rest)
			n, ok := parseUintMax(v, 1<<32-1)
			if !ok {
				return filterBad
			}
			f.Pref = uint32(n)
		case "chain":
			v, rest = nextField(rest)
			n, ok := parseUintMax(v, 1<<32-1)
			if !ok {
				return filterBad
			}
			f.Chain = uint32(n)
		case "handle":
			v, rest = nextField(rest)
			f.Handle = string(v)
			hasHandle = true
			if f.Kind == "bpf" {
				bpfOptions(rest, f)
				rest = nil
			} else if o := trimSpace(rest); len(o) > 0 {
				f.Details = append(f.Details, string(o))
				rest = nil
			}
		default:
			if f.Kind != "" {
				return filterBad
			}
			f.Kind = string(tok)
		}
	}
}

// bpfOptions reads what iproute2's f_bpf prints after the handle.
func bpfOptions(b []byte, f *model.TCFilter) {
	var extra []string
	for {
		var tok, v []byte
		tok, b = nextField(b)
		switch string(tok) {
		case "":
			if len(extra) > 0 {
				f.Details = append(f.Details, strings.Join(extra, " "))
			}
			return
		case "direct-action":
			f.DirectAction = true
		case "not_in_hw":
			f.NotInHW = true
		case "in_hw":
			f.InHW = true
		case "skip_hw":
			f.SkipHW = true
		case "skip_sw":
			f.SkipSW = true
		case "jited":
			f.Jited = true
		case "id":
			v, b = nextField(b)
			if n, ok := parseUintMax(v, 1<<32-1); ok {
				f.ProgID = uint32(n)
			}
		case "name":
			v, b = nextField(b)
			f.ProgName = string(v)
		case "tag":
			v, b = nextField(b)
			f.Tag = string(v)
		default:
			if f.Name == "" {
				f.Name = string(tok)
				continue
			}
			extra = append(extra, string(tok))
		}
	}
}

// filterJSON is iproute2's JSON form of one filter.
type filterJSON struct {
	Protocol string `json:"protocol"`
	Pref     uint32 `json:"pref"`
	Kind     string `json:"kind"`
	Chain    uint32 `json:"chain"`
	Dev      string `json:"dev"`
	Options  *struct {
		Handle       string `json:"handle"`
		BPFName      string `json:"bpf_name"`
		DirectAction bool   `json:"direct-action"`
		NotInHW      bool   `json:"not_in_hw"`
		InHW         bool   `json:"in_hw"`
		SkipHW       bool   `json:"skip_hw"`
		SkipSW       bool   `json:"skip_sw"`
		Tag          string `json:"tag"`
		Prog         struct {
			ID    uint32 `json:"id"`
			Name  string `json:"name"`
			Tag   string `json:"tag"`
			Jited int    `json:"jited"`
		} `json:"prog"`
	} `json:"options"`
}

func (j *filterJSON) model(opts Options) model.TCFilter {
	o := j.Options
	f := model.TCFilter{
		Dev: opts.Dev, Direction: opts.Direction, Protocol: j.Protocol, Pref: j.Pref, Kind: j.Kind, Chain: j.Chain,
		Handle: o.Handle, Name: o.BPFName, DirectAction: o.DirectAction, NotInHW: o.NotInHW, InHW: o.InHW,
		SkipHW: o.SkipHW, SkipSW: o.SkipSW, ProgID: o.Prog.ID, ProgName: o.Prog.Name, Tag: o.Prog.Tag, Jited: o.Prog.Jited != 0,
	}
	if j.Dev != "" {
		f.Dev = j.Dev
	}
	if f.Tag == "" {
		f.Tag = o.Tag
	}
	return f
}
