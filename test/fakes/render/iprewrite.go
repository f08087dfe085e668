package render

import (
	"fmt"
	"net/netip"
	"sort"
)

// ipRewriter replaces whole IP addresses in text, in one pass (so a map that
// swaps two addresses works). An address only matches where it stands
// alone: 10.65.0.5 does not match inside 10.65.0.50, 110.65.0.5 or
// fd00::10.65.0.5, but does in "10.65.0.5:5353", "10.65.0.5/32",
// "[fd00::5]:53", "\"10.65.0.5\"" and "OrigDst:10.65.0.5".
type ipRewriter struct {
	byFirstByte map[byte][]ipPair // longest first, so fd00::5:1 beats fd00::5
}

type ipPair struct {
	from, to string
	v6       bool
}

// newIPRewriter checks the map (both sides must be addresses of one family,
// or the rewritten text would break formats such as "[v6]:port") and also
// matches each key's canonical spelling, which is how Calico prints it.
func newIPRewriter(m map[string]string) (*ipRewriter, error) {
	to := map[string]string{}
	for k, v := range m {
		from, err := netip.ParseAddr(k)
		if err != nil {
			return nil, fmt.Errorf("IP map key %q: %w", k, err)
		}
		dst, err := netip.ParseAddr(v)
		if err != nil {
			return nil, fmt.Errorf("IP map value %q for %q: %w", v, k, err)
		}
		if from.Is4() != dst.Is4() {
			return nil, fmt.Errorf("IP map %q → %q: address families differ", k, v)
		}
		for _, spelling := range []string{k, from.String()} {
			if prev, dup := to[spelling]; dup && prev != dst.String() {
				return nil, fmt.Errorf("IP map: %q is mapped to both %q and %q", spelling, prev, dst.String())
			}
			to[spelling] = dst.String()
		}
	}
	r := &ipRewriter{byFirstByte: map[byte][]ipPair{}}
	for from, dst := range to {
		addr, _ := netip.ParseAddr(from)
		r.byFirstByte[from[0]] = append(r.byFirstByte[from[0]], ipPair{from: from, to: dst, v6: !addr.Is4()})
	}
	for _, pairs := range r.byFirstByte {
		sort.Slice(pairs, func(i, j int) bool {
			if len(pairs[i].from) != len(pairs[j].from) {
				return len(pairs[i].from) > len(pairs[j].from)
			}
			return pairs[i].from < pairs[j].from
		})
	}
	return r, nil
}

// Rewrite returns text with every standalone mapped address replaced.
func (r *ipRewriter) Rewrite(text []byte) []byte {
	if r == nil || len(r.byFirstByte) == 0 {
		return text
	}
	out := make([]byte, 0, len(text))
	for i := 0; i < len(text); {
		if pair, ok := r.matchAt(text, i); ok {
			out = append(out, pair.to...)
			i += len(pair.from)
			continue
		}
		out = append(out, text[i])
		i++
	}
	return out
}

func (r *ipRewriter) matchAt(text []byte, i int) (ipPair, bool) {
	pairs := r.byFirstByte[text[i]]
	if len(pairs) == 0 || !leftBoundary(text, i) {
		return ipPair{}, false
	}
	for _, p := range pairs {
		end := i + len(p.from)
		if end <= len(text) && string(text[i:end]) == p.from && rightBoundary(text, end, p.v6) {
			return p, true
		}
	}
	return ipPair{}, false
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isHex(c byte) bool   { return isDigit(c) || (c|0x20 >= 'a' && c|0x20 <= 'f') }
func isAlnum(c byte) bool { return isDigit(c) || (c|0x20 >= 'a' && c|0x20 <= 'z') || c == '_' }

// addrChar: characters that continue an address or a word it is glued to.
func addrChar(c byte) bool { return isAlnum(c) || c == '.' || c == ':' }

// leftBoundary: nothing address-like before i, except a "Label:" prefix as
// in Calico's Go struct dumps (OrigDst:10.96.0.1, ClientIP:10.65.0.5). A
// label is told from an IPv6 group by having a non-hex letter.
func leftBoundary(text []byte, i int) bool {
	if i == 0 || !addrChar(text[i-1]) {
		return true
	}
	if text[i-1] != ':' {
		return false
	}
	j := i - 2
	for j >= 0 && isAlnum(text[j]) {
		j--
	}
	word := text[j+1 : i-1]
	for _, c := range word {
		if !isHex(c) {
			return true
		}
	}
	return false
}

// rightBoundary: nothing address-like after end, except a sentence's full
// stop, a label colon ("10.65.0.5: …") or a ":port" suffix. An IPv6 address
// followed by ":digits/" is a longer address in a route, not a port.
func rightBoundary(text []byte, end int, v6 bool) bool {
	if end == len(text) || !addrChar(text[end]) {
		return true
	}
	switch text[end] {
	case '.':
		return end+1 == len(text) || !isAlnum(text[end+1])
	case ':':
		k := end + 1
		for k < len(text) && isDigit(text[k]) {
			k++
		}
		if k == end+1 { // no port digits
			return k == len(text) || !addrChar(text[k])
		}
		if k == len(text) {
			return true
		}
		if v6 && text[k] == '/' {
			return false
		}
		return !addrChar(text[k]) || (text[k] == '.' && (k+1 == len(text) || !isAlnum(text[k+1])))
	}
	return false
}
