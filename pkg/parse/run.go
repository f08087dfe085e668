package parse

// run skips leading noise, detects the format and hands over to the JSON or
// the text decoder of a kind.
func (s *session) run(jsonDecode func(first []byte) error, textDecode func() error) error {
	format, first, err := s.start()
	if err != nil {
		return err
	}
	if format == FormatJSON {
		return jsonDecode(first)
	}
	return textDecode()
}

// eachLine is the text loop of kinds with one row per line: parse fills
// the whole row from a line or reports that the line is not a row.
func eachLine[T any](s *session, fn func(T) error, parse func(line []byte, row *T) bool) error {
	var row T // outside the loop: through the func value it escapes, once
	for {
		line, num, ok, err := s.next()
		if err != nil || !ok {
			return err
		}
		if parse(line, &row) {
			if err := emit(s, fn, row); err != nil {
				return err
			}
			continue
		}
		if err := s.other(line, num); err != nil {
			return err
		}
	}
}

// jsonRows decodes JSON rows that need no fixing up.
func jsonRows[T any](s *session, fn func(T) error) func(first []byte) error {
	return func(first []byte) error {
		return decodeJSON(s, first, func(v *T) error { return emit(s, fn, *v) })
	}
}
