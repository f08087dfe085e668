package parse

import (
	"bytes"
	"errors"
	"io"
	"net/netip"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/model"
)

// A fast path for conntrack JSON, the largest JSON dump: a top-level array
// of flat objects, read by hand instead of through encoding/json's
// reflection and token machinery. Like the text fast paths it decides
// nothing on its own: at the first element or separator it does not take
// exactly (an unknown or differently spelled key, an escape in a string, a
// number where a string belongs, a value out of range, broken or cut JSON,
// …) it
// hands the rest of the stream, from that point, to decodeJSONFrom, which
// goes on with encoding/json as if it had read everything before. So rows,
// warnings and errors are the same either way (TestConntrackJSONFastPath,
// FuzzConntrackJSONFastPath).

// conntrackJSONFast turns the fast path off for tests.
var conntrackJSONFast = true

// conntrackJSON decodes a conntrack JSON dump whose first line is first.
func conntrackJSON(s *session, first []byte, each func(*model.ConntrackEntry) error) error {
	js := &jsonScanner{r: io.MultiReader(bytes.NewReader(first), s.lr.rest())}
	if !conntrackJSONFast || !js.skipSpace() || js.buf[js.off] != '[' {
		return js.resume(s, js.pos(), jsonTop, each)
	}
	js.off++
	var e model.ConntrackEntry
	at := jsonInArray
	js.mark = js.pos() // where encoding/json would take over
	for {
		if !js.skipSpace() {
			return js.resume(s, js.mark, at, each)
		}
		switch c := js.buf[js.off]; {
		case c == ']':
			// The end of the array: encoding/json checks what follows.
			return js.resume(s, js.pos(), at, each)
		case at == jsonAfterElement && c != ',':
			return js.resume(s, js.pos(), at, each)
		case at == jsonAfterElement:
			js.mark = js.pos() // before the ',': "[1,]" is an error to report
			js.off++
			if !js.skipSpace() {
				return js.resume(s, js.mark, at, each)
			}
		}
		for {
			p := ctJSON{b: js.buf[js.off:js.end]}
			e = model.ConntrackEntry{}
			if p.object(&e) {
				js.off += p.i
				break
			}
			if !p.short || !js.more() {
				return js.resume(s, js.mark, at, each)
			}
		}
		if err := each(&e); err != nil {
			return err
		}
		at, js.mark = jsonAfterElement, js.pos()
	}
}

// jsonScanner is a read buffer that knows the stream offset of its bytes.
type jsonScanner struct {
	r        io.Reader
	buf      []byte
	off, end int   // buf[off:end] is read and not consumed
	base     int64 // stream offset of buf[0]
	mark     int64 // stream offset before which bytes may be dropped (<= pos())
	err      error
}

// pos is the stream offset of buf[off].
func (js *jsonScanner) pos() int64 { return js.base + int64(js.off) }

// more reads more input, keeping what follows the mark. It reports false
// when nothing more can be had: the end of the input, a read error, or a
// value larger than the largest buffer.
func (js *jsonScanner) more() bool {
	if js.err != nil {
		return false
	}
	keep := int(max(js.mark-js.base, 0))
	switch {
	case js.buf == nil:
		js.buf = make([]byte, minReadBufferSize)
	case keep > 0:
		js.end = copy(js.buf, js.buf[keep:js.end])
		js.off -= keep
		js.base += int64(keep)
	case js.end == len(js.buf):
		if len(js.buf) >= readBufferSize {
			return false
		}
		grown := make([]byte, readBufferSize)
		js.end = copy(grown, js.buf[:js.end])
		js.buf = grown
	}
	for range 100 {
		free := js.buf[js.end:]
		n, err := js.r.Read(free)
		if n < 0 || n > len(free) {
			n, err = 0, errInvalidCount
		}
		js.end += n
		js.err = err
		if n > 0 {
			return true
		}
		if err != nil {
			return false
		}
	}
	js.err = io.ErrNoProgress
	return false
}

// skipSpace skips JSON white space and reports whether a byte follows.
func (js *jsonScanner) skipSpace() bool {
	for {
		for js.off < js.end {
			if !isJSONSpace(js.buf[js.off]) {
				return true
			}
			js.off++
		}
		if !js.more() {
			return false
		}
	}
}

// resume hands the stream from offset pos on to encoding/json.
func (js *jsonScanner) resume(s *session, pos int64, at jsonResume, each func(*model.ConntrackEntry) error) error {
	s.jsonBase = pos
	var rest io.Reader
	switch {
	case js.err == nil:
		rest = js.r
	case errors.Is(js.err, io.EOF):
		rest = bytes.NewReader(nil)
	default:
		rest = errReader{js.err}
	}
	i := min(max(int(pos-js.base), 0), js.end)
	return decodeJSONFrom(s, io.MultiReader(bytes.NewReader(js.buf[i:js.end]), rest), at, each)
}

