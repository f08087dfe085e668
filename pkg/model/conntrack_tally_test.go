package model

import "testing"

func TestTallyCountsLikeCalicoStats(t *testing.T) {
	var s ConntrackStats
	for _, e := range []ConntrackEntry{
		{Type: ConntrackNormal, Proto: ProtoName(ProtoTCP), TCPState: TCPEstablished},
		{Type: ConntrackNATReverse, Proto: ProtoName(ProtoTCP), TCPState: TCPSynSent},
		{Type: ConntrackNATForward, Proto: ProtoName(ProtoTCP)},
		{Type: ConntrackNormal, Proto: ProtoName(ProtoUDP)},
		{Type: ConntrackNormal, Proto: ProtoName(ProtoICMP)},
		{Type: ConntrackNormal, Proto: ProtoName(ProtoTCP), TCPState: TCPReset},
	} {
		s.Tally(e)
	}
	want := ConntrackStats{TotalEntries: 6, TotalConnections: 5, NATConnections: 1, TCP: 3, UDP: 1, Others: 1,
		TCPEstablished: 1, TCPSynSent: 1, TCPReset: 1}
	if s != want {
		t.Errorf("tally = %+v\nwant    %+v", s, want)
	}
}
