package felixconfig

// Kind is how a field's value is written and checked.
type Kind int

const (
	KindBool       Kind = iota
	KindInt             // whole number in [Min, Max]
	KindEnum            // one of Values; input is matched case-insensitively and written canonically
	KindDuration        // Go duration ("1s", "500ms"), stored as a string like metav1.Duration
	KindRegexp          // RE2 regular expression, as Felix compiles it
	KindCIDRList        // list of CIDRs (or bare addresses); input comma-separated
	KindIfaceList       // list of interface names, a trailing "+" matching a prefix; input comma-separated
	KindPortRange       // "MIN:MAX" (or one port)
	KindLogFilters      // map interface → pcap filter expression
	KindCTTimeouts      // conntrack timers: map of timer name → duration or "Auto"
)

func (k Kind) String() string {
	return [...]string{"bool", "int", "enum", "duration", "regexp", "cidr-list", "iface-list", "port-range", "map", "timeouts"}[k]
}

// Band is a default that holds from a Calico version on (until the next band's From).
type Band struct {
	From  string // first release with this default, e.g. "v3.26.0"
	Value string // as the user would write it; "" means none
}

// Field is one FelixConfiguration bpf* field.
type Field struct {
	// Name is the JSON name under spec.
	Name string
	Kind Kind
	// Values are the allowed values of an enum, spelt as the API spells them.
	Values []string
	// ValueSince names values that came later than the field ("Loose" of bpfEnforceRPF).
	ValueSince map[string]string
	// Min and Max bound a KindInt.
	Min, Max int64
	// Defaults, oldest first. Empty: the field has no default (unset means off or nothing).
	Defaults []Band
	// Since is the first Calico release whose Felix reads the field.
	Since string
	// Removed is the first release whose Felix no longer reads it ("" if it still does).
	Removed string
	// Aliases are other names users know it by: Felix's parameter name where it differs.
	Aliases []string
	// Note is shown by `config get -o wide` (deprecations, operator ownership).
	Note string
	// OperatorOwned fields are written by the Tigera operator; the plugin refuses to write them
	// on operator installs (reference §4.1).
	OperatorOwned bool
}

func band(from, value string) Band { return Band{From: from, Value: value} }

func one(value string) []Band { return []Band{band("v0.0.0", value)} }

// TimeoutKeys are the conntrack timers of bpfConntrackTimeouts with their defaults.
var TimeoutKeys = []Band{
	{"creationGracePeriod", "10s"}, {"tcpSynSent", "20s"}, {"tcpEstablished", "1h"}, {"tcpFinsSeen", "Auto"},
	{"tcpResetSeen", "40s"}, {"udpTimeout", "60s"}, {"genericTimeout", "10m"}, {"icmpTimeout", "5s"},
}

func timeoutDefaults() string {
	s := ""
	for i, k := range TimeoutKeys {
		if i > 0 {
			s += ","
		}
		s += k.From + "=" + k.Value
	}
	return s
}

const (
	maxUint32 = 1<<32 - 1
	maxInt    = 1<<31 - 1
)

