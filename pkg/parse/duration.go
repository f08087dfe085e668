package parse

import "time"

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
		unit, ok := durationUnit(b[:j])
		if !ok {
			return 0, false
		}
		b = b[j:]
		if v > (1<<63)/unit {
			return 0, false
		}
		v *= unit
		if frac > 0 {
			v += uint64(float64(frac) * (float64(unit) / scale))
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

func durationUnit(u []byte) (uint64, bool) {
	switch string(u) {
	case "ns":
		return uint64(time.Nanosecond), true
	case "us", "µs", "μs":
		return uint64(time.Microsecond), true
	case "ms":
		return uint64(time.Millisecond), true
	case "s":
		return uint64(time.Second), true
	case "m":
		return uint64(time.Minute), true
	case "h":
		return uint64(time.Hour), true
	}
	return 0, false
}
