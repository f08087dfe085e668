package parse

import (
	"fmt"
	"io"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/model"
)

// NAT decodes `calico-bpf nat dump` (text, any version, with or without
// --group-by-service; JSON v3.31.5+, grouped or not) and calls fn once per
// frontend with its backends, in input order.
//
// Frontends of one service port share the backend slice; treat it as read-only.
//
// Blackhole frontends (count -1, or 4294967295 before v3.27) get no
// backends. Before v3.27 Calico follows such a frontend with an endless
// list of "ID:N is missing" lines: after Options.MaxBackends of them NAT
// stops reading, warns, sets Report.Incomplete and returns, so the caller
// can stop the command. The same bound applies to any one frontend.
func NAT(r io.Reader, opts Options, fn func(model.NATEntry) error) (Report, error) {
	s := newSession(KindNAT, r, opts)
	return s.finish(s.run(func(first []byte) error { return natJSON(s, first, fn) }, func() error {
		d := natText{s: s, fn: fn}
		return d.run()
	}))
}

// natJSONRow is either an ungrouped row {"frontend", "backends"} or a
// --group-by-service row {"id", "frontends", "backends"}.
type natJSONRow struct {
	Frontend  *model.NATFrontend  `json:"frontend"`
	Frontends []model.NATFrontend `json:"frontends"`
	Backends  []model.NATBackend  `json:"backends"`
}

func natJSON(s *session, first []byte, fn func(model.NATEntry) error) error {
	return decodeJSON(s, first, func(row *natJSONRow) error {
		frontends := row.Frontends
		if row.Frontend != nil {
			frontends = []model.NATFrontend{*row.Frontend}
		}
		if len(frontends) == 0 {
			s.warn(0, nil, "JSON NAT row without a frontend skipped")
			return nil
		}
		for i := range row.Backends {
			b := &row.Backends[i]
			b.Ordinal = uint32(i) // Calico's JSON lists backends in ordinal order
			if b.ID == 0 {
				b.ID = frontends[0].ID
			}
		}
		for _, fe := range frontends {
			e := model.NATEntry{Frontend: fe, Backends: row.Backends}
			if fe.Blackhole() {
				e.Backends = nil
			}
			if err := emit(s, fn, e); err != nil {
				return err
			}
		}
		return nil
	})
}

// maxGroup bounds the frontends held back waiting for a group's backends.
const maxGroup = 4096

// maxPrealloc bounds the backend capacity reserved from a frontend's count.
const maxPrealloc = 1024

// natText decodes the text dump. Frontends are held until their backends
// are complete; consecutive frontends of one id with no backends in between
// are a --group-by-service group that shares the backends that follow.
type natText struct {
	s        *session
	fn       func(model.NATEntry) error
	group    []model.NATFrontend
	backends []model.NATBackend
	filler   int // "is missing" lines after a blackhole frontend
	stopped  bool
}

func (d *natText) run() error {
	for !d.stopped {
		line, num, ok, err := d.s.next()
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		var fe model.NATFrontend
		var be model.NATBackend
		switch {
		case parseNATFrontend(line, &fe):
			if err := d.frontend(fe); err != nil {
				return err
			}
		case parseNATBackend(line, &be):
			if err := d.backend(be, line, num); err != nil {
				return err
			}
		default:
			if err := d.s.other(line, num); err != nil {
				return err
			}
		}
	}
	return d.flush()
}

func (d *natText) frontend(fe model.NATFrontend) error {
	if len(d.group) > 0 {
		if !d.joinsGroup(fe) {
			if err := d.flush(); err != nil {
				return err
			}
		}
	}
	d.group = append(d.group, fe)
	return nil
}

// joinsGroup: a frontend joins the held ones when they all still wait for
// backends and share its id.
func (d *natText) joinsGroup(fe model.NATFrontend) bool {
	if len(d.backends) > 0 || d.filler > 0 || len(d.group) >= maxGroup || fe.ID != d.group[0].ID {
		return false
	}
	for _, g := range d.group {
		if g.Count <= 0 {
			return false
		}
	}
	return fe.Count > 0
}

func (d *natText) backend(be model.NATBackend, line []byte, num int) error {
	if len(d.group) == 0 {
		d.s.warn(num, line, "NAT backend line without a frontend")
		return nil
	}
	head := d.group[len(d.group)-1]
	if head.Blackhole() {
		// The pre-v3.27 loop over 4294967295 ordinals; nothing to keep.
		d.filler++
		if d.filler >= d.s.opts.MaxBackends {
			return d.stop(num, line, fmt.Sprintf("blackhole frontend %s:%d id %d is followed by an endless list of missing backends (Calico before v3.27); stopped after %d lines",
				head.Addr, head.Port, head.ID, d.filler))
		}
		return nil
	}
	if len(d.backends) >= d.s.opts.MaxBackends {
		return d.stop(num, line, fmt.Sprintf("frontend %s:%d id %d has more than %d backends; stopped reading", head.Addr, head.Port, head.ID, d.s.opts.MaxBackends))
	}
	if be.ID != head.ID {
		d.s.warn(num, line, fmt.Sprintf("backend id %d under frontend id %d", be.ID, head.ID))
	}
	if d.backends == nil {
		// One allocation per frontend: size by the count (which a cut or
		// grouped dump may not honour; append still grows).
		d.backends = make([]model.NATBackend, 0, min(max(head.Count, 1), maxPrealloc))
	}
	d.backends = append(d.backends, be)
	return nil
}

// stop ends decoding early: the held frontends are delivered, the report
// says the input was not read to the end.
func (d *natText) stop(num int, line []byte, reason string) error {
	d.s.warn(num, line, reason)
	d.s.rep.Incomplete = true
	d.stopped = true
	return nil
}

// flush delivers the held frontends with their backends.
func (d *natText) flush() error {
	for _, fe := range d.group {
		e := model.NATEntry{Frontend: fe, Backends: d.backends}
		if fe.Blackhole() {
			e.Backends = nil
		}
		if err := emit(d.s, d.fn, e); err != nil {
			return err
		}
	}
	d.group = d.group[:0]
	d.backends = nil // delivered rows keep the old slice
	d.filler = 0
	return nil
}
