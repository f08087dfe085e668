package collect

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"testing"
	"time"
)

// TestBufPipeCarriesTheStream: every byte arrives in order, through a ring smaller than the
// stream and writes larger than the ring, then the writer's close error.
func TestBufPipeCarriesTheStream(t *testing.T) {
	want := make([]byte, 1<<20)
	r := rand.New(rand.NewPCG(7, 8))
	for i := range want {
		want[i] = byte(r.Uint32())
	}
	boom := errors.New("stream broke")
	pr, pw := newBufPipe(512, 4096)
	go func() {
		rest := want
		for len(rest) > 0 {
			n := min(len(rest), 1+r.IntN(10000))
			if _, err := pw.Write(rest[:n]); err != nil {
				t.Error(err)
			}
			rest = rest[n:]
		}
		pw.CloseWithError(boom)
	}()
	var got bytes.Buffer
	buf := make([]byte, 3000)
	for {
		n, err := pr.Read(buf)
		got.Write(buf[:n])
		if err != nil {
			if err != boom {
				t.Fatalf("read error %v, want the writer's", err)
			}
			break
		}
	}
	if !bytes.Equal(got.Bytes(), want) {
		t.Fatalf("got %d bytes, not the %d written", got.Len(), len(want))
	}
}

// TestBufPipeReaderCloseUnblocksTheWriter: a decoder that stops reading releases the exec,
// whose writes then fail with the reader's error, as with io.Pipe.
func TestBufPipeReaderCloseUnblocksTheWriter(t *testing.T) {
	pr, pw := newBufPipe(16, 16)
	stop := errors.New("stopped")
	done := make(chan error)
	go func() {
		_, err := pw.Write(make([]byte, 100)) // more than the ring holds
		done <- err
	}()
	time.Sleep(10 * time.Millisecond)
	pr.CloseWithError(stop)
	select {
	case err := <-done:
		if err != stop {
			t.Errorf("write error %v, want %v", err, stop)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the writer stayed blocked")
	}
	if _, err := pr.Read(make([]byte, 1)); err != io.ErrClosedPipe {
		t.Errorf("read after close: %v", err)
	}
	// A plain close of the writer reads as EOF once the data is out.
	pr, pw = newBufPipe(16, 16)
	pw.Write([]byte("abc"))
	pw.CloseWithError(nil)
	if b, err := io.ReadAll(pr); err != nil || string(b) != "abc" {
		t.Errorf("ReadAll = %q, %v", b, err)
	}
}
