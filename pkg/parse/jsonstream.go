package parse

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// decodeJSON streams JSON values: an array is decoded element by element, so
// memory holds one element at a time; a top-level object is one element (the
// counters dump is a stream of concatenated objects, conntrack stats one
// object); null is an empty dump. Text after the JSON is checked line by line.
func decodeJSON[T any](s *session, first []byte, each func(v *T) error) error {
	return decodeJSONFrom(s, io.MultiReader(bytes.NewReader(first), s.lr.rest()), jsonTop, each)
}

// jsonResume says where in the JSON stream src starts.
type jsonResume int

const (
	jsonTop          jsonResume = iota // between top-level values
	jsonInArray                        // in a top-level array, before an element or ']'
	jsonAfterElement                   // in a top-level array, after an element
)

// decodeJSONFrom is decodeJSON for a stream that may start inside a
// top-level array, where a faster decoder (conntrackJSON) handed over;
// s.jsonBase is the offset of src in the whole JSON stream, for messages.
func decodeJSONFrom[T any](s *session, src io.Reader, at jsonResume, each func(v *T) error) error {
	// Inside an array, the decoder is put in the same state by a made-up
	// start: "[" before an element, "[null" after one.
	var start string
	switch at {
	case jsonInArray:
		start = "["
	case jsonAfterElement:
		start = "[null"
	}
	s.jsonBase -= int64(len(start))
	s.jsonSrc = &readErrRecorder{r: src}
	br := bufio.NewReaderSize(io.MultiReader(strings.NewReader(start), s.jsonSrc), minReadBufferSize)
	dec := json.NewDecoder(br)
	if at != jsonTop {
		if _, err := dec.Token(); err != nil {
			return s.jsonError(dec, err)
		}
		if at == jsonAfterElement {
			var null json.RawMessage
			if err := dec.Decode(&null); err != nil {
				return s.jsonError(dec, err)
			}
		}
		if err := jsonArrayRest(s, dec, each); err != nil || s.rep.Truncated {
			return err
		}
	}
	for {
		c, err := peekNonSpace(dec, br)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read json: %w", err)
		}
		switch c {
		case '[':
			if _, err := dec.Token(); err != nil {
				return s.jsonError(dec, err)
			}
			if err := jsonArrayRest(s, dec, each); err != nil || s.rep.Truncated {
				return err
			}
		case '{':
			var v T
			if err := dec.Decode(&v); err != nil {
				if fatal := s.jsonElementError(dec, err); fatal != nil || s.rep.Truncated {
					return fatal
				}
				continue
			}
			if err := each(&v); err != nil {
				return err
			}
		case 'n':
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil || !bytes.Equal(raw, []byte("null")) {
				return s.jsonError(dec, fmt.Errorf("unexpected value %q", raw))
			}
		default:
			return s.trailingText(io.MultiReader(dec.Buffered(), br))
		}
	}
}

// jsonArrayRest decodes the elements of an array whose '[' the decoder has
// read, and its ']'.
func jsonArrayRest[T any](s *session, dec *json.Decoder, each func(v *T) error) error {
	var v, zero T // one v for all elements: it escapes to the decoder
	for dec.More() {
		v = zero // fields an element leaves out must not keep the last element's values
		if err := dec.Decode(&v); err != nil {
			if fatal := s.jsonElementError(dec, err); fatal != nil || s.rep.Truncated {
				return fatal
			}
			continue
		}
		if err := each(&v); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil {
		return s.jsonError(dec, err)
	}
	return nil
}

// peekNonSpace returns the next non-space byte the decoder will read without
// consuming it: first from the decoder's buffer, then from the reader
// underneath (consuming only whitespace there, which the decoder would skip).
func peekNonSpace(dec *json.Decoder, br *bufio.Reader) (byte, error) {
	rest, _ := io.ReadAll(dec.Buffered()) // a copy of the decoder's small look-ahead
	for _, c := range rest {
		if !isJSONSpace(c) {
			return c, nil
		}
	}
	for {
		b, err := br.Peek(1)
		if err != nil {
			return 0, err
		}
		if !isJSONSpace(b[0]) {
			return b[0], nil
		}
		_, _ = br.ReadByte()
	}
}

func isJSONSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// jsonError turns a decoder error into the session's outcome: the input
// ending inside a value is a truncation warning, anything else an error.
func (s *session) jsonError(dec *json.Decoder, err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		s.rep.Truncated = true
		s.warn(0, nil, fmt.Sprintf("input ends inside the JSON value at byte %d", s.jsonBase+dec.InputOffset()))
		return nil
	}
	return fmt.Errorf("decode json near byte %d: %w", s.jsonBase+dec.InputOffset(), err)
}

// jsonElementError handles an element that failed to decode. The decoder
// reads a whole element before unmarshalling it, so an element of the wrong
// shape is skipped with a warning and decoding goes on; broken syntax stops it.
func (s *session) jsonElementError(dec *json.Decoder, err error) error {
	if s.jsonSrc != nil && s.jsonSrc.err != nil {
		// The decoder returns a read error for good: it is not the
		// element's fault, and skipping would never end.
		return fmt.Errorf("read json near byte %d: %w", s.jsonBase+dec.InputOffset(), s.jsonSrc.err)
	}
	var syn *json.SyntaxError
	if errors.As(err, &syn) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return s.jsonError(dec, err)
	}
	s.warn(0, nil, fmt.Sprintf("JSON element before byte %d skipped: %v", s.jsonBase+dec.InputOffset(), err))
	return nil
}

// readErrRecorder keeps the first error other than io.EOF its reader returned.
type readErrRecorder struct {
	r   io.Reader
	err error
}

func (r *readErrRecorder) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if err != nil && !errors.Is(err, io.EOF) && r.err == nil {
		r.err = err
	}
	return n, err
}

// trailingText checks what follows the JSON: noise is fine, a tool error is
// an error, anything else a warning.
func (s *session) trailingText(r io.Reader) error {
	lr := newLineReader(r, s.opts.MaxLineBytes)
	for {
		l, err := lr.next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read after json: %w", err)
		}
		b := trimSpace(l.b)
		if len(b) == 0 {
			continue
		}
		switch classify(b, s.kind.dumpsOfTool()) {
		case classNoise:
			s.rep.Skipped++
		case classToolError:
			return &ToolError{Text: string(b)}
		default:
			s.warn(0, b, "text after the JSON value, not understood")
		}
	}
}
