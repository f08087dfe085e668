package cmd

import (
	"context"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/spf13/pflag"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/annotate"
	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/calico"
	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/model"
	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/output"
)

// conntrackFlags are conntrack's filters, as typed by the user.
type conntrackFlags struct {
	Proto, IP, State, Service, Pod string
	Port                           uint16
}

func (c *conntrackFlags) addFlags(f *pflag.FlagSet) {
	f.StringVar(&c.Proto, "proto", "", "Only entries of this protocol: tcp, udp, icmp, sctp or a number.")
	f.StringVar(&c.IP, "ip", "", "Only entries with this address on either side (or as the original destination).")
	f.Uint16Var(&c.Port, "port", 0, "Only entries with this port on either side.")
	f.StringVar(&c.State, "state", "", "Only TCP entries in this state: ESTABLISHED, SYN-SENT, CLOSED or RESET.")
	f.StringVar(&c.Service, "service", "", "Only connections to this Service (NAMESPACE/NAME): its ClusterIP, NodePorts, external IPs or endpoints (live only).")
	f.StringVar(&c.Pod, "pod", "", "Only connections of this pod (NAMESPACE/NAME) (live only).")
}

// filter turns the flags into a filter; live says whether the cluster is there to resolve
// --service and --pod.
func (c conntrackFlags) filter(live bool) (annotate.ConntrackFilter, error) {
	var f annotate.ConntrackFilter
	if c.Proto != "" {
		p, ok := model.ParseProto(c.Proto)
		if !ok {
			return f, usageErrorf("unknown protocol %q for --proto: use tcp, udp, icmp, sctp or a number", c.Proto)
		}
		f.Proto, f.HasProto = p, true
	}
	if c.IP != "" {
		a, err := netip.ParseAddr(c.IP)
		if err != nil {
			return f, usageErrorf("--ip %q is not an IP address", c.IP)
		}
		f.IP = a
	}
	f.Port = c.Port
	if c.State != "" {
		s, ok := model.ParseTCPState(strings.ToUpper(c.State))
		if !ok {
			return f, usageErrorf("unknown TCP state %q for --state: use ESTABLISHED, SYN-SENT, CLOSED or RESET", c.State)
		}
		f.State, f.HasState = s, true
	}
	for flag, v := range map[string]string{"--service": c.Service, "--pod": c.Pod} {
		if v == "" {
			continue
		}
		if !live {
			return f, usageErrorf("%s names cluster objects: it needs live nodes (--node, --all-nodes or -l), not --input", flag)
		}
		if ns, name, ok := strings.Cut(v, "/"); !ok || ns == "" || name == "" {
			return f, usageErrorf("%s %q: use NAMESPACE/NAME", flag, v)
		}
	}
	f.Service, f.Pod = c.Service, c.Pod
	return f, nil
}

// defaultConntrackMapSize is Felix's bpfMapSizeConntrack default (v3.23+).
const defaultConntrackMapSize = 512000

// conntrackMapSize reads bpfMapSizeConntrack from FelixConfiguration default, and says where
// the number came from.
func conntrackMapSize(ctx context.Context, dc dynamic.Interface) (uint64, string) {
	for _, gvr := range []struct {
		res  func() dynamic.NamespaceableResourceInterface
		name string
	}{
		{func() dynamic.NamespaceableResourceInterface { return dc.Resource(calico.FelixConfigurationV3GVR) }, "projectcalico.org/v3"},
		{func() dynamic.NamespaceableResourceInterface { return dc.Resource(calico.FelixConfigurationV1GVR) }, "crd.projectcalico.org/v1"},
	} {
		fc, err := gvr.res().Get(ctx, calico.DefaultName, metav1.GetOptions{})
		if err != nil {
			continue
		}
		if n, ok, _ := unstructured.NestedInt64(fc.Object, "spec", "bpfMapSizeConntrack"); ok && n > 0 {
			return uint64(n), "FelixConfiguration default bpfMapSizeConntrack"
		}
		return defaultConntrackMapSize, "Felix default (FelixConfiguration sets no bpfMapSizeConntrack)"
	}
	return defaultConntrackMapSize, "Felix default (no FelixConfiguration readable)"
}

// ConntrackUsage is how full a node's conntrack map is, next to Felix's automatic resizing
// (bpfMapSizeConntrackScaling DoubleIfFull: doubles when over 90 %, or over 85 % three scans
// in a row).
type ConntrackUsage struct {
	MapSize     uint64  `json:"map_size"`
	MapSizeFrom string  `json:"map_size_from"`
	Percent     float64 `json:"percent"`
	State       string  `json:"state"`
}

func conntrackUsage(entries, size uint64, from string) ConntrackUsage {
	u := ConntrackUsage{MapSize: size, MapSizeFrom: from}
	if size > 0 {
		u.Percent = float64(entries) * 100 / float64(size)
	}
	switch {
	case u.Percent >= 90:
		u.State = "over 90%: Felix doubles the map (DoubleIfFull) or, with scaling Disabled, new connections fail"
	case u.Percent >= 85:
		u.State = "over 85%: Felix doubles the map after three such scans (DoubleIfFull)"
	default:
		u.State = "ok"
	}
	return u
}

// statsItem is one node's conntrack statistics as printed by the live --stats.
func statsItem(node string, s model.ConntrackStats, u ConntrackUsage) output.Item {
	names := strconv.FormatFloat(u.Percent, 'f', 1, 64) + "% of " + strconv.FormatUint(u.MapSize, 10)
	if u.State != "ok" {
		names += ": " + u.State
	}
	if s.TotalConnections > 0 {
		names += fmt.Sprintf("; NAT %d%%", s.NATConnections*100/s.TotalConnections)
	}
	return output.Item{Node: node, Row: s, Extra: map[string]any{"usage": u}, Names: names}
}
