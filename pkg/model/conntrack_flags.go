package model

// ConntrackFlags are the conntrack value flags, with Calico's bit values.
//
// Decide from the bits, not from Calico's words: from v3.26 to v3.30 (and in
// IPv6 dumps up to v3.32.1) Calico prints "no-dsr" when np-remote is set.
type ConntrackFlags uint32

// Conntrack flag bits.
const (
	CTNATOut        ConntrackFlags = 0x1
	CTFwdDSR        ConntrackFlags = 0x2
	CTNPFwd         ConntrackFlags = 0x4
	CTSkipFIB       ConntrackFlags = 0x8
	CTExtLocal      ConntrackFlags = 0x40
	CTViaNATIface   ConntrackFlags = 0x80
	CTSrcDstBA      ConntrackFlags = 0x100 // "B-A": the connection was opened by B
	CTHostPSNAT     ConntrackFlags = 0x200
	CTSvcSelf       ConntrackFlags = 0x400
	CTNPLoop        ConntrackFlags = 0x800
	CTNPRemote      ConntrackFlags = 0x1000
	CTNoDSR         ConntrackFlags = 0x2000
	CTNoRedirPeer   ConntrackFlags = 0x4000
	CTDSCP          ConntrackFlags = 0x8000 // v3.32+; the same bit was "cluster-external" in v3.31
	CTMaglev        ConntrackFlags = 0x10000
	CTSendRST       ConntrackFlags = 0x20000
	CTConnlimitIn   ConntrackFlags = 0x40000
	CTConnlimitInRj ConntrackFlags = 0x80000
	CTConnlimitOut  ConntrackFlags = 0x100000
	CTConnlimitDec  ConntrackFlags = 0x200000
)

var conntrackWords = []flagWord[ConntrackFlags]{
	{CTNATOut, "nat-out"},
	{CTFwdDSR, "fwd-dsr"},
	{CTNPFwd, "np-fwd"},
	{CTSkipFIB, "skip-fib"},
	{CTExtLocal, "ext-local"},
	{CTViaNATIface, "via-nat-iface"},
	{CTSrcDstBA, "B-A"},
	{CTHostPSNAT, "host-psnat"},
	{CTSvcSelf, "svc-self"},
	{CTNPLoop, "np-loop"},
	{CTNPRemote, "np-remote"},
	{CTNoDSR, "no-dsr"},
	{CTNoRedirPeer, "no-redir-peer"},
	{CTDSCP, "dscp"},
	{CTMaglev, "maglev"},
	{CTSendRST, "send-rst"},
	{CTConnlimitIn, "connlimit-in"},
	{CTConnlimitInRj, "connlimit-in-rej"},
	{CTConnlimitOut, "connlimit-out"},
	{CTConnlimitDec, "connlimit-dec"},
}

// Has reports whether all bits of f are set.
func (c ConntrackFlags) Has(f ConntrackFlags) bool { return c&f == f }

// Words lists the set flags with Calico's JSON words; unknown bits appear as "0x…".
func (c ConntrackFlags) Words() []string { return wordsOf(c, conntrackWords) }

// Hex writes the value as Calico's text dump does ("0x104").
func (c ConntrackFlags) Hex() string { return "0x" + utoa16(uint64(c)) }

// ParseConntrackWord returns the bit of one of Calico's words. The v3.31
// JSON word "cluster-external" shares its bit with "dscp".
func ParseConntrackWord(word string) (ConntrackFlags, bool) {
	if word == "cluster-external" {
		return CTDSCP, true
	}
	return bitOf(word, conntrackWords)
}

// ConntrackWord is ParseConntrackWord for a word in a byte slice, without allocating.
func ConntrackWord(word []byte) (ConntrackFlags, bool) {
	if string(word) == "cluster-external" {
		return CTDSCP, true
	}
	return bitOfBytes(word, conntrackWords)
}

// MarshalJSON writes the words array, or null when no flag is set (as Calico does).
func (c ConntrackFlags) MarshalJSON() ([]byte, error) { return marshalWords(c.Words()) }

// UnmarshalJSON reads a words array.
func (c *ConntrackFlags) UnmarshalJSON(b []byte) error {
	tbl := append([]flagWord[ConntrackFlags]{{CTDSCP, "cluster-external"}}, conntrackWords...)
	v, err := unmarshalWords(b, tbl, "conntrack")
	if err != nil {
		return err
	}
	*c = v
	return nil
}