// ctJSON reads one conntrack object from b. short is set when b ended
// before the object did.
type ctJSON struct {
	b     []byte
	i     int
	short bool
}

// object reads {"key": value, …} into e and reports whether it took the
// whole object.
func (p *ctJSON) object(e *model.ConntrackEntry) bool {
	if !p.next('{') {
		return false
	}
	if p.next('}') {
		return true
	}
	for {
		key, ok := p.key()
		if !ok || !p.field(string(key), e) {
			return false
		}
		if p.next(',') {
			continue
		}
		return p.next('}')
	}
}

// field reads the value of one key of a conntrack object.
func (p *ctJSON) field(key string, e *model.ConntrackEntry) bool {
	switch key {
	case "type":
		v, ok := p.str()
		if !ok {
			return false
		}
		switch string(v) {
		case "normal":
			e.Type = model.ConntrackNormal
		case "nat-forward":
			e.Type = model.ConntrackNATForward
		case "nat", "nat-reverse":
			e.Type = model.ConntrackNATReverse
		default:
			return false
		}
	case "proto", "rev_proto":
		v, ok := p.str()
		if !ok {
			return false
		}
		var proto model.Proto
		switch string(v) {
		case "TCP":
			proto = model.ProtoTCP
		case "UDP":
			proto = model.ProtoUDP
		case "ICMP":
			proto = model.ProtoICMP
		case "ICMP6":
			proto = model.ProtoICMPv6
		default:
			return false
		}
		if key == "proto" {
			e.Proto = model.ProtoName(proto)
		} else {
			e.RevProto = model.ProtoName(proto)
		}
	case "src":
		return p.addrPort(&e.Src)
	case "dst":
		return p.addrPort(&e.Dst)
	case "orig_dst":
		return p.addrPort(&e.OrigDst)
	case "tunnel_ip":
		return p.addr(&e.TunnelIP)
	case "addr_a":
		return p.addr(&e.AddrA)
	case "addr_b":
		return p.addr(&e.AddrB)
	case "rev_addr_a":
		return p.addr(&e.RevAddrA)
	case "rev_addr_b":
		return p.addr(&e.RevAddrB)
	case "orig_src":
		return p.addr(&e.OrigSrc)
	case "orig_src_port":
		return p.port(&e.OrigSrcPort)
	case "port_a":
		return p.port(&e.PortA)
	case "port_b":
		return p.port(&e.PortB)
	case "rev_port_a":
		return p.port(&e.RevPortA)
	case "rev_port_b":
		return p.port(&e.RevPortB)
	case "nat_sport":
		return p.port(&e.NATSPort)
	case "flags":
		return p.flags(&e.Flags)
	case "active_ago":
		return p.duration(&e.ActiveAgo)
	case "age":
		return p.duration(&e.Age)
	case "tcp_state":
		v, ok := p.str()
		if !ok {
			return false
		}
		if len(v) == 0 {
			e.TCPState = model.TCPNone
			return true
		}
		st, ok := fastTCPState(v)
		if !ok {
			return false
		}
		e.TCPState = st
	case "created":
		n, ok := p.uint(1<<64 - 1)
		e.Created = n
		return ok
	case "last_seen":
		n, ok := p.uint(1<<64 - 1)
		e.LastSeen = n
		return ok
	case "a2b":
		return p.leg(&e.A2B)
	case "b2a":
		return p.leg(&e.B2A)
	default:
		return false
	}
	return true
}

// leg reads {"bytes": 60, "seqno": 1, "syn_seen": true, …} into the leg
// as it is: a repeated key fills the same leg, as encoding/json does.
func (p *ctJSON) leg(l *model.Leg) bool {
	if !p.next('{') {
		return false
	}
	if p.next('}') {
		return true
	}
	for {
		key, ok := p.key()
		if !ok {
			return false
		}
		var flag *bool
		switch string(key) {
		case "bytes":
			l.Bytes, ok = p.uint(1<<64 - 1)
		case "packets":
			l.Packets, ok = p.uint(1<<64 - 1)
		case "seqno":
			var n uint64
			n, ok = p.uint(1<<32 - 1)
			l.Seqno = uint32(n)
		case "ifindex":
			var n uint64
			n, ok = p.uint(1<<63 - 1)
			l.IfIndex = int(n)
		case "syn_seen":
			flag = &l.SynSeen
		case "ack_seen":
			flag = &l.AckSeen
		case "fin_seen":
			flag = &l.FinSeen
		case "rst_seen":
			flag = &l.RstSeen
		case "approved":
			flag = &l.Approved
		case "opener":
			flag = &l.Opener
		case "workload":
			flag = &l.Workload
		default:
			return false
		}
		if flag != nil {
			*flag, ok = p.boolean()
		}
		if !ok {
			return false
		}
		if p.next(',') {
			continue
		}
		return p.next('}')
	}
}

