package cmd

import "sync"

// printStage runs the printing half of a live dump (annotate, encode, write) on its own
// goroutine, so that it overlaps with decoding: on a big dump each half is about half of the
// work, and one goroutine doing both was what held the exec stream back. Rows go over in
// batches, in order; the stage's first error is returned to the next add, which stops the
// decoder as a synchronous sink's error did.
//
// T is the rows' type: model.ConntrackEntry for the bulk of a big dump, which then travels by
// value in reused batches (no allocation per row), or any for the other kinds. fn gets a
// pointer into the batch, valid until it returns: what it keeps, it copies.
type printStage[T any] struct {
	fn      func(node string, row *T) error
	batches chan []stagedRow[T]
	done    chan struct{}
	batch   []stagedRow[T]

	mu  sync.Mutex
	err error
	// free are the printed batches, reused last in first out: the most recently written
	// memory is the most likely to be in the cache still.
	free [][]stagedRow[T]
}

type stagedRow[T any] struct {
	node string
	row  T
}

// stageBatch rows go over at a time; stageDepth batches may wait. The depth lets decoding go
// on while the index is still being listed (the first rows wait for it): 16k rows, a few MB,
// which bounds the memory. Printed batches are reused.
const (
	stageBatch = 256
	stageDepth = 64
)

func newPrintStage[T any](fn func(node string, row *T) error) *printStage[T] {
	s := &printStage[T]{
		fn:      fn,
		batches: make(chan []stagedRow[T], stageDepth),
		done:    make(chan struct{}),
	}
	go s.run()
	return s
}

func (s *printStage[T]) run() {
	defer close(s.done)
	var err error // only this goroutine sets s.err
	for b := range s.batches {
		for i := range b {
			if err != nil {
				break // drain: the decoders stop at their next add
			}
			if err = s.fn(b[i].node, &b[i].row); err != nil {
				s.mu.Lock()
				s.err = err
				s.mu.Unlock()
			}
		}
		s.mu.Lock()
		s.free = append(s.free, b[:0])
		s.mu.Unlock()
	}
}

func (s *printStage[T]) failed() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// add queues a row. Calls must be serialised (the Collector's sink is).
func (s *printStage[T]) add(node string, row T) error {
	if len(s.batch) == 0 {
		// Once a batch: the stage's error stops the decoder within a batch of rows.
		if err := s.failed(); err != nil {
			return err
		}
	}
	s.batch = append(s.batch, stagedRow[T]{node, row})
	if len(s.batch) == stageBatch {
		s.flush()
	}
	return nil
}

func (s *printStage[T]) flush() {
	if len(s.batch) == 0 {
		return
	}
	s.batches <- s.batch
	s.batch = nil
	s.mu.Lock()
	if n := len(s.free); n > 0 {
		s.batch, s.free = s.free[n-1], s.free[:n-1]
	}
	s.mu.Unlock()
	if s.batch == nil {
		s.batch = make([]stagedRow[T], 0, stageBatch)
	}
}

// close prints what is queued and returns the stage's error.
func (s *printStage[T]) close() error {
	s.flush()
	close(s.batches)
	<-s.done
	return s.err
}
