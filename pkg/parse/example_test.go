package parse_test

import (
	"fmt"
	"strings"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/model"
	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/parse"
)

func ExampleConntrack() {
	dump := `user@host:~$ kubectl exec -n calico-system calico-node-x -c calico-node -- calico-node -bpf conntrack dump
TCP 10.65.0.5:51000 -> 10.96.0.1:443 -> 192.168.1.10:6443  Active ago 4.481138679s ESTABLISHED
UDP 10.65.0.5:5353 -> 10.65.2.9:5353  Active ago 30.481104895s
`
	rep, err := parse.Conntrack(strings.NewReader(dump), parse.Options{}, func(e model.ConntrackEntry) error {
		fmt.Printf("%s %s %s -> %s state=%q\n", e.Type, e.Proto, e.Src, e.Dst, e.TCPState)
		if e.OrigDst.IsValid() {
			fmt.Println("  service", e.OrigDst)
		}
		return nil
	})
	fmt.Println(rep.Rows, rep.Skipped, len(rep.Warnings), err)
	// Output:
	// nat-reverse TCP 10.65.0.5:51000 -> 192.168.1.10:6443 state="ESTABLISHED"
	//   service 10.96.0.1:443
	// normal UDP 10.65.0.5:5353 -> 10.65.2.9:5353 state=""
	// 2 1 0 <nil>
}

func ExampleDecode() {
	stdout := `[{"dest":"10.65.0.5/32","flags":["local","workload","in-pool"],"ifindex":12}]`
	_, err := parse.Decode(parse.KindRoutes, strings.NewReader(stdout), parse.Options{}, func(row any) error {
		rt := row.(model.Route)
		fmt.Println(rt.Dest, rt.Flags, rt.IfIndex)
		return nil
	})
	fmt.Println(err)
	// Output:
	// 10.65.0.5/32 local workload in-pool 12
	// <nil>
}

func ExampleStderrFailure() {
	stderr := "2026-11-26 10:20:19.754 [ERROR][31632] node/routes.go 48: Failed to dump routes map. error=failed to open map\n"
	fmt.Println(parse.StderrFailure([]byte(stderr)))
	// Output:
	// the dump tool reported an error on line 1: "2026-11-26 10:20:19.754 [ERROR][31632] node/routes.go 48: Failed to dump routes map. error=failed to open map"
}
