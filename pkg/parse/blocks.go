package parse

// readBlocks reads tc's records: a header line followed by indented lines that belong to it
// (qdisc statistics, filter actions), each record emitted when the next header or the end of
// the input arrives. header reports whether a line is a header and returns its row, or nil
// when the header starts no row (it has then skipped or warned about the line itself); more
// adds a line to the current row and reports whether it did. Other lines go to the session.
func readBlocks[T any](s *session, fn func(T) error, header func(line []byte, num int) (*T, bool), more func(line []byte, cur *T) bool) error {
	var cur *T
	flush := func() error {
		if cur == nil {
			return nil
		}
		row := *cur
		cur = nil
		return emit(s, fn, row)
	}
	for {
		line, num, ok, err := s.next()
		if err != nil {
			return err
		}
		if !ok {
			return flush()
		}
		if row, isHeader := header(line, num); isHeader {
			if err := flush(); err != nil {
				return err
			}
			cur = row
			continue
		}
		if cur != nil && more(line, cur) {
			continue
		}
		if err := s.other(line, num); err != nil {
			return err
		}
	}
}
