package parse

import (
	"bytes"
	"errors"
	"fmt"
	"io"
)

// DetectFormat tells JSON from text by the first non-blank bytes of a dump:
// '[' or '{' starting a JSON value, or "null" (Calico's empty slice), mean
// JSON. It does not skip noise lines; the decoders do that before detecting.
func DetectFormat(prefix []byte) Format {
	b := bytes.TrimLeft(prefix, " \t\r\n")
	if looksLikeJSON(firstLine(b)) {
		return FormatJSON
	}
	return FormatText
}

func firstLine(b []byte) []byte {
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		b = b[:i]
	}
	return trimSpace(b)
}

// looksLikeJSON checks the start of a trimmed line. A bare '[' is not enough:
// trace lines start with "[000]".
func looksLikeJSON(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	if bytes.Equal(b, []byte("null")) {
		return true
	}
	if b[0] != '[' && b[0] != '{' {
		return false
	}
	if len(b) == 1 {
		return true
	}
	switch c := b[1]; {
	case c == ' ', c == '\t', c == '"', c == '{', c == ']', c == '}', c == '[':
		return true
	case b[0] == '[' && (c == '-' || ('0' <= c && c <= '9')):
		// "[1,2]" is JSON, "[000] .Ns1 …" is a trace line.
		return bytes.IndexByte(b, ',') > 0 || bytes.HasSuffix(b, []byte("]")) && !bytes.Contains(b, []byte("] "))
	}
	return false
}

// start skips leading noise and decides the format. For text it hands the
// first data line back to the line reader; for JSON it returns the JSON
// value's first line (with its newline, unless the input ended there),
// which decodeJSON re-reads.
func (s *session) start() (Format, []byte, error) {
	for {
		l, err := s.raw()
		if errors.Is(err, io.EOF) {
			if s.rep.Format == FormatAuto {
				s.rep.Format = FormatText
			}
			return s.rep.Format, nil, nil
		}
		if err != nil {
			return 0, nil, fmt.Errorf("read line %d: %w", s.lr.n+1, err)
		}
		b := trimSpace(l.b)
		if len(b) == 0 || l.tooLong {
			if l.tooLong {
				s.unread(l)
				return s.textFormat(), nil, nil
			}
			continue
		}
		if s.kind.HasJSON() && s.opts.Format != FormatText && looksLikeJSON(b) {
			s.rep.Format = FormatJSON
			first := append([]byte(nil), b...)
			if !l.cut {
				first = append(first, '\n')
			}
			return FormatJSON, first, nil
		}
		switch classify(b, s.kind.dumpsOfTool()) {
		case classNoise:
			s.rep.Skipped++
			continue
		case classToolError:
			return 0, nil, s.other(b, l.num)
		}
		s.unread(l)
		return s.textFormat(), nil, nil
	}
}

// textFormat settles on text, warning when JSON was asked for: some Calico
// versions ignore -j for some commands (nat aff before v3.31.7) and print text.
func (s *session) textFormat() Format {
	if s.opts.Format == FormatJSON {
		s.warn(0, nil, "JSON was expected but the input is text; decoding it as text")
	}
	s.rep.Format = FormatText
	return FormatText
}
