package parse

import (
	"bytes"
	"io"
	"net/netip"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/model"
)

// IPSets decodes `calico-bpf ipsets dump` (text, any version; JSON v3.31.5+)
// and calls fn once per set. A set with more than Options.MaxSetMembers
// members is delivered as several rows with the same ID, so memory stays
// bounded (in text; a JSON set is one value and is decoded whole).
//
// Text:
//
//	IP set 0xa4e9b3f00c1d2e7
//	   10.65.1.7:8080 (proto 6)
//	   10.65.2.9:53 (proto 17)
//
//	No IP sets found.
func IPSets(r io.Reader, opts Options, fn func(model.IPSet) error) (Report, error) {
	s := newSession(KindIPSets, r, opts)
	return s.finish(s.run(func(first []byte) error {
		return decodeJSON(s, first, func(set *model.IPSet) error { return ipsetChunks(s, fn, *set) })
	}, func() error { return ipsetsText(s, fn) }))
}

// ipsetChunks delivers a decoded set, split when it is over the bound.
func ipsetChunks(s *session, fn func(model.IPSet) error, set model.IPSet) error {
	for len(set.Members) > s.opts.MaxSetMembers {
		part := model.IPSet{ID: set.ID, Members: set.Members[:s.opts.MaxSetMembers:s.opts.MaxSetMembers]}
		if err := emit(s, fn, part); err != nil {
			return err
		}
		set.Members = set.Members[s.opts.MaxSetMembers:]
	}
	return emit(s, fn, set)
}

func ipsetsText(s *session, fn func(model.IPSet) error) error {
	var cur *model.IPSet
	flush := func() error {
		if cur == nil {
			return nil
		}
		set := *cur
		cur = nil
		return emit(s, fn, set)
	}
	for {
		line, num, ok, err := s.next()
		if err != nil {
			return err
		}
		if !ok {
			return flush()
		}
		if idB, isHeader := bytes.CutPrefix(line, []byte("IP set ")); isHeader {
			var id model.SetID
			if err := id.UnmarshalText(idB); err != nil {
				s.warn(num, line, "bad IP set id")
				continue
			}
			if err := flush(); err != nil {
				return err
			}
			cur = &model.IPSet{ID: id}
			continue
		}
		if string(line) == "No IP sets found." {
			continue
		}
		var m model.IPSetMember
		if !parseIPSetMember(line, &m) {
			if err := s.other(line, num); err != nil {
				return err
			}
			continue
		}
		if cur == nil {
			s.warn(num, line, "IP set member before any \"IP set\" header")
			continue
		}
		if len(cur.Members) >= s.opts.MaxSetMembers {
			id := cur.ID
			if err := flush(); err != nil {
				return err
			}
			cur = &model.IPSet{ID: id}
		}
		cur.Members = append(cur.Members, m)
	}
}

// parseIPSetMember reads "10.65.0.5/32" or "fd00:10:65:1::7:8080 (proto 6)".
func parseIPSetMember(line []byte, m *model.IPSetMember) bool {
	if head, protoPart, named := bytes.Cut(line, []byte(" (proto ")); named {
		protoB, ok := bytes.CutSuffix(protoPart, []byte(")"))
		if !ok {
			return false
		}
		proto, ok := parseUintMax(protoB, 255)
		if !ok {
			return false
		}
		ap, ok := parseAddrPort(head)
		if !ok {
			return false
		}
		*m = model.IPSetMember{CIDR: netip.PrefixFrom(ap.Addr(), ap.Addr().BitLen()), Port: ap.Port(), Proto: model.Proto(proto)}
		return true
	}
	p, ok := parsePrefix(line)
	if !ok {
		return false
	}
	*m = model.IPSetMember{CIDR: p}
	return true
}
