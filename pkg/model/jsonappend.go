package model

import (
	"net/netip"
	"strconv"
	"unicode/utf8"
)

// Hand-written JSON for the rows a dump can hold by the hundred thousand. encoding/json spends
// most of a big dump's time in reflection and allocation; these appenders write the same bytes
// that a json.Encoder with SetEscapeHTML(false) writes, which the tests check field by field.

// JSONAppender is a value that appends its own JSON encoding to a buffer.
type JSONAppender interface {
	AppendJSON(dst []byte) []byte
}

// AppendJSONString appends s as a JSON string, escaped as encoding/json does without HTML
// escaping: quotes, backslashes and control characters; invalid UTF-8 becomes U+FFFD; U+2028
// and U+2029 are escaped.
func AppendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		b := s[i]
		if b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '\\', '"':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
			}
			i++
			start = i
			continue
		}
		c, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case c == utf8.RuneError && size == 1:
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
		case c == '\u2028' || c == '\u2029':
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[c&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// JSON writer helpers: each appends `,"key":value` (the comma only after the first field).

// AppendJSONKey appends `"key":`, after a comma unless it opens the object (dst ends in '{').
// The key is written as it is: callers pass field names that need no escaping.
func AppendJSONKey(dst []byte, key string) []byte {
	if dst[len(dst)-1] != '{' {
		dst = append(dst, ',')
	}
	dst = append(dst, '"')
	dst = append(dst, key...)
	return append(dst, '"', ':')
}

func jsonUint(dst []byte, key string, v uint64) []byte {
	return strconv.AppendUint(AppendJSONKey(dst, key), v, 10)
}

func jsonInt(dst []byte, key string, v int64) []byte {
	return strconv.AppendInt(AppendJSONKey(dst, key), v, 10)
}

func jsonBool(dst []byte, key string, v bool) []byte {
	return strconv.AppendBool(AppendJSONKey(dst, key), v)
}

func jsonString(dst []byte, key, v string) []byte {
	return AppendJSONString(AppendJSONKey(dst, key), v)
}

// jsonAddr and jsonAddrPort write an address as MarshalText does: only an IPv6 zone, which
// is free text, can need escaping.
func jsonAddr(dst []byte, key string, a netip.Addr) []byte {
	if a.Zone() != "" {
		return jsonString(dst, key, a.String())
	}
	return append(a.AppendTo(append(AppendJSONKey(dst, key), '"')), '"')
}

func jsonAddrPort(dst []byte, key string, ap netip.AddrPort) []byte {
	if a := ap.Addr(); a.Is4() {
		// The common case, written in one go: "a.b.c.d:port" is at most 21 bytes.
		var buf [23]byte
		b := append(buf[:0], '"')
		for i, octet := range a.As4() {
			if i > 0 {
				b = append(b, '.')
			}
			b = appendUint8(b, octet)
		}
		b = append(strconv.AppendUint(append(b, ':'), uint64(ap.Port()), 10), '"')
		return append(AppendJSONKey(dst, key), b...)
	}
	if ap.Addr().Zone() != "" {
		b, _ := ap.MarshalText()
		return jsonString(dst, key, string(b))
	}
	return append(ap.AppendTo(append(AppendJSONKey(dst, key), '"')), '"')
}

// jsonWord writes one of the words our types print (entry types, protocol names, TCP states,
// durations): ASCII letters, digits, '.', '-' and 'µ', none of which JSON escapes.
func jsonWord(dst []byte, key, word string) []byte {
	dst = append(AppendJSONKey(dst, key), '"')
	dst = append(dst, word...)
	return append(dst, '"')
}

// appendUint8 is strconv.AppendUint for a byte.
func appendUint8(b []byte, x uint8) []byte {
	if x >= 100 {
		b = append(b, '0'+x/100)
	}
	if x >= 10 {
		b = append(b, '0'+x/10%10)
	}
	return append(b, '0'+x%10)
}
