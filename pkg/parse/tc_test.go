package parse

import (
	"testing"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/model"
)

func TestQdiscRunbook(t *testing.T) {
	rows := mustDecode(t, Qdiscs, handwritten(t, "qdisc-runbook-2021.txt"))
	checkRows(t, rows, []model.Qdisc{
		{Kind: "clsact", Handle: "ffff:", Dev: "ens160", Parent: "ffff:fff1", SentBytes: 11334937500, SentPackets: 75228997},
		{Kind: "clsact", Handle: "ffff:", Dev: "calic1faebfe4cf", Parent: "ffff:fff1", SentBytes: 187308488, SentPackets: 1696880, Dropped: 11},
		{Kind: "clsact", Handle: "ffff:", Dev: "caliccba8bb4a6f", Parent: "ffff:fff1", SentBytes: 492459240, SentPackets: 1736334},
	})
	exec := mustDecode(t, Qdiscs, handwritten(t, "qdisc-exec-runbook-2021.txt"))
	if len(exec) != 4 || exec[3].Dev != "calif903a7f3bc2" || exec[3].Dropped != 46 {
		t.Errorf("exec rows %+v", exec)
	}
}

func TestQdiscFullShow(t *testing.T) {
	input := "qdisc noqueue 0: dev lo root refcnt 2 \n" +
		" Sent 0 bytes 0 pkt (dropped 0, overlimits 0 requeues 0) \n" +
		" backlog 0b 0p requeues 0\n" +
		"qdisc fq_codel 0: dev eth0 root refcnt 2 limit 10240p flows 1024 quantum 1514 target 5ms interval 100ms memory_limit 32Mb ecn drop_batch 64 \n" +
		" Sent 1234 bytes 12 pkt (dropped 1, overlimits 2 requeues 3) \n" +
		" backlog 12Kb 4p requeues 3\n" +
		"  maxpacket 1514 drop_overlimit 0 new_flow_count 1 ecn_mark 0\n" +
		"--\n" +
		"qdisc ingress ffff: dev eth1 parent ffff:fff1 ----------------\n"
	checkRows(t, mustDecode(t, Qdiscs, input), []model.Qdisc{
		{Kind: "noqueue", Handle: "0:", Dev: "lo", Root: true, Refcnt: 2},
		{Kind: "fq_codel", Handle: "0:", Dev: "eth0", Root: true, Refcnt: 2,
			Options:   "limit 10240p flows 1024 quantum 1514 target 5ms interval 100ms memory_limit 32Mb ecn drop_batch 64",
			SentBytes: 1234, SentPackets: 12, Dropped: 1, Overlimits: 2, Requeues: 3, BacklogBytes: 12 * 1024, BacklogPackets: 4,
			Details: []string{"maxpacket 1514 drop_overlimit 0 new_flow_count 1 ecn_mark 0"}},
		{Kind: "ingress", Handle: "ffff:", Dev: "eth1", Parent: "ffff:fff1"},
	})
}

func TestQdiscJSON(t *testing.T) {
	input := `[{"kind":"clsact","handle":"ffff:","dev":"eth0","parent":"ffff:fff1","options":{},"bytes":100,"packets":2,"drops":1,"overlimits":0,"requeues":0,"backlog":0,"qlen":0}]`
	checkRows(t, mustDecode(t, Qdiscs, input), []model.Qdisc{
		{Kind: "clsact", Handle: "ffff:", Dev: "eth0", Parent: "ffff:fff1", SentBytes: 100, SentPackets: 2, Dropped: 1},
	})
}

func TestFilters(t *testing.T) {
	t.Run("libbpf attach", func(t *testing.T) {
		input := "filter protocol all pref 49152 bpf chain 0 \n" +
			"filter protocol all pref 49152 bpf chain 0 handle 0x1 cali_tc_preambl:[61] direct-action not_in_hw id 61 name cali_tc_preambl tag 4add0302745d594c jited \n"
		rows, rep, err := decodeString(t, Filters, input, Options{Dev: "eth0", Direction: "ingress"})
		if err != nil || len(rep.Warnings) > 0 || rep.Skipped != 1 {
			t.Fatalf("err %v report %+v", err, rep)
		}
		checkRows(t, rows, []model.TCFilter{{Dev: "eth0", Direction: "ingress", Protocol: "all", Pref: 49152, Kind: "bpf", Handle: "0x1",
			Name: "cali_tc_preambl:[61]", DirectAction: true, NotInHW: true, ProgID: 61, ProgName: "cali_tc_preambl", Tag: "4add0302745d594c", Jited: true}})
		if !rows[0].IsCalico() {
			t.Error("not recognised as Calico's program")
		}
	})
	t.Run("older tc attach, direction printed", func(t *testing.T) {
		input := "filter egress protocol all pref 49152 bpf chain 0 handle 0x1 to_hep_no_log.o:[calico_to_host_ep] direct-action not_in_hw id 821 tag ee402594f8f85ac3 jited\n"
		checkRows(t, mustDecode(t, Filters, input), []model.TCFilter{{Direction: "egress", Protocol: "all", Pref: 49152, Kind: "bpf", Handle: "0x1",
			Name: "to_hep_no_log.o:[calico_to_host_ep]", DirectAction: true, NotInHW: true, ProgID: 821, Tag: "ee402594f8f85ac3", Jited: true}})
	})
	t.Run("u32 with action lines", func(t *testing.T) {
		input := "filter parent ffff:fff2 protocol ip pref 1 u32 chain 0 handle 800::800 order 2048 key ht 800 bkt 0\n  match 00000000/00000000 at 0\n\taction order 1: gact action pass\n"
		rows := mustDecode(t, Filters, input)
		if len(rows) != 1 || rows[0].Kind != "u32" || rows[0].Direction != "ingress" || len(rows[0].Details) != 3 {
			t.Errorf("rows %+v", rows)
		}
	})
	t.Run("json", func(t *testing.T) {
		input := `[{"protocol":"all","pref":49152,"kind":"bpf","chain":0},{"protocol":"all","pref":49152,"kind":"bpf","chain":0,"options":{"handle":"0x1","bpf_name":"cali_tc_preambl:[61]","direct-action":true,"not_in_hw":true,"prog":{"id":61,"name":"cali_tc_preambl","tag":"4add0302745d594c","jited":1}}}]`
		rows, _, err := decodeString(t, Filters, input, Options{Dev: "eth0", Direction: "egress"})
		if err != nil {
			t.Fatal(err)
		}
		checkRows(t, rows, []model.TCFilter{{Dev: "eth0", Direction: "egress", Protocol: "all", Pref: 49152, Kind: "bpf", Handle: "0x1",
			Name: "cali_tc_preambl:[61]", DirectAction: true, NotInHW: true, ProgID: 61, ProgName: "cali_tc_preambl", Tag: "4add0302745d594c", Jited: true}})
	})
}
