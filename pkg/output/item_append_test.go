package output

import (
	"bytes"
	"net/netip"
	"testing"
	"time"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/model"
)

// rawObject is a JSONAppender row or extra value with fixed JSON, for the splicing cases.
type rawObject string

func (r rawObject) AppendJSON(dst []byte) []byte { return append(dst, r...) }
func (r rawObject) MarshalJSON() ([]byte, error) { return []byte(r), nil }

// TestItemAppendJSONEqualsMarshalJSON: the fast path writes MarshalJSON's bytes whatever the
// node, the row and the extras are.
func TestItemAppendJSONEqualsMarshalJSON(t *testing.T) {
	ct := model.ConntrackEntry{
		Type: model.ConntrackNATReverse, Proto: model.ProtoName(model.ProtoTCP),
		Src: netip.MustParseAddrPort("10.65.0.5:40000"), Dst: netip.MustParseAddrPort("10.65.1.7:8080"),
		OrigDst: netip.MustParseAddrPort("10.96.0.1:443"), Flags: model.CTNPFwd | model.CTSrcDstBA,
		ActiveAgo: model.D(1500 * time.Millisecond), TCPState: model.TCPEstablished,
	}
	rows := []any{ct, model.ConntrackEntry{}, rawObject(`{}`), rawObject(`{"a":1}`), route("10.0.0.0/8")}
	extras := []map[string]any{
		nil,
		{},
		{"kubernetes": rawObject(`{"src_name":{"text":"pod a/b"}}`)},
		{"z": rawObject(`{}`), "a": rawObject(`[1,2]`), "m\"<": rawObject(`null`)},
		{"plain": "<not an appender>", "k": rawObject(`{}`)},
	}
	for _, node := range []string{"", "node-1", `odd "node" é`} {
		for _, row := range rows {
			for _, extra := range extras {
				it := Item{Node: node, Row: row, Extra: extra}
				want, err := it.MarshalJSON()
				if err != nil {
					t.Fatal(err)
				}
				got, err := it.AppendJSON([]byte("prefix"))
				if err != nil || !bytes.Equal(got[len("prefix"):], want) {
					t.Errorf("%+v:\n got %s (%v)\nwant %s", it, got, err, want)
				}
			}
		}
	}
}
