package parse

import (
	"errors"
	"fmt"
	"io"
)

// session is the state shared by every decoder: the line source, the options
// and the report under construction.
type session struct {
	kind    Kind
	opts    Options
	lr      *lineReader
	rep     Report
	pending *rawLine // a line handed back by detectFormat
	pendBuf []byte
	// jsonBase is added to the JSON decoder's offsets in messages: the
	// offset in the JSON stream where the decoder started.
	jsonBase int64
	jsonSrc  *readErrRecorder
}

func newSession(kind Kind, r io.Reader, opts Options) *session {
	opts = opts.withDefaults()
	return &session{
		kind: kind,
		opts: opts,
		lr:   newLineReader(r, opts.MaxLineBytes),
		rep:  Report{Kind: kind, Format: opts.Format},
	}
}

const maxWarningText = 200

// warn records a warning, keeping at most MaxWarnings of them.
func (s *session) warn(line int, text []byte, reason string) {
	if len(s.rep.Warnings) >= s.opts.MaxWarnings {
		s.rep.WarningsDropped++
		return
	}
	if len(text) > maxWarningText {
		text = append(text[:maxWarningText:maxWarningText], "…"...)
	}
	s.rep.Warnings = append(s.rep.Warnings, Warning{Line: line, Text: string(text), Reason: reason})
}

// raw returns the next line as read, or io.EOF.
func (s *session) raw() (rawLine, error) {
	if s.pending != nil {
		l := *s.pending
		s.pending = nil
		return l, nil
	}
	l, err := s.lr.next()
	if err == nil {
		s.rep.Lines = l.num
	}
	return l, err
}

// unread hands a line back so that the next raw call returns it again.
func (s *session) unread(l rawLine) {
	s.pendBuf = append(s.pendBuf[:0], l.b...)
	l.b = s.pendBuf
	s.pending = &l
}

// next returns the next non-blank line, trimmed, with its number. A final
// line without a newline is reported as truncated and not returned: a cut
// line can parse into wrong values ("idx 1" from "idx 12"); a final prompt
// or an error message is fine as it is. ok is false at the end of the
// input; err is a read error.
func (s *session) next() (line []byte, num int, ok bool, err error) {
	if s.pending == nil {
		// The common case: a whole line in the read buffer.
		if l, ok := s.lr.nextFast(); ok {
			s.rep.Lines = s.lr.n
			if b := trimSpace(l); len(b) > 0 {
				return b, s.lr.n, true, nil
			}
		}
	}
	for {
		l, err := s.raw()
		if errors.Is(err, io.EOF) {
			return nil, 0, false, nil
		}
		if err != nil {
			return nil, 0, false, fmt.Errorf("read line %d: %w", s.lr.n+1, err)
		}
		b := trimSpace(l.b)
		if len(b) == 0 {
			continue
		}
		if l.tooLong {
			s.warn(l.num, b, fmt.Sprintf("line longer than %d bytes, skipped", s.opts.MaxLineBytes))
			continue
		}
		if l.cut {
			switch classify(b, s.kind.dumpsOfTool()) {
			case classNoise: // a paste that ends with the next prompt
				s.rep.Skipped++
				return nil, 0, false, nil
			case classToolError:
				return b, l.num, true, nil
			}
			s.rep.Truncated = true
			s.warn(l.num, b, "input ends in the middle of this line, skipped")
			return nil, 0, false, nil
		}
		return b, l.num, true, nil
	}
}

// other handles a line the kind's parser did not recognise: noise is
// counted and skipped, a tool error ends decoding, anything else is a warning.
func (s *session) other(line []byte, num int) error {
	switch classify(line, s.kind.dumpsOfTool()) {
	case classNoise:
		s.rep.Skipped++
		return nil
	case classToolError:
		text := string(line)
		if text == "Usage:" {
			// cobra's usage block: quote the command line that follows.
			if next, _, ok, _ := s.next(); ok {
				text += " " + string(next)
			}
		}
		return &ToolError{Line: num, Text: text}
	}
	s.warn(num, line, "not understood")
	return nil
}

// emit counts a row and passes it on.
func emit[T any](s *session, fn func(T) error, row T) error {
	s.rep.Rows++
	return fn(row)
}

// finish wraps a decoder's error with the operation, and returns the report.
func (s *session) finish(err error) (Report, error) {
	if err != nil {
		return s.rep, fmt.Errorf("parse %s: %w", s.kind, err)
	}
	return s.rep, nil
}
