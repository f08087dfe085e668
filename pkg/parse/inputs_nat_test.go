package parse

import (
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/model"
)

// wantFrontend is an inputs.json NAT frontend, decoded from Calico's key and value strings.
type wantFrontend struct {
	proto   uint8
	addr    netip.Addr
	port    uint16
	src     netip.Prefix
	id      uint32
	count   int64
	local   uint32
	flags   []string
	blackho bool
}

func wantFrontends(t *testing.T, in []inFrontend) []wantFrontend {
	t.Helper()
	var out []wantFrontend
	for _, f := range in {
		k := natKeyRE.FindStringSubmatch(f.Key)
		if k == nil {
			t.Fatalf("bad NAT key %q", f.Key)
		}
		p, _ := strconv.Atoi(k[1])
		port, _ := strconv.Atoi(k[3])
		w := wantFrontend{proto: uint8(p), addr: netip.MustParseAddr(k[2]), port: uint16(port), src: netip.MustParsePrefix(k[4])}
		if v := natValueRE.FindStringSubmatch(f.Value); v != nil {
			id, _ := strconv.Atoi(v[1])
			count, _ := strconv.ParseInt(v[2], 10, 64)
			local, _ := strconv.Atoi(v[3])
			w.id, w.count, w.local = uint32(id), count, uint32(local)
			for _, fl := range strings.Split(v[4], ",") {
				if fl = strings.TrimSpace(fl); fl != "" {
					w.flags = append(w.flags, fl)
				}
			}
		} else { // the v6 inputs give the numbers directly
			w.id, w.count, w.local = f.ID, f.Count, f.Local
		}
		if w.count == 1<<32-1 { // nat.BlackHoleCount
			w.count, w.blackho = -1, true
		}
		out = append(out, w)
	}
	return out
}

func TestInputsNAT(t *testing.T) {
	eachDump(t, KindNAT, func(t *testing.T, set fixtureSet, run fixtureRun, in inputsDoc, rows []model.NATEntry) {
		fronts, backs := in.Inputs.NATFrontends4, in.Inputs.NATBackends4
		if isV6Run(run) {
			fronts, backs = in.Inputs.NATFrontends6, in.Inputs.NATBackends6
		}
		want := wantFrontends(t, fronts)
		grouped := strings.Contains(run.Argv, "--group-by-service")
		isJSON := strings.Contains(run.Argv, "-j")
		// The source CIDR is printed from v3.31.5; before, the source-range
		// key and the blackhole key of one LB IP look alike but for the count.
		srcPrinted := minor(set) >= 32
		matched := map[int]bool{}
		for _, row := range rows {
			fe := row.Frontend
			i := -1
			for j, w := range want {
				if matched[j] || w.addr != fe.Addr || w.port != fe.Port || w.proto != uint8(fe.Proto) {
					continue
				}
				ok := w.count == fe.Count || (grouped && !isJSON && w.blackho) // text --group-by-service prints the group's count for the blackhole key
				if srcPrinted {
					ok = (w.src.Bits() == 0 && !fe.SrcCIDR.IsValid()) || w.src == fe.SrcCIDR
				}
				if ok {
					i = j
					break
				}
			}
			if i < 0 {
				t.Errorf("frontend %+v matches no input", fe)
				continue
			}
			matched[i] = true
			w := want[i]
			wantCount := w.count
			if grouped && !isJSON && w.blackho {
				wantCount = fe.Count // the documented --group-by-service quirk
			}
			if fe.ID != w.id || fe.Count != wantCount || fe.Local != w.local {
				t.Errorf("frontend %v:%d: id/count/local %d/%d/%d, want %d/%d/%d", fe.Addr, fe.Port, fe.ID, fe.Count, fe.Local, w.id, wantCount, w.local)
			}
			if got := fe.Flags.Words(); !slices.Equal(got, w.flags) {
				t.Errorf("frontend %v:%d: flags %v, want %v", fe.Addr, fe.Port, got, w.flags)
			}
			checkBackends(t, fe, row.Backends, backs, wantCount)
		}
		partial := strings.Contains(run.Name, "filter")
		if !partial && len(matched) != len(want) {
			t.Errorf("matched %d of %d input frontends", len(matched), len(want))
		}
	})
}

// checkBackends: ordinals 0…count-1 come from the backend inputs of the
// id; an ordinal with no input is "is missing".
func checkBackends(t *testing.T, fe model.NATFrontend, got []model.NATBackend, backs []inBackend, count int64) {
	t.Helper()
	if count < 0 {
		if got != nil {
			t.Errorf("blackhole %v:%d has backends %v", fe.Addr, fe.Port, got)
		}
		return
	}
	if int64(len(got)) != count {
		t.Errorf("frontend %v:%d: %d backends, want %d", fe.Addr, fe.Port, len(got), count)
		return
	}
	for ord := range got {
		b := got[ord]
		i := slices.IndexFunc(backs, func(x inBackend) bool { return x.ID == fe.ID && x.Ordinal == uint32(ord) })
		if b.ID != fe.ID || b.Ordinal != uint32(ord) {
			t.Errorf("frontend %v:%d backend %d: key %d:%d", fe.Addr, fe.Port, ord, b.ID, b.Ordinal)
		}
		if i < 0 {
			if !b.Missing {
				t.Errorf("frontend %v:%d ordinal %d: want missing, got %+v", fe.Addr, fe.Port, ord, b)
			}
			continue
		}
		if b.Missing || b.Addr != netip.MustParseAddr(backs[i].Addr) || b.Port != backs[i].Port {
			t.Errorf("frontend %v:%d ordinal %d: got %+v, want %s:%d", fe.Addr, fe.Port, ord, b, backs[i].Addr, backs[i].Port)
		}
	}
}

func TestInputsNATAffinity(t *testing.T) {
	eachDump(t, KindNATAffinity, func(t *testing.T, set fixtureSet, run fixtureRun, in inputsDoc, rows []model.NATAffinity) {
		want := in.Inputs.NATAffinity4
		if len(rows) != len(want) {
			t.Fatalf("got %d entries, want %d", len(rows), len(want))
		}
		for i, w := range want {
			k := affKeyRE.FindStringSubmatch(w.Key)
			v := affValueRE.FindStringSubmatch(w.Value)
			if k == nil || v == nil {
				t.Fatalf("bad affinity input %+v", w)
			}
			proto, _ := strconv.Atoi(k[2])
			port, _ := strconv.Atoi(k[4])
			bport, _ := strconv.Atoi(v[2])
			exp := model.NATAffinity{
				ClientIP: netip.MustParseAddr(k[1]), Proto: model.Proto(proto), Addr: netip.MustParseAddr(k[3]), Port: uint16(port),
				Backend:   model.NATAffBackend{Addr: netip.MustParseAddr(v[1]), Port: uint16(bport)},
				Timestamp: model.D(time.Duration(w.TS)),
			}
			if rows[i] != exp {
				t.Errorf("entry %d (-want +got):\n%s", i, diffValues(exp, rows[i]))
			}
		}
	})
}

func TestInputsMaglev(t *testing.T) {
	eachDump(t, KindMaglev, func(t *testing.T, set fixtureSet, run fixtureRun, in inputsDoc, rows []model.MaglevEntry) {
		var want []model.MaglevEntry
		for _, m := range in.Inputs.Maglev4 {
			want = append(want, model.MaglevEntry{SvcID: m.SvcID, Ordinal: m.Ordinal, Addr: netip.MustParseAddr(m.Addr), Port: m.Port})
		}
		if !slices.Equal(rows, want) {
			t.Errorf("(-want +got):\n%s", diffValues(want, rows))
		}
	})
}
