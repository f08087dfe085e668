package parse

import (
	"bytes"
	"errors"
	"io"
)

// lineReader hands out lines without copying them: a returned slice points
// into the read buffer (or, for lines longer than the buffer, into a reused
// scratch slice) and is valid until the next call. Memory stays bounded by
// the buffer and MaxLineBytes whatever the input size. A line longer than
// max bytes is handed out cut to max and marked tooLong, wherever it is.
//
// The buffer starts at 64 KiB, so that decoding a short dump stays cheap,
// and grows to readBufferSize once a read fills it (large dumps are read in
// 1 MiB reads) or a line does not fit.
type lineReader struct {
	r        io.Reader
	buf      []byte
	off, end int   // buf[off:end] is read and not yet handed out
	err      error // the reader's error (io.EOF at the end), after buf[off:end]
	n        int   // number of the line last returned (1-based)
	long     []byte
	max      int
}

const (
	readBufferSize    = 1 << 20
	minReadBufferSize = 64 << 10
)

func newLineReader(r io.Reader, max int) *lineReader {
	return &lineReader{r: r, max: max}
}

// rawLine is one line as read.
type rawLine struct {
	b       []byte // without "\n" (and without the "\r" of "\r\n")
	num     int
	cut     bool // the input ended before the newline
	tooLong bool // the line is longer than max bytes; b holds the first max
}

// nextFast returns the next line if it is complete in the buffer and no
// longer than max: the common case, with no bookkeeping. When it returns
// false nothing was consumed and next takes over.
func (lr *lineReader) nextFast() ([]byte, bool) {
	i := bytes.IndexByte(lr.buf[lr.off:lr.end], '\n')
	if i < 0 || i > lr.max {
		return nil, false
	}
	b := lr.buf[lr.off : lr.off+i]
	lr.off += i + 1
	lr.n++
	return dropCR(b), true
}

// next returns the next line, io.EOF at the end, or the read error.
func (lr *lineReader) next() (rawLine, error) {
	scanned := 0 // buf[off:off+scanned] holds no newline
	for {
		if i := bytes.IndexByte(lr.buf[lr.off+scanned:lr.end], '\n'); i >= 0 {
			b := lr.buf[lr.off : lr.off+scanned+i]
			lr.off += scanned + i + 1
			lr.n++
			if len(b) > lr.max {
				return rawLine{b: b[:lr.max], num: lr.n, tooLong: true}, nil
			}
			return rawLine{b: dropCR(b), num: lr.n}, nil
		}
		scanned = lr.end - lr.off
		if lr.err != nil {
			if !errors.Is(lr.err, io.EOF) || scanned == 0 {
				return rawLine{}, lr.err
			}
			b := lr.buf[lr.off:lr.end]
			lr.off = lr.end
			lr.n++
			if len(b) > lr.max {
				return rawLine{b: b[:lr.max], num: lr.n, cut: true, tooLong: true}, nil
			}
			return rawLine{b: dropCR(b), num: lr.n, cut: true}, nil
		}
		if lr.off == 0 && lr.end == len(lr.buf) && len(lr.buf) >= readBufferSize {
			return lr.readLong()
		}
		lr.fill()
	}
}

// fill moves the unread bytes to the front of the buffer (growing it when
// it is full and may still grow) and reads once more.
func (lr *lineReader) fill() {
	switch {
	case lr.buf == nil:
		lr.buf = make([]byte, minReadBufferSize)
	case lr.off == 0 && lr.end == len(lr.buf):
		grown := make([]byte, min(2*len(lr.buf), readBufferSize))
		lr.end = copy(grown, lr.buf[:lr.end])
		lr.buf = grown
	case lr.off > 0:
		lr.end = copy(lr.buf, lr.buf[lr.off:lr.end])
		lr.off = 0
	}
	for range 100 {
		free := lr.buf[lr.end:]
		n, err := lr.r.Read(free)
		if n < 0 || n > len(free) {
			lr.err = errInvalidCount
			return
		}
		lr.end += n
		if err != nil {
			lr.err = err
			return
		}
		if n > 0 {
			// A read that filled the buffer: the input is large, read more at once.
			if lr.end == len(lr.buf) && n >= len(lr.buf)/2 && len(lr.buf) < readBufferSize {
				grown := make([]byte, readBufferSize)
				lr.end = copy(grown, lr.buf[:lr.end])
				lr.buf = grown
			}
			return
		}
	}
	lr.err = io.ErrNoProgress
}

var errInvalidCount = errors.New("reader returned an invalid count")

// readLong gathers a line that does not fit the full-size buffer, keeping
// its first max bytes.
func (lr *lineReader) readLong() (rawLine, error) {
	lr.long = lr.long[:0]
	total := 0
	for {
		chunk := lr.buf[lr.off:lr.end]
		i := bytes.IndexByte(chunk, '\n')
		if i >= 0 {
			chunk = chunk[:i]
		}
		if room := lr.max - len(lr.long); room > 0 {
			lr.long = append(lr.long, chunk[:min(room, len(chunk))]...)
		}
		total += len(chunk)
		if i >= 0 {
			lr.off += i + 1
			lr.n++
			if total > lr.max {
				return rawLine{b: lr.long, num: lr.n, tooLong: true}, nil
			}
			return rawLine{b: dropCR(lr.long), num: lr.n}, nil
		}
		lr.off = lr.end
		if lr.err != nil {
			if !errors.Is(lr.err, io.EOF) {
				return rawLine{}, lr.err
			}
			lr.n++
			if total > lr.max {
				return rawLine{b: lr.long, num: lr.n, cut: true, tooLong: true}, nil
			}
			return rawLine{b: dropCR(lr.long), num: lr.n, cut: true}, nil
		}
		lr.fill()
	}
}

// rest returns a reader of what the line reader has not handed out: the
// buffered bytes, then the rest of the input (or the read error).
func (lr *lineReader) rest() io.Reader {
	buffered := bytes.NewReader(lr.buf[lr.off:lr.end])
	switch {
	case lr.err == nil:
		return io.MultiReader(buffered, lr.r)
	case errors.Is(lr.err, io.EOF):
		return buffered
	}
	return io.MultiReader(buffered, errReader{lr.err})
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

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
