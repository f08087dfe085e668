package cmd

import (
	"errors"
	"testing"
)

func TestPrintStageKeepsOrderAndStopsOnError(t *testing.T) {
	var got []int
	s := newPrintStage(func(_ string, row *int) error {
		got = append(got, *row)
		return nil
	})
	for i := 0; i < 1000; i++ {
		if err := s.add("n", i); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.close(); err != nil || len(got) != 1000 {
		t.Fatalf("close: %v, %d rows", err, len(got))
	}
	for i, v := range got {
		if v != i {
			t.Fatalf("row %d is %d", i, v)
		}
	}

	boom := errors.New("write: broken pipe")
	calls := 0
	s = newPrintStage(func(string, *int) error { calls++; return boom })
	var addErr error
	for i := 0; i < 100*stageBatch && addErr == nil; i++ {
		addErr = s.add("n", i)
	}
	if err := s.close(); !errors.Is(err, boom) || !errors.Is(addErr, boom) || calls != 1 {
		t.Errorf("close %v, add %v, %d calls after the error", err, addErr, calls)
	}
}