// flags reads null or an array of Calico's words.
func (p *ctJSON) flags(f *model.ConntrackFlags) bool {
	if p.null() {
		*f = 0
		return true
	}
	if !p.next('[') {
		return false
	}
	var v model.ConntrackFlags
	if !p.next(']') {
		for {
			w, ok := p.str()
			if !ok {
				return false
			}
			bit, ok := model.ConntrackWord(w)
			if !ok {
				return false
			}
			v |= bit
			if p.next(',') {
				continue
			}
			if !p.next(']') {
				return false
			}
			break
		}
	}
	*f = v
	return true
}

func (p *ctJSON) addrPort(ap *netip.AddrPort) bool {
	v, ok := p.str()
	if !ok || len(v) == 0 {
		return false
	}
	if a, n, ok := fastIPv4Port(v, 0); ok && n == len(v) {
		*ap = a
		return true
	}
	a, err := netip.ParseAddrPort(string(v))
	*ap = a
	return err == nil
}

func (p *ctJSON) addr(a *netip.Addr) bool {
	v, ok := p.str()
	if !ok || len(v) == 0 {
		return false
	}
	if ip, n, ok := fastIPv4(v, 0); ok && n == len(v) {
		*a = ip
		return true
	}
	ip, err := netip.ParseAddr(string(v))
	*a = ip
	return err == nil
}

func (p *ctJSON) port(port *uint16) bool {
	n, ok := p.uint(65535)
	*port = uint16(n)
	return ok
}

func (p *ctJSON) duration(d *model.Duration) bool {
	v, ok := p.str()
	if !ok {
		return false
	}
	t, ok := parseDuration(v)
	*d = model.D(t)
	return ok
}

// key reads `"key":`.
func (p *ctJSON) key() ([]byte, bool) {
	k, ok := p.str()
	return k, ok && p.next(':')
}

// str reads a string without escapes or control characters and returns
// its bytes.
func (p *ctJSON) str() ([]byte, bool) {
	if !p.next('"') {
		return nil, false
	}
	b := p.b
	for j := p.i; j < len(b); j++ {
		switch c := b[j]; {
		case c == '"':
			s := b[p.i:j]
			p.i = j + 1
			return s, true
		case c == '\\' || c < 0x20:
			return nil, false
		}
	}
	p.short = true
	return nil, false
}

// uint reads a JSON integer that is not negative and at most limit.
func (p *ctJSON) uint(limit uint64) (uint64, bool) {
	p.space()
	b := p.b
	j := p.i
	for j < len(b) && '0' <= b[j] && b[j] <= '9' {
		j++
	}
	if j == len(b) {
		p.short = true
		return 0, false
	}
	digits := b[p.i:j]
	if len(digits) == 0 || (digits[0] == '0' && len(digits) > 1) {
		return 0, false
	}
	if c := b[j]; c == '.' || c == 'e' || c == 'E' {
		return 0, false
	}
	n, ok := parseUint(digits)
	p.i = j
	return n, ok && n <= limit
}

func (p *ctJSON) boolean() (bool, bool) {
	p.space()
	switch {
	case p.literal("true"):
		return true, true
	case p.literal("false"):
		return false, true
	}
	return false, false
}

func (p *ctJSON) null() bool {
	p.space()
	return p.literal("null")
}

// literal matches true, false or null, which must not run on into letters.
func (p *ctJSON) literal(lit string) bool {
	b := p.b[p.i:]
	if len(b) <= len(lit) {
		if string(b) == lit[:len(b)] {
			p.short = true
		}
		return false
	}
	if string(b[:len(lit)]) != lit {
		return false
	}
	if c := b[len(lit)]; 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' {
		return false
	}
	p.i += len(lit)
	return true
}

// next skips white space and matches c.
func (p *ctJSON) next(c byte) bool {
	p.space()
	if p.i >= len(p.b) {
		p.short = true
		return false
	}
	if p.b[p.i] != c {
		return false
	}
	p.i++
	return true
}

func (p *ctJSON) space() {
	for p.i < len(p.b) && isJSONSpace(p.b[p.i]) {
		p.i++
	}
}
