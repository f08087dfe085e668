package render

import (
	"bytes"
	"fmt"
	"net/netip"
	"regexp"
	"sort"
	"strings"
)

// refitColumns restores what Calico's printf layouts imply once addresses
// of another length were substituted: routes dump right-aligns the CIDR to
// 15 characters and sorts by address then prefix length; arp dump
// right-aligns the IP to 15 characters.
func refitColumns(key string, text []byte) []byte {
	if strings.HasSuffix(key, "-json") {
		return text
	}
	switch {
	case strings.HasPrefix(key, "routes-dump"):
		return fitRoutes(text)
	case strings.HasPrefix(key, "arp-dump"):
		return arpLine.ReplaceAllFunc(text, func(line []byte) []byte {
			m := arpLine.FindSubmatch(line)
			return []byte(fmt.Sprintf("dev %4s: %15s : %s", m[1], m[2], m[3]))
		})
	}
	return text
}

var (
	arpLine   = regexp.MustCompile(`(?m)^dev +(\d+): +(\S+) : (.*)$`)
	routeLine = regexp.MustCompile(`^ *(\S+): (.*)$`)
)

// fitRoutes re-pads and re-sorts "%15v: %s" route lines. Any line that is
// not a route (there are none in real output) keeps the text unchanged.
func fitRoutes(text []byte) []byte {
	type route struct {
		prefix netip.Prefix
		rest   string
	}
	lines := strings.Split(strings.TrimSuffix(string(text), "\n"), "\n")
	routes := make([]route, 0, len(lines))
	for _, l := range lines {
		m := routeLine.FindStringSubmatch(l)
		if m == nil {
			return text
		}
		p, err := netip.ParsePrefix(m[1])
		if err != nil {
			return text
		}
		routes = append(routes, route{p, m[2]})
	}
	sort.SliceStable(routes, func(i, j int) bool {
		if c := routes[i].prefix.Addr().Compare(routes[j].prefix.Addr()); c != 0 {
			return c < 0
		}
		return routes[i].prefix.Bits() < routes[j].prefix.Bits()
	})
	var b bytes.Buffer
	for _, r := range routes {
		fmt.Fprintf(&b, "%15v: %s\n", r.prefix, r.rest)
	}
	return b.Bytes()
}
