package model

// Tally adds one dump entry to the statistics, counting as Calico's `conntrack stats` does:
// every map entry is an entry; a NAT forward entry is the second half of a NAT'd connection,
// so it counts towards NAT connections but not towards connections; protocols and TCP states
// are counted per connection. It lets the plugin give the same statistics for versions
// before v3.30, which have no `conntrack stats`.
func (s *ConntrackStats) Tally(e ConntrackEntry) {
	s.TotalEntries++
	if e.Type == ConntrackNATForward {
		s.NATConnections++
		return
	}
	s.TotalConnections++
	switch e.Proto.Proto() {
	case ProtoTCP:
		s.TCP++
		switch e.TCPState {
		case TCPEstablished:
			s.TCPEstablished++
		case TCPClosed:
			s.TCPClosed++
		case TCPReset:
			s.TCPReset++
		case TCPSynSent:
			s.TCPSynSent++
		}
	case ProtoUDP:
		s.UDP++
	default:
		s.Others++
	}
}
