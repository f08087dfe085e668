package parse

import (
	"bufio"
	"errors"
	"io"
)

// lineReader hands out lines without copying them: a returned slice points
// into the bufio buffer (or, for lines longer than the buffer, into a reused
// scratch slice) and is valid until the next call. Memory stays bounded by
// the buffer and MaxLineBytes whatever the input size.
type lineReader struct {
	br   *bufio.Reader
	n    int    // number of the line last returned (1-based)
	long []byte // scratch for lines longer than the bufio buffer
	max  int
}

const readBufferSize = 64 << 10

func newLineReader(r io.Reader, max int) *lineReader {
	br, ok := r.(*bufio.Reader)
	if !ok || br.Size() < readBufferSize {
		br = bufio.NewReaderSize(r, readBufferSize)
	}
	return &lineReader{br: br, max: max}
}

// rawLine is one line as read.
type rawLine struct {
	b       []byte // without "\n" (and without the "\r" of "\r\n")
	num     int
	cut     bool // the input ended before the newline
	tooLong bool // b holds only the first max bytes
}

// next returns the next line, io.EOF at the end, or the read error.
func (lr *lineReader) next() (rawLine, error) {
	b, err := lr.br.ReadSlice('\n')
	switch {
	case err == nil:
		lr.n++
		return rawLine{b: dropCR(b[:len(b)-1]), num: lr.n}, nil
	case errors.Is(err, bufio.ErrBufferFull):
		return lr.readLong(b)
	case errors.Is(err, io.EOF):
		if len(b) == 0 {
			return rawLine{}, io.EOF
		}
		lr.n++
		return rawLine{b: dropCR(b), num: lr.n, cut: true}, nil
	default:
		return rawLine{}, err
	}
}

// readLong gathers a line that does not fit the buffer, keeping at most max bytes.
func (lr *lineReader) readLong(first []byte) (rawLine, error) {
	lr.long = append(lr.long[:0], first...)
	tooLong := false
	for {
		b, err := lr.br.ReadSlice('\n')
		if len(lr.long)+len(b) > lr.max {
			tooLong = true
			room := max(lr.max-len(lr.long), 0)
			lr.long = append(lr.long, b[:min(room, len(b))]...)
		} else {
			lr.long = append(lr.long, b...)
		}
		switch {
		case err == nil:
			lr.n++
			line := lr.long
			if !tooLong || (len(line) > 0 && line[len(line)-1] == '\n') {
				line = line[:len(line)-1]
			}
			return rawLine{b: dropCR(line), num: lr.n, tooLong: tooLong}, nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF):
			lr.n++
			return rawLine{b: dropCR(lr.long), num: lr.n, cut: true, tooLong: tooLong}, nil
		default:
			return rawLine{}, err
		}
	}
}

func dropCR(b []byte) []byte {
	if len(b) > 0 && b[len(b)-1] == '\r' {
		return b[:len(b)-1]
	}
	return b
}

// trimSpace drops spaces, tabs and stray carriage returns at both ends.
func trimSpace(b []byte) []byte {
	i, j := 0, len(b)
	for i < j && isBlank(b[i]) {
		i++
	}
	for j > i && isBlank(b[j-1]) {
		j--
	}
	return b[i:j]
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v' }
