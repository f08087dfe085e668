package parse

import (
	"strings"
	"testing"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/model"
)

// Raw conntrack layouts the real fixtures do not cover, written from the
// format strings of each version (reference §2.3.3): leg and entry fields,
// flag encodings, and the NAT forward body.
func TestConntrackRawLayouts(t *testing.T) {
	estLegA := model.Leg{Seqno: 1001, SynSeen: true, AckSeen: true, Approved: true, Opener: true, IfIndex: 12}
	estLegB := model.Leg{Seqno: 2002, SynSeen: true, AckSeen: true, Approved: true, IfIndex: 2}
	tests := []struct {
		name string
		line string
		want model.ConntrackEntry
	}{{
		name: "v3.13 leg without Ifindex",
		line: "ConntrackKey{proto=6 10.65.0.5:43210 <-> 10.65.1.7:8080} -> Entry{Type:0, Created:100, LastSeen:200, Flags: <none> Data: {A2B:{Seqno:1001 SynSeen:true AckSeen:true FinSeen:false RstSeen:false Whitelisted:true Opener:true} B2A:{Seqno:2002 SynSeen:true AckSeen:true FinSeen:false RstSeen:false Whitelisted:true Opener:false} OrigDst:0.0.0.0 OrigPort:0 TunIP:0.0.0.0}} Age: 1m3.26s Active ago 3.26s ESTABLISHED",
		want: model.ConntrackEntry{
			Type: model.ConntrackNormal, Proto: model.ProtoName(model.ProtoTCP),
			Src: ap("10.65.0.5:43210"), Dst: ap("10.65.1.7:8080"),
			AddrA: ip("10.65.0.5"), PortA: 43210, AddrB: ip("10.65.1.7"), PortB: 8080,
			Created: 100, LastSeen: 200, Age: dur("1m3.26s"), ActiveAgo: dur("3.26s"), TCPState: model.TCPEstablished,
			A2B: model.Leg{Seqno: 1001, SynSeen: true, AckSeen: true, Approved: true, Opener: true},
			B2A: model.Leg{Seqno: 2002, SynSeen: true, AckSeen: true, Approved: true},
		},
	}, {
		name: "v3.16 NAT forward with REVKey space colon and flag words",
		line: "ConntrackKey{proto=6 10.65.0.5:51000 <-> 10.96.0.1:443} -> Entry{Type:1, Created:2109524083917, LastSeen:2169524083917, Flags: nat-out fwd-dsr REVKey : ConntrackKey{proto=6 10.65.0.5:51000 <-> 192.168.1.10:6443}} Age: 1m4.26s Active ago 4.26s",
		want: model.ConntrackEntry{
			Type: model.ConntrackNATForward, Proto: model.ProtoName(model.ProtoTCP),
			Src: ap("10.65.0.5:51000"), Dst: ap("10.96.0.1:443"),
			AddrA: ip("10.65.0.5"), PortA: 51000, AddrB: ip("10.96.0.1"), PortB: 443,
			Flags:    model.CTNATOut | model.CTFwdDSR,
			RevProto: model.ProtoName(model.ProtoTCP), RevAddrA: ip("10.65.0.5"), RevPortA: 51000, RevAddrB: ip("192.168.1.10"), RevPortB: 6443,
			Created: 2109524083917, LastSeen: 2169524083917, Age: dur("1m4.26s"), ActiveAgo: dur("4.26s"),
		},
	}, {
		name: "v3.16 opener on B without any B-A flag",
		line: "ConntrackKey{proto=6 10.0.1.20:6443 <-> 10.0.100.241:35510} -> Entry{Type:0, Created:1, LastSeen:2, Flags: <none> Data: {A2B:{Seqno:1 SynSeen:true AckSeen:true FinSeen:false RstSeen:false Whitelisted:false Opener:false Ifindex:0} B2A:{Seqno:2 SynSeen:true AckSeen:true FinSeen:false RstSeen:false Whitelisted:true Opener:true Ifindex:2} OrigDst:0.0.0.0 OrigPort:0 TunIP:0.0.0.0}} Age: 2s Active ago 1s ESTABLISHED",
		want: model.ConntrackEntry{
			Type: model.ConntrackNormal, Proto: model.ProtoName(model.ProtoTCP),
			Src: ap("10.0.100.241:35510"), Dst: ap("10.0.1.20:6443"),
			AddrA: ip("10.0.1.20"), PortA: 6443, AddrB: ip("10.0.100.241"), PortB: 35510,
			Created: 1, LastSeen: 2, Age: dur("2s"), ActiveAgo: dur("1s"), TCPState: model.TCPEstablished,
			A2B: model.Leg{Seqno: 1, SynSeen: true, AckSeen: true},
			B2A: model.Leg{Seqno: 2, SynSeen: true, AckSeen: true, Approved: true, Opener: true, IfIndex: 2},
		},
	}, {
		name: "v3.21 words np-fwd skip-fib ext-local, REVKey: with NATSPort",
		line: "ConntrackKey{proto=17 192.168.1.11:30053 <-> 203.0.113.50:40000} -> Entry{Type:1, Created:10, LastSeen:20, Flags: np-fwd skip-fib ext-local REVKey: ConntrackKey{proto=17 10.65.2.9:53 <-> 203.0.113.50:40000} NATSPort: 20123} Age: 7s Active ago 7s",
		want: model.ConntrackEntry{
			Type: model.ConntrackNATForward, Proto: model.ProtoName(model.ProtoUDP),
			Src: ap("192.168.1.11:30053"), Dst: ap("203.0.113.50:40000"),
			AddrA: ip("192.168.1.11"), PortA: 30053, AddrB: ip("203.0.113.50"), PortB: 40000,
			Flags:    model.CTNPFwd | model.CTSkipFIB | model.CTExtLocal,
			RevProto: model.ProtoName(model.ProtoUDP), RevAddrA: ip("10.65.2.9"), RevPortA: 53, RevAddrB: ip("203.0.113.50"), RevPortB: 40000,
			NATSPort: 20123, Created: 10, LastSeen: 20, Age: dur("7s"), ActiveAgo: dur("7s"),
		},
	}, {
		name: "v3.21 reverse with OrigSPort and a tunnel IP",
		line: "ConntrackKey{proto=6 10.65.2.9:8080 <-> 203.0.113.50:40000} -> Entry{Type:2, Created:1, LastSeen:2, Flags: np-fwd Data: {A2B:{Seqno:1001 SynSeen:true AckSeen:true FinSeen:false RstSeen:false Whitelisted:true Opener:true Ifindex:12} B2A:{Seqno:2002 SynSeen:true AckSeen:true FinSeen:false RstSeen:false Whitelisted:true Opener:false Ifindex:2} OrigDst:192.168.1.11 OrigPort:30080 OrigSPort:36000 TunIP:192.168.1.12}} Age: 1m7s Active ago 7s ESTABLISHED",
		want: model.ConntrackEntry{
			Type: model.ConntrackNATReverse, Proto: model.ProtoName(model.ProtoTCP),
			Src: ap("10.65.2.9:8080"), Dst: ap("203.0.113.50:40000"), OrigDst: ap("192.168.1.11:30080"), TunnelIP: ip("192.168.1.12"), OrigSrcPort: 36000,
			AddrA: ip("10.65.2.9"), PortA: 8080, AddrB: ip("203.0.113.50"), PortB: 40000,
			Flags: model.CTNPFwd, Created: 1, LastSeen: 2, Age: dur("1m7s"), ActiveAgo: dur("7s"), TCPState: model.TCPEstablished,
			A2B: estLegA, B2A: estLegB,
		},
	}, {
		name: "v3.23 hex flags decide: via-nat-iface has no word yet",
		line: "ConntrackKey{proto=6 10.65.0.5:43210 <-> 10.65.1.7:8080} -> Entry{Type:0, Created:1, LastSeen:2, Flags: 0x84 np-fwd Data: {A2B:{Seqno:1001 SynSeen:true AckSeen:true FinSeen:false RstSeen:false Whitelisted:true Opener:true Ifindex:12} B2A:{Seqno:2002 SynSeen:true AckSeen:true FinSeen:false RstSeen:false Whitelisted:true Opener:false Ifindex:2} OrigDst:0.0.0.0 OrigPort:0 OrigSPort:0 TunIP:0.0.0.0}} Age: 2s Active ago 1s ESTABLISHED",
		want: model.ConntrackEntry{
			Type: model.ConntrackNormal, Proto: model.ProtoName(model.ProtoTCP),
			Src: ap("10.65.0.5:43210"), Dst: ap("10.65.1.7:8080"),
			AddrA: ip("10.65.0.5"), PortA: 43210, AddrB: ip("10.65.1.7"), PortB: 8080,
			Flags: model.CTNPFwd | model.CTViaNATIface, Created: 1, LastSeen: 2, Age: dur("2s"), ActiveAgo: dur("1s"), TCPState: model.TCPEstablished,
			A2B: estLegA, B2A: estLegB,
		},
	}, {
		name: "v3.24 Bytes, Whitelisted, OrigSrc and B-A",
		line: "ConntrackKey{proto=6 10.65.0.5:9090 <-> 10.65.2.9:51514} -> Entry{Type:0, Created:1, LastSeen:2, Flags: 0x100 B-A Data: {A2B:{Bytes:88012 Packets:19 Seqno:4004 SynSeen:true AckSeen:true FinSeen:false RstSeen:false Whitelisted:true Opener:true Ifindex:2} B2A:{Bytes:15230 Packets:21 Seqno:3003 SynSeen:true AckSeen:true FinSeen:false RstSeen:false Whitelisted:true Opener:false Ifindex:12} OrigDst:0.0.0.0 OrigSrc:10.65.9.9 OrigPort:0 OrigSPort:0 TunIP:0.0.0.0}} Age: 1m12s Active ago 12s ESTABLISHED",
		want: model.ConntrackEntry{
			Type: model.ConntrackNormal, Proto: model.ProtoName(model.ProtoTCP),
			Src: ap("10.65.2.9:51514"), Dst: ap("10.65.0.5:9090"), OrigSrc: ip("10.65.9.9"),
			AddrA: ip("10.65.0.5"), PortA: 9090, AddrB: ip("10.65.2.9"), PortB: 51514,
			Flags: model.CTSrcDstBA, Created: 1, LastSeen: 2, Age: dur("1m12s"), ActiveAgo: dur("12s"), TCPState: model.TCPEstablished,
			A2B: model.Leg{Bytes: 88012, Packets: 19, Seqno: 4004, SynSeen: true, AckSeen: true, Approved: true, Opener: true, IfIndex: 2},
			B2A: model.Leg{Bytes: 15230, Packets: 21, Seqno: 3003, SynSeen: true, AckSeen: true, Approved: true, IfIndex: 12},
		},
	}, {
		name: "v3.26 prints no-dsr for np-remote: the hex value wins",
		line: "ConntrackKey{proto=17 10.65.0.5:5353 <-> 10.65.2.9:5353} -> Entry{Type:0, Created:1, LastSeen:2, Flags: 0x1000 no-dsr Data: {A2B:{Bytes:1 Packets:1 Seqno:0 SynSeen:false AckSeen:false FinSeen:false RstSeen:false Approved:true Opener:true Ifindex:12} B2A:{Bytes:0 Packets:0 Seqno:0 SynSeen:false AckSeen:false FinSeen:false RstSeen:false Approved:false Opener:false Ifindex:0} OrigDst:0.0.0.0 OrigSrc:0.0.0.0 OrigPort:0 OrigSPort:0 TunIP:0.0.0.0}} Age: 1m1.5s Active ago 1.5s",
		want: model.ConntrackEntry{
			Type: model.ConntrackNormal, Proto: model.ProtoName(model.ProtoUDP),
			Src: ap("10.65.0.5:5353"), Dst: ap("10.65.2.9:5353"),
			AddrA: ip("10.65.0.5"), PortA: 5353, AddrB: ip("10.65.2.9"), PortB: 5353,
			Flags: model.CTNPRemote, Created: 1, LastSeen: 2, Age: dur("1m1.5s"), ActiveAgo: dur("1.5s"),
			A2B: model.Leg{Bytes: 1, Packets: 1, Approved: true, Opener: true, IfIndex: 12},
		},
	}, {
		name: "decimal flags with no space (Calico Enterprise 2021)",
		line: "ConntrackKey{proto=17 10.48.7.66:53 <-> 10.48.32.195:46851} -> Entry{Type:0, Created:3, LastSeen:4, Flags:16 Data: {A2B:{Bytes:504 Packets:2 Seqno:0 SynSeen:false AckSeen:false FinSeen:false RstSeen:false Whitelisted:true Opener:false Ifindex:0} B2A:{Bytes:278 Packets:2 Seqno:0 SynSeen:false AckSeen:false FinSeen:false RstSeen:false Whitelisted:true Opener:true Ifindex:11} OrigDst:0.0.0.0 OrigPort:0 TunIP:0.0.0.0}} Age: 48.237002075s Active ago 48.236252171s",
		want: model.ConntrackEntry{
			Type: model.ConntrackNormal, Proto: model.ProtoName(model.ProtoUDP),
			Src: ap("10.48.32.195:46851"), Dst: ap("10.48.7.66:53"),
			AddrA: ip("10.48.7.66"), PortA: 53, AddrB: ip("10.48.32.195"), PortB: 46851,
			Flags: 16, Created: 3, LastSeen: 4, Age: dur("48.237002075s"), ActiveAgo: dur("48.236252171s"),
			A2B: model.Leg{Bytes: 504, Packets: 2, Approved: true},
			B2A: model.Leg{Bytes: 278, Packets: 2, Approved: true, Opener: true, IfIndex: 11},
		},
	}, {
		name: "v3.30+ without Created, Workload in legs, RESET",
		line: "ConntrackKey{proto=6 fd00:10:65::5:40003 <-> fd00:10:65:1::7:8081} -> Entry{Type:0, LastSeen:5, Flags: <none> Data: {A2B:{Bytes:1 Packets:1 Seqno:7 SynSeen:true AckSeen:true FinSeen:false RstSeen:false Approved:true Opener:true Workload:true Ifindex:12} B2A:{Bytes:2 Packets:2 Seqno:8 SynSeen:true AckSeen:true FinSeen:false RstSeen:true Approved:true Opener:false Workload:false Ifindex:2} OrigDst::: OrigSrc::: OrigPort:0 OrigSPort:0 TunIP:::}} Active ago 5.5s RESET",
		want: model.ConntrackEntry{
			Type: model.ConntrackNormal, Proto: model.ProtoName(model.ProtoTCP),
			Src: ap("[fd00:10:65::5]:40003"), Dst: ap("[fd00:10:65:1::7]:8081"),
			AddrA: ip("fd00:10:65::5"), PortA: 40003, AddrB: ip("fd00:10:65:1::7"), PortB: 8081,
			LastSeen: 5, ActiveAgo: dur("5.5s"), TCPState: model.TCPReset,
			A2B: model.Leg{Bytes: 1, Packets: 1, Seqno: 7, SynSeen: true, AckSeen: true, Approved: true, Opener: true, Workload: true, IfIndex: 12},
			B2A: model.Leg{Bytes: 2, Packets: 2, Seqno: 8, SynSeen: true, AckSeen: true, RstSeen: true, Approved: true, IfIndex: 2},
		},
	}, {
		name: "invalid type",
		line: "ConntrackKey{proto=47 10.0.0.1:0 <-> 10.0.0.2:0} -> Entry{Type:5, Created:1, LastSeen:2, Flags: <none> TYPE INVALID} Age: 1s Active ago 1s",
		want: model.ConntrackEntry{
			Type: 5, Proto: 47, Src: ap("10.0.0.1:0"), Dst: ap("10.0.0.2:0"),
			AddrA: ip("10.0.0.1"), AddrB: ip("10.0.0.2"), Created: 1, LastSeen: 2, Age: dur("1s"), ActiveAgo: dur("1s"),
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := mustDecode(t, Conntrack, tt.line+"\n")
			checkRows(t, got, []model.ConntrackEntry{tt.want})
		})
	}
}

