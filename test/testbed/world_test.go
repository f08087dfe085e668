package testbed

import "testing"

func TestIPMapRotatesTheFixtureWorld(t *testing.T) {
	pods := map[string]map[string]string{
		"client": {"node-1": "10.65.0.1", "node-2": "10.65.1.1", "node-3": "10.65.2.1"},
		"web":    {"node-1": "10.65.0.4", "node-2": "10.65.1.4", "node-3": "10.65.2.4"},
	}
	m := ipMapFor(1, 3, 3, pods, "127.0.0.1") // node-2's copy
	want := map[string]string{
		"192.168.1.11": "192.168.1.12", // "this node" is node-2
		"192.168.1.12": "192.168.1.13",
		"192.168.1.13": "192.168.1.11",
		"10.65.0.0":    "10.65.1.0",
		"10.65.0.1":    "10.65.1.62",
		"10.65.0.5":    "10.65.1.1", // local client
		"10.65.1.7":    "10.65.2.1", // client one node round
		"10.65.2.30":   "10.65.0.4", // web two nodes round
		"192.168.1.10": "127.0.0.1",
	}
	for from, to := range want {
		if m[from] != to {
			t.Errorf("map[%s] = %q, want %q", from, m[from], to)
		}
	}
	if _, ok := m["10.65.3.3"]; ok {
		t.Error("10.65.3.3 is nobody's in the fixture world, but was mapped")
	}
	if _, ok := m["10.65.0.20"]; ok {
		t.Error("dns has no pods here, but 10.65.0.20 was mapped")
	}
}

func TestNodeAddressesStayDistinct(t *testing.T) {
	seen := map[string]int{}
	for k := range 300 {
		ip := nodeIP(k)
		if prev, dup := seen[ip]; dup {
			t.Fatalf("nodes %d and %d share %s", prev, k, ip)
		}
		seen[ip] = k
	}
	if nodeIP(0) != "192.168.1.11" {
		t.Errorf("node-1 is %s, want the fixtures' 192.168.1.11", nodeIP(0))
	}
}
