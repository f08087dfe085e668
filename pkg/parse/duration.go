package parse

import (
	"encoding/binary"
	"time"
)

// parseDuration reads what time.Duration.String writes ("1m4.11277541s",
// "850ms", "12.345µs", "0s", "-3s") without converting b to a string. It
// accepts the same language as time.ParseDuration (the fuzz test checks).
func parseDuration(b []byte) (time.Duration, bool) {
	neg := false
	if len(b) > 0 && (b[0] == '-' || b[0] == '+') {
		neg = b[0] == '-'
		b = b[1:]
	}
	if len(b) == 1 && b[0] == '0' {
		return 0, true
	}
	if len(b) == 0 {
		return 0, false
	}
	var total uint64
	for len(b) > 0 {
		// integer part
		i := 0
		var v uint64
		for i < len(b) && '0' <= b[i] && b[i] <= '9' {
			if v > (1<<63)/10 {
				return 0, false
			}
			v = v*10 + uint64(b[i]-'0')
			if v > 1<<63 {
				return 0, false
			}
			i++
		}
		pre := i > 0
		// fraction, accumulated exactly as time.ParseDuration's leadingFraction
		var frac uint64
		scale := 1.0
		fracDigits := 0 // digits accumulated in frac: scale is 10^fracDigits
		post := false
		if i < len(b) && b[i] == '.' {
			i++
			start := i
			overflow := false
			for ; i < len(b) && '0' <= b[i] && b[i] <= '9'; i++ {
				if overflow {
					continue
				}
				if frac > (1<<63-1)/10 {
					overflow = true
					continue
				}
				y := frac*10 + uint64(b[i]-'0')
				if y > 1<<63 {
					overflow = true
					continue
				}
				frac = y
				scale *= 10
				fracDigits++
			}
			post = i > start
		}
		if !pre && !post {
			return 0, false
		}
		b = b[i:]
		// unit
		j := 0
		for j < len(b) && b[j] != '.' && (b[j] < '0' || b[j] > '9') {
			j++
		}
		unit, zeros, ok := durationUnit(b[:j])
		if !ok {
			return 0, false
		}
		b = b[j:]
		if v > (1<<63)/unit {
			return 0, false
		}
		v *= unit
		if frac > 0 {
			if fracDigits <= zeros {
				// unit/scale is a whole number and frac*unit/scale < unit <
				// 2^53, so the float expression below is exact: this is
				// the same value without the float arithmetic.
				v += frac * (unit / pow10[zeros]) * pow10[zeros-fracDigits]
			} else {
				v += uint64(float64(frac) * (float64(unit) / scale))
			}
			if v > 1<<63 {
				return 0, false
			}
		}
		total += v
		if total > 1<<63 {
			return 0, false
		}
	}
	if total > 1<<63-1 {
		if neg && total == 1<<63 {
			return time.Duration(-1 << 63), true
		}
		return 0, false
	}
	if neg {
		return -time.Duration(total), true
	}
	return time.Duration(total), true
}

// durationUnit returns a unit's nanoseconds and the number of decimal
// zeros they end in.
func durationUnit(u []byte) (unit uint64, zeros int, ok bool) {
	switch string(u) {
	case "ns":
		return uint64(time.Nanosecond), 0, true
	case "us", "µs", "μs":
		return uint64(time.Microsecond), 3, true
	case "ms":
		return uint64(time.Millisecond), 6, true
	case "s":
		return uint64(time.Second), 9, true
	case "m":
		return uint64(time.Minute), 10, true
	case "h":
		return uint64(time.Hour), 11, true
	}
	return 0, 0, false
}

var pow10 = [...]uint64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11}

// parseDurationAt reads the duration that starts at line[i] and ends at the
// next space or the end of the line, and returns the index after it. It
// takes what time.Duration.String writes in one pass, in integers, and
// leaves anything else (signs, long numbers, fractions finer than the
// nanosecond) to parseDuration, so it accepts the same language. A tab in
// the field fails it: the fast paths give such lines to the general parsers.
func parseDurationAt(line []byte, i int) (time.Duration, int, bool) {
	var total uint64
	j := i
	for {
		// Whole part: up to six digits, so that v*unit cannot overflow.
		start := j
		var v uint64
		for j < len(line) && j-start < 7 {
			d := line[j] - '0'
			if d > 9 {
				break
			}
			v = v*10 + uint64(d)
			j++
		}
		whole := j - start
		var frac uint64
		fracDigits := 0
		if j < len(line) && line[j] == '.' {
			j++
			fs := j
			if len(line)-j >= 8 { // nanoseconds: eight digits at once
				if w := binary.LittleEndian.Uint64(line[j:]); eightDigits(w) {
					frac, j = parseEightDigits(w), j+8
				}
			}
			for j < len(line) && j-fs < 12 {
				d := line[j] - '0'
				if d > 9 {
					break
				}
				frac = frac*10 + uint64(d)
				j++
			}
			fracDigits = j - fs
		}
		if whole == 0 && fracDigits == 0 || whole > 6 || j >= len(line) {
			return parseDurationField(line, i)
		}
		// unit = mant * 10^zeros
		var unit, mant uint64
		var zeros int
		switch c := line[j]; {
		case c == 's':
			unit, mant, zeros, j = uint64(time.Second), 1, 9, j+1
		case c == 'm' && j+1 < len(line) && line[j+1] == 's':
			unit, mant, zeros, j = uint64(time.Millisecond), 1, 6, j+2
		case c == 'm':
			unit, mant, zeros, j = uint64(time.Minute), 6, 10, j+1
		case c == 'h':
			unit, mant, zeros, j = uint64(time.Hour), 36, 11, j+1
		default:
			return parseDurationField(line, i)
		}
		if fracDigits > zeros {
			return parseDurationField(line, i)
		}
		// frac/10^fracDigits of the unit, exactly (see parseDuration).
		total += v*unit + frac*mant*pow10[zeros-fracDigits]
		if total > 1<<62 {
			return parseDurationField(line, i)
		}
		if j == len(line) || line[j] == ' ' {
			return time.Duration(total), j, true
		}
		if c := line[j]; c != '.' && (c < '0' || c > '9') {
			return parseDurationField(line, i) // "1msx", "5µs", …
		}
	}
}

// parseDurationField is parseDurationAt the careful way.
func parseDurationField(line []byte, i int) (time.Duration, int, bool) {
	j := i
	for j < len(line) && line[j] != ' ' {
		if line[j] == '\t' {
			return 0, 0, false
		}
		j++
	}
	d, ok := parseDuration(line[i:j])
	return d, j, ok
}