// Fields is the catalogue, from the reference's §4.2 (defaults from Felix's config_params.go,
// JSON names from the v3 API type, "since" from the first release that reads the field).
var Fields = []Field{
	{Name: "bpfEnabled", Kind: KindBool, Defaults: one("false"), Since: "v3.13.0", OperatorOwned: true,
		Note: "on operator installs the operator sets it after rolling out calico-node; use enable/disable"},
	{Name: "bpfDisableUnprivileged", Kind: KindBool, Defaults: one("true"), Since: "v3.14.0"},
	{Name: "bpfJITHardening", Kind: KindEnum, Values: []string{"Auto", "Strict"}, Defaults: one("Auto"), Since: "v3.31.0"},
	{Name: "bpfLogLevel", Kind: KindEnum, Values: []string{"Off", "Info", "Debug"}, Defaults: one("Off"), Since: "v3.13.0",
		Note: "Debug logs every packet to the BPF trace pipe: costly, switch it back (debug off, debug --for)"},
	{Name: "bpfConntrackLogLevel", Kind: KindEnum, Values: []string{"Off", "Debug"}, Defaults: one("Off"), Since: "v3.30.0"},
	{Name: "bpfConntrackMode", Kind: KindEnum, Values: []string{"Auto", "Userspace", "BPFProgram"}, Defaults: one("Auto"), Since: "v3.30.0",
		Aliases: []string{"BPFConntrackCleanupMode"}, Note: "Felix v3.31+ uses Userspace whenever BPF is on"},
	{Name: "bpfConntrackTimeouts", Kind: KindCTTimeouts, Defaults: one(timeoutDefaults()), Since: "v3.30.0"},
	{Name: "bpfLogFilters", Kind: KindLogFilters, Since: "v3.27.0",
		Note: "interface (or all, weps, heps) → pcap filter; unset: every packet is logged at Debug"},
	{Name: "bpfCTLBLogFilter", Kind: KindEnum, Values: []string{"all"}, Since: "v3.27.0",
		Note: "all: log connect-time load balancing too when bpfLogFilters is set"},
	{Name: "bpfDataIfacePattern", Kind: KindRegexp, Since: "v3.13.0", Defaults: []Band{
		band("v3.13.0", `^(en.*|eth.*|tunl0$)`),
		band("v3.16.0", `^(en.*|eth.*|tunl0$|wireguard.cali$)`),
		band("v3.16.1", `^(en[opsx].*|eth.*|tunl0$|wireguard.cali$)`),
		band("v3.17.0", `^((en|wl|ww|sl|ib)[opsx].*|(eth|wlan|wwan).*|tunl0$|wireguard.cali$)`),
		band("v3.20.0", `^((en|wl|ww|sl|ib)[opsx].*|(eth|wlan|wwan).*|tunl0$|vxlan.calico$|wireguard.cali$)`),
		band("v3.24.0", `^((en|wl|ww|sl|ib)[opsx].*|(eth|wlan|wwan).*|tunl0$|vxlan.calico$|wireguard.cali$|wg-v6.cali$)`),
		band("v3.25.0", `^((en|wl|ww|sl|ib)[Popsx].*|(eth|wlan|wwan).*|tunl0$|vxlan.calico$|wireguard.cali$|wg-v6.cali$)`),
		band("v3.27.0", `^((en|wl|ww|sl|ib)[Popsx].*|(eth|wlan|wwan).*|tunl0$|vxlan.calico$|vxlan-v6.calico$|wireguard.cali$|wg-v6.cali$)`),
		band("v3.28.1", `^((en|wl|ww|sl|ib)[Popsx].*|(eth|wlan|wwan|bond).*|tunl0$|vxlan.calico$|vxlan-v6.calico$|wireguard.cali$|wg-v6.cali$)`),
		band("v3.30.0", `^((en|wl|ww|sl|ib)[Popsx].*|(eth|wlan|wwan|bond).*)`),
	}},
	{Name: "bpfL3IfacePattern", Kind: KindRegexp, Since: "v3.25.0"},
	{Name: "bpfConnectTimeLoadBalancingEnabled", Kind: KindBool, Since: "v3.13.0", Defaults: []Band{band("v3.13.0", "true"), band("v3.27.0", "")},
		Note: "deprecated: no effect from v3.27, use bpfConnectTimeLoadBalancing"},
	{Name: "bpfConnectTimeLoadBalancing", Kind: KindEnum, Values: []string{"TCP", "Enabled", "Disabled"}, Defaults: one("TCP"), Since: "v3.27.0"},
	{Name: "bpfHostNetworkedNATWithoutCTLB", Kind: KindEnum, Values: []string{"Enabled", "Disabled"}, Defaults: one("Enabled"), Since: "v3.27.0"},
	{Name: "bpfExternalServiceMode", Kind: KindEnum, Values: []string{"Tunnel", "DSR"}, Defaults: one("Tunnel"), Since: "v3.13.0",
		Note: "DSR: replies leave the backend's node directly; the network must allow the service IP as source"},
	{Name: "bpfDSROptoutCIDRs", Kind: KindCIDRList, Since: "v3.26.0", Note: "clients in these CIDRs get Tunnel even in DSR mode"},
	{Name: "bpfExtToServiceConnmark", Kind: KindInt, Min: 0, Max: maxUint32, Defaults: one("0"), Since: "v3.19.0"},
	{Name: "bpfKubeProxyIptablesCleanupEnabled", Kind: KindBool, Defaults: one("true"), Since: "v3.13.0"},
	{Name: "bpfKubeProxyMinSyncPeriod", Kind: KindDuration, Defaults: one("1s"), Since: "v3.13.0"},
	{Name: "bpfKubeProxyHealthzPort", Kind: KindInt, Min: 0, Max: 65535, Defaults: one("10256"), Since: "v3.30.5"},
	{Name: "bpfKubeProxyEndpointSlicesEnabled", Kind: KindBool, Since: "v3.15.0", Removed: "v3.32.0",
		Defaults: []Band{band("v3.15.0", "false"), band("v3.23.0", "true")}},
	{Name: "bpfPSNATPorts", Kind: KindPortRange, Defaults: one("20000:29999"), Since: "v3.21.0"},
	{Name: "bpfMapSizeNATFrontend", Kind: KindInt, Min: 1, Max: maxInt, Defaults: one("65536"), Since: "v3.23.0"},
	{Name: "bpfMapSizeNATBackend", Kind: KindInt, Min: 1, Max: maxInt, Defaults: one("262144"), Since: "v3.23.0"},
	{Name: "bpfMapSizeNATAffinity", Kind: KindInt, Min: 1, Max: maxInt, Defaults: one("65536"), Since: "v3.23.0"},
	{Name: "bpfMapSizeRoute", Kind: KindInt, Min: 1, Max: maxInt, Defaults: one("262144"), Since: "v3.23.0"},
	{Name: "bpfMapSizeConntrack", Kind: KindInt, Min: 1, Max: maxInt, Defaults: one("512000"), Since: "v3.23.0"},
	{Name: "bpfMapSizeIPSets", Kind: KindInt, Min: 1, Max: maxInt, Defaults: one("1048576"), Since: "v3.23.0"},
	{Name: "bpfMapSizeIfState", Kind: KindInt, Min: 1, Max: maxInt, Defaults: one("1000"), Since: "v3.24.0"},
	{Name: "bpfMapSizePerCpuConntrack", Kind: KindInt, Min: 0, Max: maxInt, Defaults: one("0"), Since: "v3.30.0"},
	{Name: "bpfMapSizeConntrackScaling", Kind: KindEnum, Values: []string{"Disabled", "DoubleIfFull"}, Defaults: one("DoubleIfFull"), Since: "v3.30.0"},
	{Name: "bpfMapSizeConntrackCleanupQueue", Kind: KindInt, Min: 1, Max: maxInt, Defaults: one("100000"), Since: "v3.30.0"},
	{Name: "bpfHostConntrackBypass", Kind: KindBool, Since: "v3.23.0", Defaults: []Band{band("v3.23.0", "true"), band("v3.30.0", "false")}},
	{Name: "bpfEnforceRPF", Kind: KindEnum, Values: []string{"Disabled", "Strict", "Loose"}, ValueSince: map[string]string{"Loose": "v3.25.0"},
		Since: "v3.23.0", Defaults: []Band{band("v3.23.0", "Strict"), band("v3.26.0", "Loose")}},
	{Name: "bpfPolicyDebugEnabled", Kind: KindBool, Defaults: one("true"), Since: "v3.24.0"},
	{Name: "bpfForceTrackPacketsFromIfaces", Kind: KindIfaceList, Defaults: one("docker+"), Since: "v3.27.0"},
	{Name: "bpfDisableGROForIfaces", Kind: KindRegexp, Since: "v3.27.0"},
	{Name: "bpfExcludeCIDRsFromNAT", Kind: KindCIDRList, Since: "v3.27.1"},
	{Name: "bpfRedirectToPeer", Kind: KindEnum, Values: []string{"Disabled", "Enabled", "L2Only"}, Since: "v3.29.0",
		Defaults: []Band{band("v3.29.0", "L2Only"), band("v3.32.0", "Enabled")}, Note: "L2Only is treated as Enabled from v3.32"},
	// Netkit and its default are in the v3.33 release branch, not in a release when this was written.
	{Name: "bpfAttachType", Kind: KindEnum, Values: []string{"TC", "TCX", "Netkit"}, ValueSince: map[string]string{"Netkit": "v3.33.0"},
		Since: "v3.31.0", Defaults: []Band{band("v3.31.0", "TCX"), band("v3.33.0", "Netkit")}},
	{Name: "bpfExportBufferSizeMB", Kind: KindInt, Min: 1, Max: maxInt, Defaults: one("1"), Since: "v3.30.0"},
	{Name: "bpfProfiling", Kind: KindEnum, Values: []string{"Disabled", "Enabled"}, Defaults: one("Disabled"), Since: "v3.30.0"},
	{Name: "bpfMaglevMaxEndpointsPerService", Kind: KindInt, Min: 1, Max: 3000, Defaults: one("100"), Since: "v3.32.0"},
	{Name: "bpfMaglevMaxServices", Kind: KindInt, Min: 1, Max: 3000, Defaults: one("100"), Since: "v3.32.0"},
}
