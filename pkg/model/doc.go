// Package model holds the typed rows that kubectl calico-ebpf reads out of a
// node's BPF dataplane: routes, NAT frontends and backends, NAT affinity and
// Maglev entries, IP sets, conntrack entries and statistics, ARP entries,
// per-interface counters, interface state, tc qdiscs and filters, facts from
// the Felix log and BPF trace events.
//
// The package imports only the Go standard library and nothing else of this
// module, so every other package may depend on it.
//
// JSON field names follow Calico's own `calico-bpf … --json` output wherever
// that exists (for example "dest", "next_hop", "active_ago", "tcp_state",
// "src_cidr"), so one jq script works on both Calico's JSON and ours. Fields
// that Calico does not print in JSON are extra fields with their own names;
// they are omitted when empty. Values keep Calico's encoding where it has one:
// flag lists are arrays of Calico's words, durations are Go duration strings
// ("1m4.11277541s"), NAT flags are one comma-joined string.
//
// Every enum and flag type marshals to and from JSON, so a dump saved as our
// JSON can be decoded again into the same rows.
package model
