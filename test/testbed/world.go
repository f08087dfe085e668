package testbed

import "fmt"

// The fixtures under pkg/parse/testdata were dumped on one node of a three-node world: the
// node itself is 192.168.1.11 with pod block 10.65.0.0/26, its peers are 192.168.1.12 and
// 192.168.1.13 with blocks 10.65.1.0/26 and 10.65.2.0/26. The test bed builds the same world
// (same Services and ClusterIPs, the same apps on every node) and rewrites each node's copy of
// the fixtures so that "this node" is that node and its peers are the next ones round the ring.

// fixtureNodeIPs are the fixture nodes, by position relative to the dumping node.
var fixtureNodeIPs = []string{"192.168.1.11", "192.168.1.12", "192.168.1.13"}

// fixtureBlocks and fixtureTunnels are the fixture nodes' IPAM blocks and tunnel addresses.
var (
	fixtureBlocks  = []string{"10.65.0.0", "10.65.1.0", "10.65.2.0"}
	fixtureTunnels = []string{"10.65.0.1", "10.65.1.1", "10.65.2.1"}
)

// fixtureAPIServer is the kubernetes Service's endpoint in the fixtures.
const fixtureAPIServer = "192.168.1.10"

// podRole is a fixture pod: an app running on the node at a position relative to the dumper.
type podRole struct {
	App string
	Rel int
}

// fixturePods maps each fixture pod IP to its role. 10.65.3.3 is deliberately absent: the
// fixtures' conntrack has a connection to it, and in the test bed it stays an address that
// no object owns.
var fixturePods = map[string]podRole{
	"10.65.0.5": {"client", 0}, "10.65.1.7": {"client", 1}, "10.65.2.9": {"client", 2},
	"10.65.0.9": {"tools", 0}, "10.65.1.8": {"tools", 1},
	"10.65.0.20": {"dns", 0}, "10.65.1.21": {"dns", 1},
	"10.65.0.30": {"web", 0}, "10.65.1.30": {"web", 1}, "10.65.2.30": {"web", 2},
	"10.65.0.50": {"api", 0},
	"10.65.1.40": {"secure", 1}, "10.65.2.40": {"secure", 2},
	"10.65.1.60": {"cache", 1}, "10.65.2.60": {"cache", 2},
}

// nodeName, nodeIP, nodeBlock and nodeTunnel give node k's (0-based) identity in the test bed.
func nodeName(k int) string { return fmt.Sprintf("node-%d", k+1) }

func nodeIP(k int) string {
	n := k + 11 // node-1 is 192.168.1.11, as in the fixtures
	return fmt.Sprintf("192.168.%d.%d", 1+n/250, n%250)
}

func nodeBlock(k int) string { return fmt.Sprintf("10.65.%d.0", k%256) }

// nodeTunnel is the node's IPIP tunnel address: the top of its block, since kwok hands out pod
// addresses from the bottom.
func nodeTunnel(k int) string { return fmt.Sprintf("10.65.%d.62", k%256) }

// ipMapFor builds the fixture-to-cluster address map for node k's copy of the fixtures.
// podIPs[app][node] is the IP of that app's pod on that node; apiServer the kubernetes
// endpoint; workloadNodes how many nodes run the apps (roles on other nodes stay unmapped).
func ipMapFor(k, nodes, workloadNodes int, podIPs map[string]map[string]string, apiServer string) map[string]string {
	m := map[string]string{}
	peer := func(rel int) int { return (k + rel) % nodes }
	for rel, ip := range fixtureNodeIPs {
		if rel < nodes {
			m[ip] = nodeIP(peer(rel))
			m[fixtureBlocks[rel]] = nodeBlock(peer(rel))
			m[fixtureTunnels[rel]] = nodeTunnel(peer(rel))
		}
	}
	if apiServer != "" {
		m[fixtureAPIServer] = apiServer
	}
	for fip, role := range fixturePods {
		if role.Rel >= nodes {
			continue
		}
		p := peer(role.Rel)
		if p >= workloadNodes {
			continue
		}
		if ip := podIPs[role.App][nodeName(p)]; ip != "" {
			m[fip] = ip
		}
	}
	return m
}
