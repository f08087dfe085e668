package parse

import (
	"errors"
	"io"
	"iter"
)

// errStopped ends a decoder when the consumer of All stops iterating.
var errStopped = errors.New("iteration stopped")

// All turns a decoder into an iterator. It yields each row with a nil
// error, and a final zero row with the error if decoding failed. When rep is
// not nil it receives the report once decoding ends. Breaking out of the
// loop stops the decoder; no goroutine is involved.
//
//	for e, err := range parse.All(parse.Conntrack, r, parse.Options{}, &rep) { … }
func All[T any](dec Decoder[T], r io.Reader, opts Options, rep *Report) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		stopped := false
		report, err := dec(r, opts, func(row T) error {
			if !yield(row, nil) {
				stopped = true
				return errStopped
			}
			return nil
		})
		if rep != nil {
			*rep = report
		}
		if err != nil && !stopped {
			var zero T
			yield(zero, err)
		}
	}
}
