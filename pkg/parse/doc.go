// Package parse decodes what Calico's BPF tools print — `calico-node -bpf …`
// and `calico-bpf …` dumps of every version from v3.13 to v3.32, text and
// --json — plus `tc` qdisc and filter listings, the Felix log and the BPF
// trace pipe, into the typed rows of package model.
//
// # API
//
// Every kind has one decoder with the same shape (type Decoder):
//
//	func Routes(r io.Reader, opts Options, fn func(model.Route) error) (Report, error)
//
// and likewise NAT, NATAffinity, Maglev, IPSets, Conntrack, ConntrackStats,
// ARP, Counters, IfState, Qdiscs, Filters, FelixLog and Trace. Decode
// dispatches on a Kind and hands rows over as `any`; All turns a decoder
// into an iter.Seq2; Collect gathers the rows of a small input.
//
// Decoders stream: they read lines through a fixed buffer (or JSON one array
// element at a time) and call fn once per row, so memory stays flat however
// large the input. A row is the caller's to keep. If fn returns an error,
// decoding stops and the error comes back wrapped.
//
// Options.Format picks text or JSON; the default, FormatAuto, skips leading
// noise and looks at the first line ('[', '{' or "null" mean JSON; see
// DetectFormat). Both forms give the same rows, and JSON field names follow
// Calico's own JSON, so a dump saved as our JSON decodes again too.
//
// # Messy input
//
// Real captures are pasted from terminals and logs. Decoders accept shell
// prompt lines, kubectl's "Defaulted container" notice, Calico, logrus and
// klog log lines, indentation, tabs turned into spaces, trailing spaces, CRLF,
// "..." elisions and grep's "--" separators; such lines are counted in
// Report.Skipped. Every other line that is not understood becomes a Warning
// with its line number: nothing is dropped silently. A final line without
// its newline is reported (Report.Truncated) rather than decoded, because a
// cut line can look valid with wrong values.
//
// # Errors from the tool
//
// Input that is the tool's error message rather than data — error or fatal
// log lines ("Failed to dump routes map", "[FATAL] … Failed to get
// ConntrackMap"), cobra's "Error: unknown flag" and usage text, Go's "flag
// provided but not defined" — makes the decoder return an error matching
// ErrToolError (a *ToolError quoting the line), never an empty result.
// StderrFailure applies the same rules to a command's stderr, where Calico
// reports some failures with exit code 0.
//
// # Bounds
//
// Calico v3.15–v3.26 print a blackhole NAT frontend as "count 4294967295"
// followed by an endless list of "ID:N is missing" lines. NAT stops after
// Options.MaxBackends backend lines of one frontend, warns, sets
// Report.Incomplete and returns, so the caller can cancel the command.
// Lines are bounded by Options.MaxLineBytes, warnings by Options.MaxWarnings,
// IP set rows by Options.MaxSetMembers.
//
// # Performance
//
// Decoding a dump costs about as much as reading it. Lines are cut in the
// read buffer (1 MiB reads) without copying; fields are read from the bytes
// into netip.Addr, integers and durations without strings or allocation.
// Conntrack, the largest dump, has fast paths for the lines and JSON
// objects exactly as Calico prints them (conntrack_fast.go,
// conntrack_json.go): one pass, no look-ups by field name. They decide
// nothing on their own: anything else goes to the general parsers (or to
// encoding/json), and tests and fuzz targets hold both to the same result.
//
// A large conntrack text dump is also decoded on up to GOMAXPROCS
// goroutines (parallel.go): chunks of lines are parsed by workers and by
// the caller's goroutine while it would otherwise wait, and the rows are
// delivered on the caller's goroutine in input order. Lines the fast path
// does not take, and inputs where the workers do not keep up (other
// processes have the CPUs), go on one line at a time.
//
// Whatever the input size, memory stays a few MiB: the read buffer and,
// in parallel mode, a few 64 KiB chunks with their rows. The decoders
// allocate a handful of buffers per dump, not per row (NAT allocates the
// backends of each frontend, which the rows keep). Rows are values: the
// callback may keep them.
//
// bench_test.go measures the decoders in memory; `make bench` (hack/bench.sh
// with cmd/gendump and cmd/parsebench) measures them end to end on files,
// next to awk on the same files.
package parse
