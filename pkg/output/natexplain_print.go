package output

import (
	"fmt"
	"io"
	"net/netip"
	"strings"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/model"
)

// natLegend says what each field of Calico's `nat dump` text means.
const natLegend = `How to read a NAT dump:
  <ip> port <p> proto <n>     a frontend: the address, port and IP protocol (6 TCP, 17 UDP, 132 SCTP) clients connect to
  id <id>                     the service-port id: the ClusterIP, NodePorts, external and LoadBalancer IPs of one Service port share it
  count <c>                   the number of ready backends; 0: no ready endpoints; -1: a blackhole (drop) entry
  local <l>                   how many backends run on this node; they come first, as ordinals 0..l-1
  flags <words>               external-local: externalTrafficPolicy Local; internal-local: internalTrafficPolicy Local;
                              nat-exclude: excluded from Calico's service NAT; maglev: Maglev consistent hashing
  src <CIDR>                  a LoadBalancer source range entry: the frontend for clients in CIDR only
  <id>:<ordinal> <ip:port>    one backend of the frontend, by ordinal
  <id>:<ordinal> is missing   the backend map has no entry for that ordinal
  255.255.255.255             the NodePort frontend for any node address (ffff:...:ffff in IPv6)
`

// natFooter says what offline explanations cannot know.
const natFooter = "Services are named by id only: offline, the plugin cannot see the cluster. Read the nodes\n" +
	"instead (--node, --all-nodes) to name the Service of each id and the pod behind each backend.\n"

// explainTableBackends bounds the backends listed per frontend in the text form; -o wide lists all.
const explainTableBackends = 10

// NewNATExplainPrinter returns a printer for `nat --explain`. It buffers the frontends (the
// explanation groups them by id, which needs them all; NAT dumps are small). Table and wide
// print a legend, then a paragraph per frontend grouped by id (wide lists every backend);
// JSON and YAML print the usual List whose items are the NAT entries with two extra fields,
// "role" and "explanation".
func NewNATExplainPrinter(out, errOut io.Writer, f Format, kind string) ListPrinter {
	return &natExplainPrinter{out: out, errOut: errOut, format: f, kind: kind}
}

type natExplainPrinter struct {
	out, errOut io.Writer
	format      Format
	kind        string
	nodes       []string // in order of first appearance
	entries     map[string][]model.NATEntry
	// items keeps what live mode adds to each frontend (its Kubernetes reading), by node and
	// frontend.
	items map[string]map[frontendKey]Item
}

type frontendKey struct {
	addr  netip.Addr
	port  uint16
	proto model.Proto
	src   netip.Prefix
	count int64
}

func keyOf(f model.NATFrontend) frontendKey {
	return frontendKey{f.Addr, f.Port, f.Proto, f.SrcCIDR, f.Count}
}

func (p *natExplainPrinter) Add(it Item) error {
	e, ok := it.Row.(model.NATEntry)
	if !ok {
		return fmt.Errorf("explain nat: got a %T row", it.Row)
	}
	if p.entries == nil {
		p.entries = map[string][]model.NATEntry{}
	}
	if _, seen := p.entries[it.Node]; !seen {
		p.nodes = append(p.nodes, it.Node)
	}
	p.entries[it.Node] = append(p.entries[it.Node], e)
	if it.Names != "" || it.Extra != nil {
		if p.items == nil {
			p.items = map[string]map[frontendKey]Item{}
		}
		if p.items[it.Node] == nil {
			p.items[it.Node] = map[frontendKey]Item{}
		}
		p.items[it.Node][keyOf(e.Frontend)] = it
	}
	return nil
}

func (p *natExplainPrinter) Abort() error {
	p.entries, p.nodes = nil, nil
	return nil
}

func (p *natExplainPrinter) Close(s Summary) error {
	opts := ExplainOptions{}
	if p.format == Table {
		opts.MaxBackends = explainTableBackends
	}
	if p.format.IsStructured() {
		lp := NewListPrinter(p.out, p.errOut, p.format, p.kind, NATView)
		for _, node := range p.nodes {
			for _, x := range ExplainNAT(p.entries[node], opts) {
				it := Item{Node: node, Row: x.Entry, Extra: map[string]any{"role": x.Role, "explanation": x.Text}}
				for k, v := range p.items[node][keyOf(x.Entry.Frontend)].Extra {
					it.Extra[k] = v
				}
				if err := lp.Add(it); err != nil {
					return err
				}
			}
		}
		return lp.Close(s)
	}
	if len(p.nodes) == 0 {
		fmt.Fprintf(p.errOut, "No %s found.\n", NATView.Noun())
		writeWarnings(p.errOut, s)
		return nil
	}
	if err := p.writeText(opts); err != nil {
		return err
	}
	writeWarnings(p.errOut, s)
	return nil
}

func (p *natExplainPrinter) writeText(opts ExplainOptions) error {
	var b strings.Builder
	b.WriteString(natLegend)
	for _, node := range p.nodes {
		indent := "  "
		if node != "" {
			fmt.Fprintf(&b, "\nNode %s:\n", node)
			indent = "    "
		}
		ex := ExplainNAT(p.entries[node], opts)
		for i, x := range ex {
			id := x.Entry.Frontend.ID
			if i == 0 || ex[i-1].Entry.Frontend.ID != id {
				n := countID(ex[i:], id)
				fmt.Fprintf(&b, "\n%sid %d: %d %s\n", indent[2:], id, n, plural(n, "frontend", "frontends"))
			}
			b.WriteString(indent + x.Text + "\n")
			if names := p.items[node][keyOf(x.Entry.Frontend)].Names; names != "" {
				b.WriteString(indent + "  in Kubernetes: " + names + "\n")
			}
		}
	}
	if len(p.items) == 0 {
		b.WriteString("\n" + natFooter)
	}
	_, err := io.WriteString(p.out, b.String())
	return err
}

// countID counts the leading explanations of id.
func countID(ex []NATExplanation, id uint32) int {
	n := 0
	for n < len(ex) && ex[n].Entry.Frontend.ID == id {
		n++
	}
	return n
}
