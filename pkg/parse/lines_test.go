package parse

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
)

// chunkReader returns its data in reads of random sizes.
type chunkReader struct {
	b []byte
	r *rand.Rand
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(c.b) == 0 {
		return 0, io.EOF
	}
	n := min(len(p), len(c.b), 1+c.r.IntN(3000))
	copy(p, c.b[:n])
	c.b = c.b[n:]
	return n, nil
}

// TestLineReader compares the line reader with splitting the input on
// "\n": every line, with its number, without "\r\n", cut to max bytes and
// marked when longer, the last one marked when the newline is missing.
func TestLineReader(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var b strings.Builder
	for i := range 400 {
		n := []int{0, 1, 99, 100, 101, 5000, 70000}[r.IntN(7)]
		if i == 200 {
			n = 1_500_000 // longer than the largest buffer
		}
		b.WriteString(strings.Repeat(string(rune('a'+i%26)), n))
		b.WriteString([]string{"\n", "\r\n", "\r\r\n"}[r.IntN(3)])
	}
	b.WriteString("last line without a newline\r")
	input := b.String()

	for _, max := range []int{100, DefaultMaxLineBytes} {
		for name, rd := range map[string]func() io.Reader{
			"whole":  func() io.Reader { return strings.NewReader(input) },
			"chunks": func() io.Reader { return &chunkReader{b: []byte(input), r: rand.New(rand.NewPCG(5, 6))} },
		} {
			t.Run(fmt.Sprintf("%s max %d", name, max), func(t *testing.T) {
				lr := newLineReader(rd(), max)
				want := strings.Split(input, "\n")
				for i, w := range want {
					l, err := lr.next()
					if err != nil {
						t.Fatalf("line %d: %v", i+1, err)
					}
					cut := i == len(want)-1
					tooLong := len(w) > max
					wantB := strings.TrimSuffix(w, "\r")
					if tooLong {
						wantB = w[:max]
					}
					if l.num != i+1 || l.cut != cut || l.tooLong != tooLong || string(l.b) != wantB {
						t.Fatalf("line %d: got num %d cut %v tooLong %v len %d; want cut %v tooLong %v len %d",
							i+1, l.num, l.cut, l.tooLong, len(l.b), cut, tooLong, len(wantB))
					}
				}
				if _, err := lr.next(); !errors.Is(err, io.EOF) {
					t.Fatalf("after the last line: %v", err)
				}
			})
		}
	}
}

// TestLineReaderErrors: a read error comes after the whole lines read
// before it; a reader that returns nothing forever is an error too.
func TestLineReaderErrors(t *testing.T) {
	boom := errors.New("boom")
	lr := newLineReader(io.MultiReader(strings.NewReader("one\ntwo\nthr"), errReader{boom}), 100)
	for _, want := range []string{"one", "two"} {
		if l, err := lr.next(); err != nil || string(l.b) != want {
			t.Fatalf("got %q %v, want %q", l.b, err, want)
		}
	}
	if _, err := lr.next(); !errors.Is(err, boom) {
		t.Fatalf("got %v, want the read error", err)
	}
	lr = newLineReader(zeroReader{}, 100)
	if _, err := lr.next(); !errors.Is(err, io.ErrNoProgress) {
		t.Fatalf("got %v, want io.ErrNoProgress", err)
	}
	rest, _ := io.ReadAll(newLineReader(bytes.NewReader([]byte("a\nb\nc")), 100).rest())
	if string(rest) != "a\nb\nc" {
		t.Fatalf("rest %q", rest)
	}
}

type zeroReader struct{}

func (zeroReader) Read([]byte) (int, error) { return 0, nil }
