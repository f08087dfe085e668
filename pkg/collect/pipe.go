package collect

import (
	"io"
	"sync"
)

// bufPipe is io.Pipe with a buffer between the exec's stream and the decoder. io.Pipe hands
// every write over, goroutine to goroutine, and the writer waits until the reader took all of
// it: a 50 MB dump arrives in thousands of WebSocket messages of ~10 KB, and those handovers
// cost more wall time than decoding. Here the writer copies into a ring and goes back to the
// network at once; the reader takes everything that has piled up in one read. The ring starts
// small (most dumps are a few KB) and doubles while the reader lags, up to max; the writer
// waits only when it is full at max, which bounds the memory.
type bufPipe struct {
	mu       sync.Mutex
	readable sync.Cond // data arrived or the writer closed
	writable sync.Cond // room was made or the reader closed
	ring     []byte
	max      int
	start, n int   // ring[start:start+n], wrapping, is unread
	werr     error // set when the writer closed: io.EOF or its error
	rerr     error // set when the reader closed
}

// The ring's sizes: the decoder reads up to 1 MB at a time.
const (
	pipeStart = 64 << 10
	pipeMax   = 1 << 20
)

func newBufPipe(start, max int) (*pipeReader, *pipeWriter) {
	p := &bufPipe{ring: make([]byte, start), max: max}
	p.readable.L, p.writable.L = &p.mu, &p.mu
	return &pipeReader{p}, &pipeWriter{p}
}

type pipeReader struct{ p *bufPipe }
type pipeWriter struct{ p *bufPipe }

// Read reads what is buffered; once the buffer is empty it returns the writer's close error
// (io.EOF for a plain close).
func (r *pipeReader) Read(b []byte) (int, error) {
	p := r.p
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.rerr != nil {
		return 0, io.ErrClosedPipe
	}
	for p.n == 0 {
		if p.rerr != nil {
			return 0, io.ErrClosedPipe
		}
		if p.werr != nil {
			return 0, p.werr
		}
		p.readable.Wait()
	}
	var done int
	for done < len(b) && p.n > 0 {
		end := min(p.start+p.n, len(p.ring))
		c := copy(b[done:], p.ring[p.start:end])
		done += c
		p.start, p.n = (p.start+c)%len(p.ring), p.n-c
	}
	if p.n == 0 {
		p.start = 0 // keep the next writes contiguous
	}
	p.writable.Signal()
	return done, nil
}

// CloseWithError makes the writer's current and later writes fail with err (io.ErrClosedPipe
// when nil).
func (r *pipeReader) CloseWithError(err error) error {
	if err == nil {
		err = io.ErrClosedPipe
	}
	p := r.p
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.rerr == nil {
		p.rerr = err
	}
	p.writable.Broadcast()
	p.readable.Broadcast()
	return nil
}

// Write copies b into the ring, waiting for room as needed.
func (w *pipeWriter) Write(b []byte) (int, error) {
	p := w.p
	p.mu.Lock()
	defer p.mu.Unlock()
	var done int
	for done < len(b) {
		if p.rerr != nil {
			return done, p.rerr
		}
		if p.werr != nil {
			return done, io.ErrClosedPipe
		}
		if p.n == len(p.ring) && len(p.ring) < p.max {
			p.grow()
		}
		if p.n == len(p.ring) {
			p.writable.Wait()
			continue
		}
		at := (p.start + p.n) % len(p.ring)
		end := len(p.ring)
		if at < p.start {
			end = p.start
		}
		c := copy(p.ring[at:end], b[done:])
		done += c
		p.n += c
		p.readable.Signal()
	}
	return done, nil
}

// grow doubles the ring, the unread bytes first.
func (p *bufPipe) grow() {
	ring := make([]byte, min(2*len(p.ring), p.max))
	c := copy(ring, p.ring[p.start:])
	copy(ring[c:], p.ring[:p.start])
	p.ring, p.start = ring, 0
}

// CloseWithError ends the stream: the reader gets err (io.EOF when nil) after the buffered
// data.
func (w *pipeWriter) CloseWithError(err error) error {
	if err == nil {
		err = io.EOF
	}
	p := w.p
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.werr == nil {
		p.werr = err
	}
	p.readable.Broadcast()
	return nil
}
