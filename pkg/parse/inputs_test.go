package parse

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/model"
)

// The tests in this file compare decoded fixtures with inputs.json, the
// entries that were written into the BPF maps before Calico's own tool
// dumped them. Every expectation is computed from inputs.json and Calico's
// documented encodings, never copied from the decoder's output.

type inputsDoc struct {
	KtimeAtGeneration uint64 `json:"ktime_at_generation"`
	Inputs            struct {
		Routes4       []inRoute     `json:"routes_v4"`
		Routes6       []inRoute     `json:"routes_v6"`
		Conntrack4    []inConntrack `json:"conntrack_v4"`
		Conntrack6    []inConntrack `json:"conntrack_v6"`
		NATFrontends4 []inFrontend  `json:"nat_frontends_v4"`
		NATFrontends6 []inFrontend  `json:"nat_frontends_v6"`
		NATBackends4  []inBackend   `json:"nat_backends_v4"`
		NATBackends6  []inBackend   `json:"nat_backends_v6"`
		NATAffinity4  []inAffinity  `json:"nat_affinity_v4"`
		Maglev4       []inMaglev    `json:"nat_maglev_v4"`
		IPSets4       []inIPSet     `json:"ipsets_v4"`
		IPSets6       []inIPSet6    `json:"ipsets_v6"`
		ARP4          []inARP       `json:"arp_v4"`
		ARP6          []inARP       `json:"arp_v6"`
		IfState       []inIfState   `json:"ifstate"`
		Counters      []inCounters  `json:"counters"`
		MapsCreated   []inMap       `json:"maps_created"`
	} `json:"inputs"`
}

type inRoute struct {
	CIDR     string `json:"cidr"`
	FlagsHex string `json:"flags_hex"`
}

type inConntrack struct {
	Name      string   `json:"name"`
	Key       string   `json:"key"`
	RevKey    string   `json:"rev_key"`
	Type      *int     `json:"type"`
	FlagsHex  string   `json:"flags_hex"`
	OrigDst   string   `json:"orig_dst"`
	TunIP     string   `json:"tun_ip"`
	OrigSport uint16   `json:"orig_sport"`
	Legs      string   `json:"legs"`
	LastSeen  string   `json:"last_seen_ago"`
	LastSeen2 string   `json:"created_ago_is_last_seen_ago_plus_60s_and_last_seen_ago"`
	Created   string   `json:"created_ago"`
	Flags     []string `json:"flags"`
}

type inFrontend struct {
	Key   string `json:"key"`
	Value string `json:"value"`
	ID    uint32 `json:"id"`
	Count int64  `json:"count"`
	Local uint32 `json:"local"`
}

type inBackend struct {
	Addr    string `json:"addr"`
	ID      uint32 `json:"id"`
	Ordinal uint32 `json:"ordinal"`
	Port    uint16 `json:"port"`
}

type inAffinity struct {
	Key   string `json:"key"`
	Value string `json:"value"`
	TS    uint64 `json:"ts_ktime_ns"`
}

type inMaglev struct {
	Addr    string `json:"addr"`
	Ordinal uint32 `json:"ordinal"`
	Port    uint16 `json:"port"`
	SvcID   uint32 `json:"svc_id"`
}

type inIPSet struct {
	CIDR  string `json:"cidr"`
	Port  uint16 `json:"port"`
	Proto uint8  `json:"proto"`
	SetID string `json:"set_id"`
}

type inIPSet6 struct {
	Members []string `json:"members"`
	SetID   string   `json:"set_id"`
}

type inARP struct {
	DstMAC  string `json:"dst_mac"`
	IfIndex int    `json:"ifindex"`
	IP      string `json:"ip"`
	SrcMAC  string `json:"src_mac"`
}

type inIfState struct {
	FlagsHex string `json:"flags_hex"`
	IfIndex  int    `json:"ifindex"`
	Name     string `json:"name"`
	Policies []int32
}

// UnmarshalJSON reads the policy array, whose key has commas (a struct tag cannot name it).
func (s *inIfState) UnmarshalJSON(b []byte) error {
	type plain inIfState
	if err := json.Unmarshal(b, (*plain)(s)); err != nil {
		return err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	return json.Unmarshal(m["xdp4,ing4,eg4,xdp6,ing6,eg6,tcIngFilter,tcEgFilter"], &s.Policies)
}

type inCounters struct {
	Hook                string `json:"hook"`
	IfIndex             int    `json:"ifindex"`
	AcceptedByFailsafe  uint64 `json:"accepted_by_failsafe"`
	AcceptedByPolicy    uint64 `json:"accepted_by_policy"`
	DroppedByPolicy     uint64 `json:"dropped_by_policy"`
	DroppedUnknownRoute uint64 `json:"dropped_unknown_route"`
	Total               uint64 `json:"total"`
}

type inMap struct {
	Pin        string `json:"pin"`
	MaxEntries uint64 `json:"max_entries"`
}

func loadInputs(t *testing.T, set fixtureSet) (inputsDoc, bool) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(set.Dir, "inputs.json"))
	if os.IsNotExist(err) {
		return inputsDoc{}, false
	}
	if err != nil {
		t.Fatal(err)
	}
	var doc inputsDoc
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	return doc, true
}

