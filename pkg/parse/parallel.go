package parse

import (
	"bytes"
	"io"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Parallel decoding of large text dumps with one row per line.
//
// A decoder's text loop reads line by line and decides each line in order.
// For a large input it hands over to parallelText from time to time: that
// reads the input in chunks of whole lines and runs the kind's fast path (a
// pure function of the line) over the chunks on worker goroutines and on
// the caller's goroutine, which takes a chunk itself whenever it would
// otherwise wait. The caller's goroutine delivers the rows in input order,
// as the loop would have.
//
// The first line the fast path does not take (noise, an unknown field, a
// line too long, the last line without its newline, …) ends parallel mode:
// that line and everything read after it go back to the line reader, and
// the loop decides the line the usual way. So the rows, the report and the
// errors are the same with and without workers
// (TestParallelMatchesSequential). Memory stays bounded: a few chunks of
// input and their rows are in flight.
//
// Other processes may have the CPUs: a worker that has not finished a chunk
// after parallelTakeover is overtaken (the caller's goroutine parses the
// chunk itself), and when that happens often parallel mode ends.

var (
	// parallelWorkers is the number of worker goroutines besides the
	// caller's; 0 means GOMAXPROCS-1 (at most maxParallelWorkers); a
	// negative number turns parallel mode off.
	parallelWorkers = 0
	// parallelChunk is the size of a chunk of lines.
	parallelChunk = 64 << 10
	// parallelMinBuffer is the read buffer size that shows an input large
	// enough for parallel mode: the line reader grows its buffer to
	// readBufferSize once reads fill it.
	parallelMinBuffer = readBufferSize
	// parallelCooldown is the number of lines decoded one by one after
	// parallel mode ended before it may start again.
	parallelCooldown = 4096
	// parallelTakeover is how long the caller's goroutine waits for a
	// worker's chunk before it parses the chunk itself. When it has to do
	// that for more than one chunk in eight, parallel mode ends and does
	// not start again for parallelBackoff lines.
	parallelTakeover = 2 * time.Millisecond
	parallelBackoff  = 1 << 20
	// parallelRuns counts the times parallel mode ran, for tests.
	parallelRuns atomic.Int64
)

const maxParallelWorkers = 3

func workerCount() int {
	switch {
	case parallelWorkers < 0:
		return 0
	case parallelWorkers > 0:
		return parallelWorkers
	}
	return min(runtime.GOMAXPROCS(0)-1, maxParallelWorkers)
}

// parallelGate decides when a text loop hands over to parallelText: with
// a worker to spare, for a large input whose reader has more to give, no
// line handed back, and enough lines decoded one by one since the last
// time.
type parallelGate struct {
	wait int
}

func (g *parallelGate) ready(s *session) bool {
	if g.wait > 0 {
		g.wait--
		return false
	}
	g.wait = 64 // look again after this many lines
	lr := s.lr
	return s.pending == nil && lr.err == nil && len(lr.buf) >= parallelMinBuffer && workerCount() > 0
}

// lineChunk is whole input lines and what the fast path made of them.
type lineChunk[T any] struct {
	buf  []byte // capacity parallelChunk
	data []byte // buf[:n]: whole lines, each ending in '\n'
	rows []T
	nums []int32 // for each row, the index of its line in the chunk
	// taken is the length of the prefix of data the fast path took, lines
	// the number of lines in it. taken < len(data) means the line at
	// data[taken:] needs the sequential path.
	taken   int
	lines   int
	claimed atomic.Bool // a goroutine took the chunk
	dropped atomic.Bool // the caller's goroutine overtook the worker: stop
	// done receives one value when the fast path has run over the chunk.
	done chan struct{}
}

func newLineChunk[T any]() *lineChunk[T] {
	return &lineChunk[T]{buf: make([]byte, parallelChunk), done: make(chan struct{}, 1)}
}

// parallelText decodes lines with fast until the input ends, a line needs
// the sequential path, or fn fails. It returns fn's error; otherwise the
// line reader holds the rest of the input (with its read error, if any).
func parallelText[T any](s *session, g *parallelGate, fn func(T) error, fast func(line []byte, row *T) bool) error {
	parallelRuns.Add(1)
	lr := s.lr
	g.wait = parallelCooldown
	workers := workerCount()
	inflight := 2*workers + 2
	// A chunk the caller's goroutine took can still be in the channel when
	// it is filled and sent again; workers skip chunks already taken.
	todo := make(chan *lineChunk[T], inflight)
	var stop atomic.Bool
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range todo {
				if c.claimed.CompareAndSwap(false, true) {
					fastChunk(c, lr.max, &stop, fast)
					c.done <- struct{}{}
				}
			}
		}()
	}
	finished := false
	finish := func() {
		if !finished {
			finished = true
			stop.Store(true)
			close(todo)
			wg.Wait()
		}
	}
	defer finish() // also when fn panics

	// The source: the bytes the line reader holds, then its reader. The
	// line reader gets a new buffer when parallel mode ends.
	src := &chunkSource{held: lr.buf[lr.off:lr.end], r: lr.r}
	lr.buf, lr.off, lr.end = nil, 0, 0
	carry := make([]byte, 0, parallelChunk)
	var readErr error
	exhausted := false // no more chunks: readErr is set, or a line does not fit one
	fill := func(c *lineChunk[T]) bool {
		if exhausted {
			return false
		}
		n := copy(c.buf, carry)
		for n < len(c.buf) && readErr == nil {
			var m int
			m, readErr = src.Read(c.buf[n:])
			n += m
		}
		end := bytes.LastIndexByte(c.buf[:n], '\n') + 1
		carry = append(carry[:0], c.buf[end:n]...)
		if readErr != nil || end == 0 {
			exhausted = true
		}
		if end == 0 {
			return false
		}
		c.data = c.buf[:end]
		c.rows, c.nums = c.rows[:0], c.nums[:0]
		c.claimed.Store(false)
		return true
	}
	// back gives data and what the source has not handed out to the line
	// reader, which goes on with its reader (or the reader's error).
	back := func(data []byte, base int) {
		lr.restart(append(append(data, carry...), src.unread()...), base, src.err)
	}

	var free, queue []*lineChunk[T]
	for range inflight {
		free = append(free, newLineChunk[T]())
	}
	refill := func() {
		for len(free) > 0 {
			c := free[len(free)-1]
			if !fill(c) {
				return
			}
			free = free[:len(free)-1]
			queue = append(queue, c)
			select {
			case todo <- c:
			default: // workers are behind: the chunk is left to help
			}
		}
	}
	// help takes the first chunk no goroutine has taken yet, if any.
	help := func() bool {
		for _, c := range queue {
			if c.claimed.CompareAndSwap(false, true) {
				fastChunk(c, lr.max, &stop, fast)
				c.done <- struct{}{}
				return true
			}
		}
		return false
	}

	refill()
	base := lr.n // number of the last line delivered
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	var spare *lineChunk[T] // for chunks taken over from a worker
	var delivered, takeovers int
	for len(queue) > 0 {
		head := queue[0]
		c := head
	wait:
		for {
			select {
			case <-head.done:
				break wait
			default:
				if help() {
					continue
				}
			}
			// The head is a worker's. A chunk takes a fraction of a
			// millisecond; a worker that is not done after
			// parallelTakeover has most likely lost its CPU to another
			// process: parse the chunk here rather than wait for it.
			timer.Reset(parallelTakeover)
			select {
			case <-head.done:
				timer.Stop() // Go 1.23 timers: no stale tick to drain
				break wait
			case <-timer.C:
			}
			if spare == nil {
				spare = &lineChunk[T]{}
			}
			spare.data = head.data
			spare.rows, spare.nums = spare.rows[:0], spare.nums[:0]
			head.dropped.Store(true)
			fastChunk(spare, lr.max, &stop, fast)
			c = spare
			takeovers++
			// The worker still writes to head: a new chunk takes its place.
			queue[0] = newLineChunk[T]()
			break
		}
		delivered++
		for k := range c.rows {
			s.rep.Lines = base + int(c.nums[k]) + 1
			if err := emit(s, fn, c.rows[k]); err != nil {
				finish()
				return err
			}
		}
		base += c.lines
		s.rep.Lines = base
		if c.taken < len(c.data) {
			finish()
			rest := append([]byte(nil), c.data[c.taken:]...)
			for _, d := range queue[1:] {
				rest = append(rest, d.data...)
			}
			back(rest, base)
			return nil
		}
		done := queue[0]
		queue = append(queue[:0], queue[1:]...)
		if takeovers >= 4 && takeovers*8 > delivered {
			// The workers do not keep up, most likely because other
			// processes have the CPUs: go on one line at a time.
			finish()
			var rest []byte
			for _, d := range queue {
				rest = append(rest, d.data...)
			}
			back(rest, base)
			g.wait = parallelBackoff
			return nil
		}
		free = append(free, done)
		refill()
	}
	finish()
	back(nil, base)
	return nil
}

