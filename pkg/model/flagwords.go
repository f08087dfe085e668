package model

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// flagWord names one bit of a flag set.
type flagWord[T ~uint32] struct {
	bit  T
	word string
}

// wordsOf lists the words of the set bits in table order. Bits the table does
// not know are listed as one hex word ("0x30") so that nothing is lost.
func wordsOf[T ~uint32](v T, table []flagWord[T]) []string {
	var out []string
	var known T
	for _, fw := range table {
		known |= fw.bit
		if v&fw.bit != 0 {
			out = append(out, fw.word)
		}
	}
	if rest := v &^ known; rest != 0 {
		out = append(out, "0x"+strconv.FormatUint(uint64(rest), 16))
	}
	return out
}

// bitOf returns the bit named by word, accepting the hex spelling wordsOf uses
// for unknown bits.
func bitOf[T ~uint32](word string, table []flagWord[T]) (T, bool) {
	for _, fw := range table {
		if fw.word == word {
			return fw.bit, true
		}
	}
	if hex, ok := strings.CutPrefix(word, "0x"); ok {
		n, err := strconv.ParseUint(hex, 16, 32)
		if err == nil {
			return T(n), true
		}
	}
	return 0, false
}

// marshalWords writes the words as a JSON array, or null when there are none
// (Calico encodes empty flag slices as null).
func marshalWords(words []string) ([]byte, error) {
	if len(words) == 0 {
		return []byte("null"), nil
	}
	return json.Marshal(words)
}

// unmarshalWords reads a JSON array of words (or null) into a bit set.
func unmarshalWords[T ~uint32](b []byte, table []flagWord[T], what string) (T, error) {
	var words []string
	if err := json.Unmarshal(b, &words); err != nil {
		return 0, fmt.Errorf("decode %s flags: %w", what, err)
	}
	var v T
	for _, w := range words {
		bit, ok := bitOf(w, table)
		if !ok {
			return 0, fmt.Errorf("decode %s flags: unknown word %q", what, w)
		}
		v |= bit
	}
	return v, nil
}

// bitOfBytes is bitOf for a word still in the input buffer; comparing
// string(word) with a constant does not allocate, so decoders call it per line.
func bitOfBytes[T ~uint32](word []byte, table []flagWord[T]) (T, bool) {
	for _, fw := range table {
		if string(word) == fw.word {
			return fw.bit, true
		}
	}
	if len(word) > 2 && word[0] == '0' && word[1] == 'x' {
		return bitOf(string(word), table)
	}
	return 0, false
}