func TestConntrackPrettyForms(t *testing.T) {
	tests := []struct {
		name, line string
		want       model.ConntrackEntry
	}{{
		name: "v3.28 with Age",
		line: "TCP 10.65.0.5:40002 -> 10.65.1.7:8080  Age: 1m20.113857049s Active ago 20.113857049s CLOSED",
		want: model.ConntrackEntry{Proto: model.ProtoName(model.ProtoTCP), Src: ap("10.65.0.5:40002"), Dst: ap("10.65.1.7:8080"),
			Age: dur("1m20.113857049s"), ActiveAgo: dur("20.113857049s"), TCPState: model.TCPClosed},
	}, {
		name: "v3.30 NAT via another node",
		line: "TCP 203.0.113.50:40000 -> 192.168.1.11:30080 -> 10.65.2.9:8080 external client, service forwarded to/from 192.168.1.12  Active ago 7.481125885s ESTABLISHED",
		want: model.ConntrackEntry{Type: model.ConntrackNATReverse, Proto: model.ProtoName(model.ProtoTCP),
			Src: ap("203.0.113.50:40000"), Dst: ap("10.65.2.9:8080"), OrigDst: ap("192.168.1.11:30080"), TunnelIP: ip("192.168.1.12"),
			ActiveAgo: dur("7.481125885s"), TCPState: model.TCPEstablished},
	}, {
		name: "host PSNAT",
		line: "TCP 192.168.1.11:20123 -> 10.96.12.34:443 -> 10.65.1.8:8443 source port changed from 36000  Active ago 9.481212798s ESTABLISHED",
		want: model.ConntrackEntry{Type: model.ConntrackNATReverse, Proto: model.ProtoName(model.ProtoTCP),
			Src: ap("192.168.1.11:20123"), Dst: ap("10.65.1.8:8443"), OrigDst: ap("10.96.12.34:443"), OrigSrcPort: 36000,
			ActiveAgo: dur("9.481212798s"), TCPState: model.TCPEstablished},
	}, {
		name: "IPv6 unbracketed",
		line: "TCP fd00:10:65::5:52000 -> fd00:10:96::1:443 -> fd00:192:168:1::10:6443  Age: 1m4.170984082s Active ago 4.170984082s ESTABLISHED",
		want: model.ConntrackEntry{Type: model.ConntrackNATReverse, Proto: model.ProtoName(model.ProtoTCP),
			Src: ap("[fd00:10:65::5]:52000"), Dst: ap("[fd00:192:168:1::10]:6443"), OrigDst: ap("[fd00:10:96::1]:443"),
			Age: dur("1m4.170984082s"), ActiveAgo: dur("4.170984082s"), TCPState: model.TCPEstablished},
	}, {
		name: "ICMP6 and an unknown protocol",
		line: "ICMP6 fd00::1:0 -> fd00::2:0  Active ago 850ms",
		want: model.ConntrackEntry{Proto: model.ProtoName(model.ProtoICMPv6), Src: ap("[fd00::1]:0"), Dst: ap("[fd00::2]:0"), ActiveAgo: dur("850ms")},
	}, {
		name: "master's Proto-N",
		line: "Proto-132 10.0.0.1:5000 -> 10.0.0.2:5000  Active ago 12.345µs",
		want: model.ConntrackEntry{Proto: model.ProtoName(model.ProtoSCTP), Src: ap("10.0.0.1:5000"), Dst: ap("10.0.0.2:5000"), ActiveAgo: dur("12.345µs")},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkRows(t, mustDecode(t, Conntrack, tt.line+"\n"), []model.ConntrackEntry{tt.want})
		})
	}
}