// fastChunk runs fast over the lines of c until one it does not take,
// seeing them as the sequential loop does: without "\r\n", trimmed, blank
// lines skipped, lines over max bytes left to the sequential path.
func fastChunk[T any](c *lineChunk[T], maxLine int, stop *atomic.Bool, fast func([]byte, *T) bool) {
	data := c.data
	off, line := 0, 0
	for off < len(data) && !stop.Load() && !c.dropped.Load() {
		i := bytes.IndexByte(data[off:], '\n')
		if i > maxLine {
			break
		}
		if b := trimSpace(dropCR(data[off : off+i])); len(b) > 0 {
			k := len(c.rows)
			if k == cap(c.rows) {
				c.rows = slices.Grow(c.rows, max(256, k))
			}
			c.rows = c.rows[:k+1]
			if !fast(b, &c.rows[k]) {
				c.rows = c.rows[:k]
				break
			}
			c.nums = append(c.nums, int32(line))
		}
		off += i + 1
		line++
	}
	c.taken, c.lines = off, line
}

// chunkSource is what parallel mode reads: the bytes the line reader held,
// then its reader, straight into the chunks.
type chunkSource struct {
	held  []byte
	r     io.Reader
	err   error // the reader's, once it returned one
	zeros int   // reads in a row that returned nothing
}

func (cs *chunkSource) Read(p []byte) (int, error) {
	if len(cs.held) > 0 {
		n := copy(p, cs.held)
		cs.held = cs.held[n:]
		return n, nil
	}
	if cs.err != nil {
		return 0, cs.err
	}
	n, err := cs.r.Read(p)
	if n < 0 || n > len(p) {
		n, err = 0, errInvalidCount
	}
	if cs.zeros++; n > 0 {
		cs.zeros = 0
	} else if err == nil && cs.zeros >= 100 {
		err = io.ErrNoProgress
	}
	cs.err = err
	return n, err
}

// unread returns what the line reader held and was not handed out.
func (cs *chunkSource) unread() []byte { return cs.held }

// restart makes the line reader go on with data (whole and partial lines
// that were read but not decoded), then its reader, or err if the reader
// returned one. n is the number of the last line decoded.
func (lr *lineReader) restart(data []byte, n int, err error) {
	lr.buf = make([]byte, max(len(data), minReadBufferSize))
	lr.off, lr.end = 0, copy(lr.buf, data)
	lr.n = n
	lr.err = err
}
