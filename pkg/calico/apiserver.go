package calico

import (
	"net"
	"sort"
	"strconv"

	discoveryv1 "k8s.io/api/discovery/v1"
)

// APIServerEndpoints returns the ready HOST:PORT pairs of Service default/kubernetes's
// EndpointSlices, sorted and unique: the addresses calico-node can use without kube-proxy.
// The port is the one named https, or the slice's only port.
func APIServerEndpoints(slices []discoveryv1.EndpointSlice) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range slices {
		var port int32
		for _, p := range s.Ports {
			if p.Port != nil && (port == 0 || p.Name != nil && *p.Name == "https") {
				port = *p.Port
			}
		}
		if port == 0 {
			continue
		}
		for _, e := range s.Endpoints {
			if e.Conditions.Ready != nil && !*e.Conditions.Ready {
				continue
			}
			for _, addr := range e.Addresses {
				hp := net.JoinHostPort(addr, strconv.Itoa(int(port)))
				if addr != "" && !seen[hp] {
					seen[hp] = true
					out = append(out, hp)
				}
			}
		}
	}
	sort.Strings(out)
	return out
}