// The 2021 Calico Enterprise sample: a prompt with a pipe, four-space paste
// indentation, blank lines between entries, Bytes with Whitelisted, decimal flags.
func TestConntrackRunbookSample(t *testing.T) {
	rows := mustDecode(t, Conntrack, handwritten(t, "conntrack-raw-runbook-2021.txt"))
	if len(rows) != 3 {
		t.Fatalf("got %d rows, want 3", len(rows))
	}
	// The first entry: B (10.0.100.241:35510) opened; both sides saw FIN.
	if rows[0].Src != ap("10.0.100.241:35510") || rows[0].TCPState != model.TCPClosed || !rows[0].B2A.Approved || rows[0].A2B.Approved {
		t.Errorf("row 0: %+v", rows[0])
	}
	if rows[1].Type != model.ConntrackNATReverse || rows[1].OrigDst != ap("10.0.1.20:30003") {
		t.Errorf("row 1: %+v", rows[1])
	}
	if rows[2].Flags != 16 || rows[2].TCPState != model.TCPNone || rows[2].B2A.IfIndex != 11 {
		t.Errorf("row 2: %+v", rows[2])
	}
}

func TestConntrackUnknownFieldsWarnButKeepTheRow(t *testing.T) {
	line := "ConntrackKey{proto=6 10.0.0.1:1 <-> 10.0.0.2:2} -> Entry{Type:0, LastSeen:2, Flags: 0x1 nat-out shiny-new Data: {A2B:{Seqno:1 Sparkle:9 Opener:true} B2A:{Seqno:2} OrigDst:0.0.0.0 Future:1 TunIP:0.0.0.0}} Active ago 1s\n"
	rows, rep, err := decodeString(t, Conntrack, line, Options{})
	if err != nil || len(rows) != 1 {
		t.Fatalf("rows %d err %v", len(rows), err)
	}
	if rows[0].Flags != model.CTNATOut || rows[0].A2B.Seqno != 1 || rows[0].B2A.Seqno != 2 {
		t.Errorf("row: %+v", rows[0])
	}
	if len(rep.Warnings) != 1 || !strings.Contains(rep.Warnings[0].Reason, "unknown conntrack flag shiny-new") {
		t.Errorf("warnings: %+v", rep.Warnings)
	}
}
