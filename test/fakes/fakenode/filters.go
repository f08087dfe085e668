package fakenode

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"regexp"
	"strconv"
	"strings"

	"github.com/calico-ebpf/kubectl-calico-ebpf/test/fakes/calicobpf"
	"github.com/calico-ebpf/kubectl-calico-ebpf/test/fakes/calver"
)

// natFilter is "nat dump <ip> <port> <proto>" (v3.31.5+). Calico prints
// every frontend of the matching service (same service ID), which is what
// the fixture nat-dump-filter shows: the ClusterIP and its NodePorts.
type natFilter struct {
	addr  netip.Addr
	port  int
	proto int
}

var protoNumbers = map[string]int{"tcp": 6, "udp": 17, "sctp": 132}

func parseNATFilter(args []string) (natFilter, error) {
	if len(args) != 3 {
		return natFilter{}, fmt.Errorf("expected 0 or 3 arguments (<ip> <port> <proto>), got %d", len(args))
	}
	var f natFilter
	var err error
	if f.addr, err = netip.ParseAddr(args[0]); err != nil {
		return natFilter{}, fmt.Errorf("invalid IP %q", args[0])
	}
	if f.port, err = strconv.Atoi(args[1]); err != nil || f.port < 0 || f.port > 65535 {
		return natFilter{}, fmt.Errorf("invalid port %q", args[1])
	}
	proto, known := protoNumbers[strings.ToLower(args[2])]
	if !known {
		if proto, err = strconv.Atoi(args[2]); err != nil {
			return natFilter{}, fmt.Errorf("invalid protocol %q", args[2])
		}
	}
	f.proto = proto
	return f, nil
}

func (f natFilter) matches(addr string, port, proto int) bool {
	a, err := netip.ParseAddr(addr)
	return err == nil && a == f.addr && port == f.port && proto == f.proto
}

func (p *proc) natDumpFiltered(v calver.Version, res calicobpf.Result, key string) int {
	filter, err := parseNATFilter(res.Args)
	if err != nil {
		fmt.Fprintf(p.stderr, "Error: %v\n", err)
		return 1
	}
	data, ok, err := p.data.readStdout(key)
	switch {
	case err != nil:
		fmt.Fprintf(p.stderr, "fakenode: %v\n", err)
		return exitMisconfigured
	case !ok:
		if code, served := p.serveKey(key); served {
			return code // e.g. a rendered error answer without stdout
		}
		return p.noMaps(v, res)
	}
	var out []byte
	if strings.HasSuffix(key, "-json") {
		out, err = filterNATJSON(data, filter)
	} else {
		out = filterNATText(data, filter, res.Flags["group-by-service"] == "true")
	}
	if err != nil {
		fmt.Fprintf(p.stderr, "fakenode: filter %s: %v\n", key, err)
		return exitMisconfigured
	}
	p.stdout.Write(out)
	return 0
}

var natFrontendLine = regexp.MustCompile(`^(\S+) port (\d+) proto (\d+) id (\d+) `)

// filterNATText keeps the blocks (frontend line plus its tab-indented
// backend lines) whose service ID matches a frontend selected by the filter.
// With --group-by-service consecutive frontends of one service share a block.
func filterNATText(data []byte, f natFilter, grouped bool) []byte {
	lines := strings.SplitAfter(string(data), "\n")
	ids := map[string]bool{}
	for _, l := range lines {
		if m := natFrontendLine.FindStringSubmatch(l); m != nil {
			port, _ := strconv.Atoi(m[2])
			proto, _ := strconv.Atoi(m[3])
			if f.matches(m[1], port, proto) {
				ids[m[4]] = true
			}
		}
	}
	var out strings.Builder
	keep, prevID := false, ""
	for _, l := range lines {
		if m := natFrontendLine.FindStringSubmatch(l); m != nil {
			if !grouped || m[4] != prevID {
				keep = ids[m[4]]
			}
			prevID = m[4]
		} else if !strings.HasPrefix(l, "\t") {
			prevID = "" // not NAT output; never merge across it
		}
		if keep {
			out.WriteString(l)
		}
	}
	return []byte(out.String())
}

