package cmd

import "sync"

// printStage runs the printing half of a live dump (annotate, encode, write) on its own
// goroutine, so that it overlaps with decoding: on a big dump each half is about half of the
// work, and one goroutine doing both was what held the exec stream back. Rows go over in
// batches, in order; the stage's first error is returned to the next add, which stops the
// decoder as a synchronous sink's error did.
type printStage struct {
	fn      func(node string, row any) error
	batches chan []stagedRow
	done    chan struct{}
	batch   []stagedRow

	mu  sync.Mutex
	err error
}

type stagedRow struct {
	node string
	row  any
}

// stageBatch rows go over at a time; stageDepth batches may wait. The depth lets decoding go
// on while the index is still being listed (the first rows wait for it): 16k rows, a few MB,
// which bounds the memory.
const (
	stageBatch = 256
	stageDepth = 64
)

func newPrintStage(fn func(node string, row any) error) *printStage {
	s := &printStage{fn: fn, batches: make(chan []stagedRow, stageDepth), done: make(chan struct{})}
	go s.run()
	return s
}

func (s *printStage) run() {
	defer close(s.done)
	for b := range s.batches {
		for _, r := range b {
			if s.failed() != nil {
				break // drain: the decoders stop at their next add
			}
			if err := s.fn(r.node, r.row); err != nil {
				s.mu.Lock()
				s.err = err
				s.mu.Unlock()
			}
		}
	}
}

func (s *printStage) failed() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// add queues a row. Calls must be serialised (the Collector's sink is).
func (s *printStage) add(node string, row any) error {
	if err := s.failed(); err != nil {
		return err
	}
	s.batch = append(s.batch, stagedRow{node, row})
	if len(s.batch) == stageBatch {
		s.flush()
	}
	return nil
}

func (s *printStage) flush() {
	if len(s.batch) > 0 {
		s.batches <- s.batch
		s.batch = make([]stagedRow, 0, stageBatch)
	}
}

// close prints what is queued and returns the stage's error.
func (s *printStage) close() error {
	s.flush()
	close(s.batches)
	<-s.done
	return s.err
}
