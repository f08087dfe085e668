package fakenode

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"strings"
)

// injectFault applies FAKE_MODE to any program: a node whose exec hangs,
// answers nonsense, or fails.
func (p *proc) injectFault(args []string) (int, bool) {
	switch p.env.Mode {
	case "hang":
		return p.block(), true
	case "garbage":
		p.printGarbage(args)
		return 0, true
	case "fail":
		fmt.Fprintf(p.stderr, "error: simulated failure on node %q (FAKE_MODE=fail)\n", p.env.Node)
		return 1, true
	}
	return 0, false
}

// garbageAlphabet has no '.', ':' or '>' so the noise can never look like an
// address, a port or a conntrack arrow to a parser.
const garbageAlphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789#%&*@~^+=_ "

// printGarbage writes random-looking text, the same for the same node and
// argv so failures reproduce.
func (p *proc) printGarbage(args []string) {
	h := fnv.New64a()
	h.Write([]byte(p.env.Node + "\x00" + strings.Join(args, "\x00")))
	rng := rand.New(rand.NewPCG(h.Sum64(), 0x9e3779b97f4a7c15))
	var b strings.Builder
	lines := 8 + rng.IntN(16)
	for range lines {
		n := 10 + rng.IntN(60)
		for range n {
			b.WriteByte(garbageAlphabet[rng.IntN(len(garbageAlphabet))])
		}
		b.WriteByte('\n')
	}
	fmt.Fprint(p.stdout, b.String())
}