type natJSONFrontend struct {
	Addr  string `json:"addr"`
	Port  int    `json:"port"`
	Proto int    `json:"proto"`
	ID    int    `json:"id"`
}

// filterNATJSON filters both JSON shapes: [{frontend, backends}] and, with
// --group-by-service, [{id, frontends, backends}]. Kept elements are copied
// byte for byte so the indentation stays Calico's.
func filterNATJSON(data []byte, f natFilter) ([]byte, error) {
	var elems []json.RawMessage
	if err := json.Unmarshal(data, &elems); err != nil {
		return nil, err
	}
	type element struct {
		Frontend  *natJSONFrontend  `json:"frontend"`
		Frontends []natJSONFrontend `json:"frontends"`
	}
	parsed := make([]element, len(elems))
	ids := map[int]bool{}
	for i, raw := range elems {
		if err := json.Unmarshal(raw, &parsed[i]); err != nil {
			return nil, err
		}
		fes := parsed[i].Frontends
		if parsed[i].Frontend != nil {
			fes = append(fes, *parsed[i].Frontend)
		}
		for _, fe := range fes {
			if f.matches(fe.Addr, fe.Port, fe.Proto) {
				ids[fe.ID] = true
			}
		}
	}
	var kept [][]byte
	for i, e := range parsed {
		fes := e.Frontends
		if e.Frontend != nil {
			fes = append(fes, *e.Frontend)
		}
		for _, fe := range fes {
			if ids[fe.ID] {
				kept = append(kept, elems[i])
				break
			}
		}
	}
	if len(kept) == 0 {
		return []byte("null\n"), nil
	}
	return []byte("[\n  " + string(bytes.Join(kept, []byte(",\n  "))) + "\n]\n"), nil
}

// countersForIface answers "counters dump --iface X": the section of that
// interface (text tables end with "dumped X counters."; JSON is a stream
// of one object per interface).
func (p *proc) countersForIface(v calver.Version, res calicobpf.Result, key string) int {
	iface := res.Flags["iface"]
	data, ok, err := p.data.readStdout(key)
	switch {
	case err != nil:
		fmt.Fprintf(p.stderr, "fakenode: %v\n", err)
		return exitMisconfigured
	case !ok:
		if code, served := p.serveKey(key); served {
			return code
		}
		return p.noMaps(v, res)
	}
	var out []byte
	if strings.HasSuffix(key, "-json") {
		out, err = countersJSONFor(data, iface)
	} else {
		out = countersTextFor(data, iface)
	}
	if err != nil {
		fmt.Fprintf(p.stderr, "fakenode: filter %s: %v\n", key, err)
		return exitMisconfigured
	}
	if len(out) == 0 {
		// What net.InterfaceByName reports for an unknown name.
		fmt.Fprintln(p.stderr, logLine(v, "ERROR", "counters.go", 70,
			"Failed to find interface. error=route ip+net: no such network interface"))
		return 0
	}
	p.stdout.Write(out)
	return 0
}

func countersTextFor(data []byte, iface string) []byte {
	var out, section strings.Builder
	for _, l := range strings.SplitAfter(string(data), "\n") {
		section.WriteString(l)
		if strings.HasPrefix(l, "dumped ") && strings.HasSuffix(strings.TrimSpace(l), " counters.") {
			if strings.TrimSpace(l) == "dumped "+iface+" counters." {
				out.WriteString(section.String())
			}
			section.Reset()
		}
	}
	return []byte(out.String())
}

func countersJSONFor(data []byte, iface string) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	var out bytes.Buffer
	for {
		var raw json.RawMessage
		if err := dec.Decode(&raw); errors.Is(err, io.EOF) {
			return out.Bytes(), nil
		} else if err != nil {
			return nil, err
		}
		var head struct {
			Interface string `json:"interface"`
		}
		if err := json.Unmarshal(raw, &head); err != nil {
			return nil, err
		}
		if head.Interface == iface {
			out.Write(raw)
			out.WriteByte('\n')
		}
	}
}