// minor returns the Calico minor version of a fixture set ("v3.29.7" → 29).
func minor(set fixtureSet) int {
	parts := strings.Split(strings.TrimPrefix(set.Version, "v"), ".")
	n, _ := strconv.Atoi(parts[1])
	return n
}

// eachDump decodes every successful run of the given kind in every set with
// inputs, and calls check with the rows.
func eachDump[T any](t *testing.T, kind Kind, check func(t *testing.T, set fixtureSet, run fixtureRun, in inputsDoc, rows []T)) {
	for _, set := range loadFixtureSets(t) {
		in, ok := loadInputs(t, set)
		if !ok {
			continue
		}
		for _, run := range set.Runs {
			k, _, isDump := dumpKindOf(run.Argv)
			if !isDump || k != kind || run.Stdout == "" || run.ExitCode != 0 || stdoutIsToolError[set.Version+"/"+run.Name] {
				continue
			}
			t.Run(set.Version+"/"+run.Name, func(t *testing.T) {
				input, err := os.ReadFile(filepath.Join(set.Dir, run.Stdout))
				if err != nil {
					t.Fatal(err)
				}
				all, _, err := decodeAll(t, kind, input, Options{})
				if err != nil {
					t.Fatal(err)
				}
				rows := make([]T, len(all))
				for i, r := range all {
					rows[i] = r.(T)
				}
				check(t, set, run, in, rows)
			})
		}
	}
}

func isV6Run(run fixtureRun) bool { return strings.Contains(run.Argv, " -6") }

// calicoRouteWords turns Calico's route flag bits into the words its text
// (or, with json, its JSON) shows, following Value.String in bpf/routes.
func calicoRouteWords(hex string, minorVer int, json bool) []string {
	v, err := strconv.ParseUint(strings.TrimPrefix(hex, "0x"), 16, 32)
	if err != nil {
		panic(err)
	}
	var w []string
	blackhole := v&0x300 != 0
	switch {
	case v&0x08 != 0:
		w = append(w, "local")
	case !blackhole:
		w = append(w, "remote")
	}
	if v&0x10 != 0 {
		w = append(w, "host")
	} else if v&0x04 != 0 {
		w = append(w, "workload")
	}
	for _, f := range []struct {
		bit  uint64
		word string
		ok   bool
	}{
		{0x01, "in-pool", true},
		{0x02, "nat-out", true},
		{0x20, "same-subnet", true},
		{0x80, "no-dsr", true},
		{0x40, "tunneled", true},
		{0x400, "vxlan", json && minorVer >= 31},
		{0x800, "vm", minorVer == 30},
		{0x800, "skip-ingress-redir", minorVer >= 31},
		{0x100, "blackhole-drop", true},
		{0x200, "blackhole-reject", true},
	} {
		if f.ok && v&f.bit != 0 {
			w = append(w, f.word)
		}
	}
	slices.Sort(w)
	return w
}

func TestInputsRoutes(t *testing.T) {
	eachDump(t, KindRoutes, func(t *testing.T, set fixtureSet, run fixtureRun, in inputsDoc, rows []model.Route) {
		want := in.Inputs.Routes4
		if isV6Run(run) {
			want = in.Inputs.Routes6
		}
		if len(rows) != len(want) {
			t.Fatalf("got %d routes, inputs have %d", len(rows), len(want))
		}
		isJSON := strings.Contains(run.Argv, "-j")
		for _, w := range want {
			i := slices.IndexFunc(rows, func(r model.Route) bool { return r.Dest.String() == w.CIDR })
			if i < 0 {
				t.Errorf("route %s missing", w.CIDR)
				continue
			}
			got := rows[i].Flags.Words()
			slices.Sort(got)
			if exp := calicoRouteWords(w.FlagsHex, minor(set), isJSON); !slices.Equal(got, exp) {
				t.Errorf("route %s: flags %v, want %v (from %s)", w.CIDR, got, exp, w.FlagsHex)
			}
			if len(rows[i].ExtraFlags) > 0 {
				t.Errorf("route %s: unexpected extra flags %v", w.CIDR, rows[i].ExtraFlags)
			}
		}
	})
}

var (
	ctKeyRE      = regexp.MustCompile(`^ConntrackKey\{proto=(\d+) (\S+):(\d+) <-> (\S+):(\d+)\}$`)
	legsRE       = regexp.MustCompile(`^A2B ([a-z+]+), B2A ([a-z+]+)$`)
	natKeyRE     = regexp.MustCompile(`^NATKey(?:V6)?\{Proto:(\d+) Addr:(\S+) Port:(\d+) SrcAddr:(\S+)\}$`)
	natValueRE   = regexp.MustCompile(`^NATValue\{ID:(\d+),Count:(\d+),LocalCount:(\d+),AffinityTimeout:\d+,Flags:\{(.*)\}\}$`)
	affKeyRE     = regexp.MustCompile(`^AffinityKey\{ClientIP:(\S+) FrontEndAffinityKey\{Proto:(\d+) Addr:(\S+) Port:(\d+)\}\}$`)
	affValueRE   = regexp.MustCompile(`Backend:NATBackendValue\{Addr:(\S+) Port:(\d+)\}`)
	ipset6NamedR = regexp.MustCompile(`^(\S+) port (\d+) proto (\d+)$`)
)
